"""The benchmark's pure functions: metrics parsing, request classes, reads per step and each step's
minimum, targets."""

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
        {"userAgent": "rhdh.ai_connector/rhdh_app_config", "verb": "get", "objectRef": {"resource": "configmaps"}},
        {"userAgent": "rhdh.ai_connector/rhdh_info", "verb": "get", "requestURI": "/apis/rhdh.redhat.com"},
        {"userAgent": "rhdh.ai_connector/rhdh_connector_verify", "verb": "create",
         "objectRef": {"apiGroup": "authorization.k8s.io", "resource": "subjectaccessreviews"}},
        {"userAgent": "rhdh.ai_connector/rhdh_app_config", "verb": "patch", "objectRef": {"resource": "configmaps"},
         "requestURI": "/api/v1/namespaces/x/configmaps/y?dryRun=All"},
        {"userAgent": "kube-controller-manager/v1.33", "verb": "update", "objectRef": {"resource": "leases"}},
        {"userAgent": "rhdh-operator-standin", "verb": "patch", "objectRef": {"resource": "deployments"}},
        {"userAgent": "rhdh-operator-1.8/v0.0.0", "verb": "update", "objectRef": {"resource": "deployments"}},
    ]
    summary = m.audit_summary(events, ["rhdh.ai_connector"])
    assert summary["playbook"] == {"read": 2, "write": 0, "query": 2}
    assert summary["by_group"]["controllers"] == {"write": 1}
    assert summary["by_group"]["RHDH operator"] == {"write": 2}  # the real operator and the old stand-in
    assert summary["playbook_discovery"] == 1
    assert summary["playbook_requests"]["get /apis/rhdh.redhat.com"] == 1
    assert summary["playbook_repeated_reads"] == 0
    assert set(summary["steps"]) == {"rhdh_app_config", "rhdh_info", "rhdh_connector_verify"}
    assert summary["steps"]["rhdh_app_config"]["read"] == 1
    assert summary["steps"]["rhdh_app_config"]["query"] == 1  # the dry run
    assert summary["steps"]["rhdh_connector_verify"]["query"] == 1


def test_step_of_a_user_agent() -> None:
    assert m.step_of("rhdh.ai_connector/rhdh_sidecar_patch") == "rhdh_sidecar_patch"
    assert m.step_of("rhdh.ai_connector/rhoai_info python/3.11") == "rhoai_info"
    assert m.step_of("rhdh.ai_connector") == "rhdh.ai_connector"
    assert m.step_of("OpenAPI-Generator/33.1.0/python") == m.CLIENT_DEFAULT_AGENT


def test_a_repeat_is_a_uri_read_again_by_the_same_task() -> None:
    """One user agent per module task: the same GET twice in one task is a repeat; the same object read
    by two tasks (two processes) is not, and is listed apart."""
    get = {"userAgent": "rhdh.ai_connector/rhdh_sidecar_patch", "verb": "get",
           "objectRef": {"apiGroup": "apps", "resource": "deployments"},
           "requestURI": "/apis/apps/v1/namespaces/x/deployments/d"}
    other = dict(get, requestURI="/apis/apps/v1/namespaces/x/deployments/e")
    verify = dict(get, userAgent="rhdh.ai_connector/rhdh_connector_verify")
    review = {"userAgent": "rhdh.ai_connector/rhdh_connector_verify", "verb": "create",
              "requestURI": "/apis/authorization.k8s.io/v1/subjectaccessreviews",
              "objectRef": {"apiGroup": "authorization.k8s.io", "resource": "subjectaccessreviews"}}
    foreign = dict(get, userAgent="kubectl/v1.33")
    summary = m.audit_summary([get, get, get, other, verify, review, review, foreign, foreign], ["rhdh.ai_connector"])
    assert summary["steps"]["rhdh_sidecar_patch"]["repeated_reads"] == 2
    assert summary["steps"]["rhdh_sidecar_patch"]["repeats"] == {"get " + get["requestURI"]: 3}
    assert summary["steps"]["rhdh_connector_verify"]["repeated_reads"] == 0  # reviews ask different things
    assert summary["playbook_repeated_reads"] == 2
    assert summary["read_by_several_steps"] == {get["requestURI"]: ["rhdh_sidecar_patch", "rhdh_connector_verify"]}


def test_each_step_has_its_minimum_with_reasons() -> None:
    minimum = m.step_minimum(registries=2, access_reviews=21, user_app_configs=2)
    assert list(minimum) == list(m.STEPS)
    assert {step: m.total(items) for step, items in minimum.items()} == {
        "rhdh_info": 14 + 4, "rhdh_connector_rbac": 6 + 1 + 6,
        "rhdh_dynamic_plugins": 2, "rhdh_app_config": 1, "rhdh_sidecar_patch": 2,
        "rhdh_connector_verify": 9 + 21}
    assert m.total_minimum(minimum) == 66  # the same requests as with nine tasks: joining steps added none
    assert all(count > 0 and why for items in minimum.values() for why, count in items)
    without = m.step_minimum(2, 21, 2, verify=False)
    assert m.VERIFY_STEP not in without and m.total_minimum(without) == 36
    # More registries: more reviews for verify, still one LIST of the bindings for RBAC.
    five = m.step_minimum(registries=5, access_reviews=24, user_app_configs=0)
    assert m.total(five["rhdh_connector_rbac"]) == 13
    assert m.total(five[m.VERIFY_STEP]) == 7 + 24


def test_step_verdicts_compare_each_step_with_its_minimum() -> None:
    minimum = {"rhdh_info": [("a", 4)], "rhdh_app_config": [("b", 1)], "rhdh_sidecar_patch": [("c", 2)],
               "rhdh_connector_verify": [("d", 30)]}
    seen = {"rhdh_info": {"read": 4, "query": 0, "write": 0, "repeated_reads": 0},
            "rhdh_sidecar_patch": {"read": 3, "query": 0, "write": 0, "repeated_reads": 1},
            "rhdh_connector_verify": {"read": 10, "query": 21, "write": 0, "repeated_reads": 0},
            "rhdh_app_config": {"read": 0, "query": 0, "write": 1},
            "OpenAPI-Generator": {"read": 2, "query": 0, "write": 0}}
    rows = {r["step"]: r for r in m.step_verdicts(seen, minimum)}
    assert [r["step"] for r in m.step_verdicts(seen, minimum)] == [
        "rhdh_info", "rhdh_app_config", "rhdh_sidecar_patch", "rhdh_connector_verify", "OpenAPI-Generator"]
    assert rows["rhdh_info"]["verdict"] == "at minimum"
    assert rows["rhdh_sidecar_patch"]["verdict"] == "1 over" and rows["rhdh_sidecar_patch"]["repeated_reads"] == 1
    assert rows["rhdh_connector_verify"]["verdict"] == "1 over" and rows["rhdh_connector_verify"]["reads"] == 31
    assert rows["rhdh_app_config"]["verdict"].startswith("1 under") and rows["rhdh_app_config"]["writes"] == 1
    assert rows["OpenAPI-Generator"]["minimum"] == 0 and rows["OpenAPI-Generator"]["verdict"] == "2 over"
    assert m.step_verdicts({}, {"rhdh_info": [("a", 4)]})[0]["verdict"] == "did not run"


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


def test_controller_cpu_per_cluster() -> None:
    assert m.per_cluster(26.01, 10) == 2.6
    assert m.per_cluster(4.73, 1) == 4.73 and m.per_cluster(3.0, 0) == 3.0


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:      2000 |       2000 | encodings
import time:      2000 |       2000 |     base64
import time:      3000 |       3000 |       json.decoder
import time:      1000 |       4000 |     json
import time:     50000 |      57000 |   ansible.module_utils.basic
import time:      1000 |      58000 | ansible.module_utils._internal._ansiballz._loader
import time:      7000 |       7000 |         cryptography
import time:     20000 |      20000 |         pydantic
import time:      4000 |       4000 |           email.utils
import time:      6000 |      10000 |         urllib3
import time:     30000 |      67000 |       kubernetes
import time:        10 |      67010 |     kubernetes.dynamic
import time:      8000 |       8000 |     ruamel.yaml
import time:      9000 |      84010 |   ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service
import time:      5000 |       5000 |   ansible_collections.kubernetes.core.plugins.module_utils.k8s.client
import time:      1000 |      90010 | ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module
"""


def test_importtime_rows_know_their_importer() -> None:
    rows = m.parse_importtime(IMPORTTIME)
    assert len(rows) == 16
    assert rows[0] == (0, "encodings", 0.002, None)
    by_name = {name: importer for _, name, _, importer in rows}
    assert by_name["json.decoder"] == "json"
    assert by_name["json"] == "ansible.module_utils.basic"
    assert by_name["email.utils"] == "urllib3"
    assert by_name["kubernetes"] == "kubernetes.dynamic"
    assert by_name["ansible.module_utils._internal._ansiballz._loader"] is None


def test_imports_go_to_who_pulled_them_in() -> None:
    """The standard library counts for its importer, any third-party package for the kubernetes client
    (which imports them all), ruamel.yaml apart (only the collection imports it)."""
    stdlib = {"encodings", "base64", "json", "email"}
    assert m.import_group("ansible.module_utils.basic", stdlib) == "ansible's module_utils"
    assert m.import_group("ansible_collections.rhdh.ai_connector.plugins.module_utils.rules", stdlib) == \
        "this collection's module_utils"
    assert m.import_group("ansible_collections.kubernetes.core.plugins.module_utils.k8s.client", stdlib) == \
        "kubernetes.core's module_utils"
    assert m.import_group("pydantic", stdlib) == m.CLIENT_GROUP
    assert m.import_group("ruamel.yaml", stdlib) == "ruamel.yaml"
    assert m.import_group("json", stdlib) is None and m.import_group("ansible_collections", stdlib) is None
    groups = m.import_breakdown(IMPORTTIME, stdlib)
    assert groups == {
        m.CLIENT_GROUP: 0.067,  # kubernetes, pydantic, cryptography, urllib3 and the email.utils it imported
        "ansible's module_utils": 0.057,  # basic with base64, json and json.decoder, and the loader
        "this collection's module_utils": 0.01,
        "ruamel.yaml": 0.008,
        "kubernetes.core's module_utils": 0.005,
        m.WRAPPER_GROUP: 0.002,  # encodings: imported by no group (Python's own start)
    }
    assert m.import_packages(IMPORTTIME, top=2) == [("kubernetes", 0.03), ("pydantic", 0.02)]


def test_module_phases_from_the_marks_of_one_process() -> None:
    marks = {"start": 0.02, "loader": 0.05, "init0": 0.5, "init1": 0.51, "client0": 0.52, "client1": 0.6,
             "exit0": 0.7, "end": 0.76, "http_s": 0.03, "http_n": 1}
    phases = m.module_phases(marks)
    assert phases == {"interpreter": 0.02, "wrapper": 0.03, "imports": 0.45, "arguments": 0.01,
                      "before_client": 0.01, "client": 0.08, "work": 0.1, "exit": 0.06, "requests": 0.03,
                      "step": 0.07, "total": 0.76}
    assert sum(phases[k] for k, _, _, _ in m.PHASES) == phases["total"]
    # A module that failed before making a client: the phases around the client are left out.
    failed = m.module_phases({"start": 0.02, "loader": 0.05, "init0": 0.5, "init1": 0.51, "exit0": 0.52,
                              "end": 0.6, "http_s": 0.0})
    assert "client" not in failed and "work" not in failed and failed["exit"] == 0.08 and failed["total"] == 0.6


def test_speed_targets_are_ratios_within_the_run() -> None:
    col = {"converge_s": 12.0, "noop_s": 9.0, "converge_cpu_s": 11.0, "noop_cpu_s": 10.5}
    ref = {"converge_s": 12.0, "noop_s": 10.0, "converge_cpu_s": 14.0, "noop_cpu_s": 10.0}
    mitogen = {"converge_s": 7.0, "noop_s": 4.0, "converge_cpu_s": 6.0, "noop_cpu_s": 3.0}
    targets = {t.name: t for t in m.speed_targets(col, ref, mitogen)}
    assert len(targets) == 6
    wall = targets["fresh converge wall time (median), collection / reference"]
    assert (wall.value, wall.limit, wall.passed) == (1.0, 1.0, True)  # at the limit passes
    assert targets["no-op wall time (median), collection / reference"].value == 0.9
    mit_converge = next(t for n, t in targets.items() if n.startswith("fresh converge") and "Mitogen" in n)
    mit_noop = next(t for n, t in targets.items() if n.startswith("no-op") and "Mitogen" in n)
    assert (mit_converge.value, mit_converge.limit, mit_converge.passed) == (0.58, 0.5, False)
    assert (mit_noop.value, mit_noop.passed) == (0.4, True)
    cpu_noop = targets["controller CPU per cluster, no-op (median), collection / reference"]
    assert (cpu_noop.value, cpu_noop.passed) == (1.05, False)
    assert targets["controller CPU per cluster, fresh converge (median), collection / reference"].value == 0.79
    assert not any("Mitogen" in t.name for t in m.speed_targets(col, ref))
    assert len(m.speed_targets(col, ref)) == 4
