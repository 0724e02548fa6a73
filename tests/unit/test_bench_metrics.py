"""The benchmark's pure functions: metrics parsing, request classes, minimum reads, targets."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import metrics as m  # noqa: E402

METRICS = """\
# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="GET",version="v1"} 7
apiserver_request_total{code="404",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="GET",version="v1"} 3
apiserver_request_total{code="201",component="apiserver",dry_run="",group="authorization.k8s.io",resource="subjectaccessreviews",scope="cluster",subresource="",verb="POST",version="v1"} 21
apiserver_request_total{code="200",component="apiserver",dry_run="All",group="",resource="secrets",scope="resource",subresource="",verb="PATCH",version="v1"} 4
apiserver_request_total{code="200",component="apiserver",dry_run="",group="rhdh.redhat.com",resource="backstages",scope="resource",subresource="status",verb="PUT",version="v1alpha4"} 2
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="",verb="GET",version=""} 5
apiserver_request_duration_seconds_count{verb="GET"} 99
"""


def test_request_counts_sum_codes_and_skip_dry_runs_and_other_metrics() -> None:
    counts = m.request_counts(METRICS)
    assert counts[("GET", "", "configmaps", "")] == 10
    assert counts[("PUT", "rhdh.redhat.com", "backstages", "status")] == 2
    assert counts[("GET", "", "", "")] == 5
    assert not any(key[0] == "PATCH" for key in counts)  # the dry run
    assert sum(counts.values()) == 10 + 21 + 2 + 5


def test_delta_keeps_only_what_moved() -> None:
    before = {("GET", "", "configmaps", ""): 10, ("LIST", "", "pods", ""): 4}
    after = {("GET", "", "configmaps", ""): 13, ("LIST", "", "pods", ""): 4, ("POST", "", "secrets", ""): 1}
    assert m.delta(after, before) == {("GET", "", "configmaps", ""): 3, ("POST", "", "secrets", ""): 1}


def test_split_counts_tells_reads_writes_and_review_queries_apart() -> None:
    totals = m.split_counts(m.request_counts(METRICS))
    assert totals == {"read": 15, "query": 21, "write": 2}


def test_label_names_non_resource_requests() -> None:
    assert m.label(("GET", "", "", "")) == "GET (non-resource)"
    assert m.label(("GET", "", "", "/apis")) == "GET /apis"
    assert m.label(("PUT", "rhdh.redhat.com", "backstages", "status")) == "PUT rhdh.redhat.com/backstages/status"


def test_audit_summary_attributes_requests_to_their_sender() -> None:
    events = [
        {"userAgent": "rhdh.ai_connector", "verb": "get", "objectRef": {"resource": "configmaps"}},
        {"userAgent": "rhdh.ai_connector", "verb": "get", "requestURI": "/apis/rhdh.redhat.com"},
        {"userAgent": "rhdh.ai_connector", "verb": "create",
         "objectRef": {"apiGroup": "authorization.k8s.io", "resource": "subjectaccessreviews"}},
        {"userAgent": "rhdh.ai_connector", "verb": "patch", "objectRef": {"resource": "configmaps"},
         "requestURI": "/api/v1/namespaces/x/configmaps/y?dryRun=All"},
        {"userAgent": "kube-controller-manager/v1.33", "verb": "update", "objectRef": {"resource": "leases"}},
        {"userAgent": "rhdh-operator-standin", "verb": "patch", "objectRef": {"resource": "deployments"}},
    ]
    summary = m.audit_summary(events, ["rhdh.ai_connector"])
    assert summary["playbook"] == {"read": 2, "write": 0, "query": 2}
    assert summary["by_group"]["controllers"] == {"write": 1}
    assert summary["by_group"]["stand-in operator"] == {"write": 1}
    assert summary["playbook_discovery"] == 1
    assert summary["playbook_requests"]["get /apis/rhdh.redhat.com"] == 1
    assert summary["playbook_repeated_reads"] == 0


def test_repeated_reads_count_each_uri_read_again() -> None:
    get = {"userAgent": "rhdh.ai_connector", "verb": "get", "objectRef": {"resource": "configmaps"},
           "requestURI": "/api/v1/namespaces/x/configmaps/y"}
    other = dict(get, requestURI="/api/v1/namespaces/x/configmaps/z")
    foreign = dict(get, userAgent="kubectl/v1.33")
    summary = m.audit_summary([get, get, get, other, foreign, foreign], ["rhdh.ai_connector"])
    assert summary["playbook_repeated_reads"] == 2


def test_the_jobs_minimum_adds_preflight_legacy_and_verification() -> None:
    with_verify = m.minimum_job_reads(2, access_reviews=21)
    without = m.minimum_job_reads(2, access_reviews=21, verify=False)
    assert m.total(without) == 15 + m.total(m.PREFLIGHT_READS) + 6
    assert m.total(with_verify) == m.total(without) + 2 + 21
    assert all(count > 0 and why for why, count in with_verify)


def test_minimum_noop_reads_grows_with_registries() -> None:
    two = m.minimum_noop_reads(2)
    assert m.total(two) == 15
    assert m.total(m.minimum_noop_reads(5)) == 18
    assert m.total(m.minimum_noop_reads(2, wait_rollout=False)) == 14
    assert all(count >= 0 and why for why, count in two)


def test_parse_recap_and_profile_tasks() -> None:
    output = """\
PLAY RECAP *********************************************************************
bn-f01                     : ok=24   changed=5    unreachable=0    failed=0    skipped=5
localhost                  : ok=3    changed=0    unreachable=0    failed=1    skipped=0

TASKS RECAP ********************************************************************
rhdh.ai_connector.rhoai_connector : Create or update the ServiceAccount, roles and bindings --- 3.12s
rhdh.ai_connector.rhoai_connector : Work out the names used below ------- 0.08s
"""
    assert m.parse_recap(output) == {
        "bn-f01": {"ok": 24, "changed": 5, "unreachable": 0, "failed": 0},
        "localhost": {"ok": 3, "changed": 0, "unreachable": 0, "failed": 1},
    }
    tasks = m.parse_profile_tasks(output)
    assert tasks == [
        ("rhdh.ai_connector.rhoai_connector : Create or update the ServiceAccount, roles and bindings", 3.12),
        ("rhdh.ai_connector.rhoai_connector : Work out the names used below", 0.08),
    ]


def test_targets_ratios_and_fleet_sizes() -> None:
    assert m.Target("x", 0.4, 0.5).passed
    assert not m.Target("x", 0.51, 0.5).passed
    assert m.Target("x", 0.51, 0.5).line().startswith("FAIL")
    assert m.ratio(10, 40) == 0.25
    assert m.ratio(1, 0) == float("inf")
    assert m.fit_clusters(20 * 2**30, 600 * 2**20) == 10
    assert m.fit_clusters(4 * 2**30, 600 * 2**20) == 3
    assert m.fleet_sizes(10) == [1, 2, 5, 10]
    assert m.fleet_sizes(3) == [1, 2, 3]
    assert m.fleet_sizes(1) == [1]


def test_cpu_of_a_process_from_its_stat_line() -> None:
    stat = "4242 (kube apiserver) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 12 0 100 0 0"
    assert m.stat_cpu_ticks(stat) == 325
    assert m.cpu_floor(30.0, 2) == 15.0 and m.cpu_floor(3.0, 0) == 3.0
