"""OpenShift AI 3.x (issue 19): the collection's preflight and its connector on scenario rhoai-3.x
(RHOAI 3.4: DataScienceCluster and DSCInitialization stored at v2 with v1 still served, KServe
RawDeployment only, two model registries and the catalog) with the real RHDH 1.10 operator.

rhoai_info reads the platform at v2 and every prerequisite passes; the role's preflight (report
only: no refusal, and verify reports what is not connected yet) agrees and writes nothing; the role connects RHDH (the registries' RoleBindings made) and a
second run sends no write. What the collection read and wrote is taken from the API server's audit
log. The testbed has no conversion webhook, so v1 would answer the same release and model registry
settings as v2 here: the audit log, not the answer, shows which version was read.
"""

from __future__ import annotations

import json
import time

import pytest

from ansible_run import USER_AGENT, describe, our_writes, run_module, run_role

NS = "ai-rhdh"
REG_NS = "rhoai-model-registries"
REGISTRIES = ["registry-prod", "team-a-registry"]
BINDING = "rhdh-rhoai-dashboard-permissions-"
PLATFORM = {"datascienceclusters": "datasciencecluster.opendatahub.io",
            "dscinitializations": "dscinitialization.opendatahub.io"}


@pytest.fixture(scope="module")
def rhoai3(module_cluster_factory):
    return module_cluster_factory("rhoai-3.x", "rhdh-operator-1.10")


def platform_reads(cluster, since: float) -> dict[str, set[str]]:
    """The versions at which the collection read each platform resource since ``since``."""
    read: dict[str, set[str]] = {}
    for event in cluster.audit_events(since=since):
        ref = event.get("objectRef") or {}
        if USER_AGENT in event.get("userAgent", "") and ref.get("resource") in PLATFORM and event.get("verb") in ("get", "list"):
            assert ref.get("apiGroup") == PLATFORM[ref["resource"]]
            read.setdefault(ref["resource"], set()).add(ref.get("apiVersion"))
    return read


def not_ok(verdicts: list[dict]) -> list[dict]:
    return [v for v in verdicts if v["status"] != "ok"]


def test_rhoai_info_reads_openshift_ai_3x_at_v2_and_every_prerequisite_passes(rhoai3):
    since = time.time()
    facts = run_module("rhoai_info", {}, rhoai3.kubeconfig)
    assert not facts.get("failed"), facts.get("msg")
    assert (facts["platform"], facts["release_name"], facts["version"]) == (
        "rhoai-self-managed", "OpenShift AI Self-Managed", "3.4.0")
    assert (facts["datasciencecluster"], facts["modelregistry_state"], facts["registries_namespace"]) == (
        "default-dsc", "Managed", REG_NS)
    assert facts["applications_namespace"] == "redhat-ods-applications"
    assert facts["operator_csv"] == "rhods-operator.v3.4.0" and facts["kserve"] is True
    assert [(r["name"], r["role_exists"], r["route_hosts"]) for r in facts["registries"]] == [
        (name, True, [name + "-rest.apps.example.test"]) for name in REGISTRIES]
    assert facts["catalog_route"] == {"name": "model-catalog-https", "hosts": ["model-catalog.apps.example.test"]}
    assert not_ok(facts["verdicts"]) == [] and facts["failed_checks"] == [], facts["verdicts"]
    assert {v["check"] for v in facts["verdicts"]} >= {"platform", "version", "model_registry", "kserve", "registries"}
    assert platform_reads(rhoai3, since) == {"datascienceclusters": {"v2"}, "dscinitializations": {"v2"}}
    assert our_writes(rhoai3, since) == []


def test_the_roles_preflight_passes_on_openshift_ai_3x_and_writes_nothing(rhoai3):
    since = time.time()
    report = run_role({"namespace": NS, "report_only": True}, rhoai3.kubeconfig)
    # only the report's verify complains: nothing is connected yet
    assert report["failed"] and report["msg"].startswith("Verify failed: "), report["msg"]
    assert report["rhoai"]["version"] == "3.4.0" and report["rhoai"]["registries"] == REGISTRIES, report["rhoai"]
    assert report["preflight"] and not_ok(report["preflight"]) == [], report["preflight"]
    assert report["refusals"] == [] and report["changes"] == [], (report["refusals"], report["changes"])
    assert report["rhdh"]["rhdh_version"] == "1.10", report["rhdh"]
    assert platform_reads(rhoai3, since) == {"datascienceclusters": {"v2"}, "dscinitializations": {"v2"}}
    writes = our_writes(rhoai3, since)
    assert writes == [], describe(writes)


def test_the_role_connects_rhdh_to_openshift_ai_3x_and_a_second_run_writes_nothing(rhoai3):
    first = run_role({"namespace": NS, "wait_timeout": 180}, rhoai3.kubeconfig)
    assert not first["failed"], first["msg"]
    assert first["changed"] and not_ok(first["preflight"]) == [], first["preflight"]
    for name in REGISTRIES:
        out = rhoai3.kubectl("get", "rolebinding", BINDING + name, "-n", REG_NS, "-o", "json")
        binding = json.loads(out.stdout)
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "registry-user-" + name}
    assert first["verify"].get("ok") is True, first["verify"]

    since = time.time()
    again = run_role({"namespace": NS, "wait_timeout": 180}, rhoai3.kubeconfig)
    assert not again["failed"], again["msg"]
    assert again["changed"] is False and again["changes"] == [], again["changes"]
    writes = our_writes(rhoai3, since)
    assert writes == [], describe(writes)
