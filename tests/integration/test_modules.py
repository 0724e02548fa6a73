"""Every module on a real API server: check mode changes nothing, a real run changes what it says,
and a re-run reports no change and sends no write request (measured in the API server's audit log).

Runs once for an operator install (the real RHDH operator re-renders the workload from the CR) and
once for a Helm install.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ansible_run import describe, our_writes, run_module
from testbed import TestbedError
from testbed.kube import wait_for

NS = "ai-rhdh"
MC = ("oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/red-hat-developer-hub-backstage-plugin-"
      "catalog-backend-module-model-catalog:bs_1.42.5__0.7.0!red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog")
TD = ("oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/red-hat-developer-hub-backstage-plugin-"
      "catalog-techdoc-url-reader-backend:bs_1.42.5__0.3.0!red-hat-developer-hub-backstage-plugin-catalog-techdoc-url-reader-backend")
LABELS = {"app.kubernetes.io/managed-by": "rhdh.ai_connector"}
RBAC = [
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "rhdh-rhoai-connector", "namespace": NS}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "rhdh-rhoai-connector", "namespace": NS},
     "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch", "create", "update", "patch"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rhdh-rhoai-connector", "namespace": NS},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rhdh-rhoai-connector"},
     "subjects": [{"kind": "ServiceAccount", "name": "rhdh-rhoai-connector", "namespace": NS}]},
]

INSTALLS = {
    "operator": {"scenarios": ("rhoai-2.25", "rhdh-operator-1.8"), "target": {"backstage": "developer-hub"},
                 "plugins_cm": "dynamic-plugins-rhdh", "workload": "backstage-developer-hub"},
    "helm": {"scenarios": ("rhoai-2.25", "rhdh-helm"), "target": {"deployment": "rhdh-developer-hub"},
             "plugins_cm": "rhdh-dynamic-plugins", "workload": "rhdh-developer-hub"},
}


def steps(install: str) -> list[tuple[str, dict[str, Any]]]:
    spec = INSTALLS[install]
    plugins_target = {"backstage": "developer-hub"} if install == "operator" else {"configmap": spec["plugins_cm"]}
    return [
        ("rhdh_connector_objects", {"definitions": RBAC, "labels": LABELS}),
        ("rhdh_connector_token", {"namespace": NS}),
        ("rhdh_dynamic_plugins", dict(namespace=NS, packages=[MC, TD], **plugins_target)),
        ("rhdh_app_config", {"namespace": NS}),
        ("rhdh_sidecar_patch", dict(namespace=NS, app_config_configmap="rhdh-rhoai-connector-app-config",
                                    wait=True, wait_timeout=120, **spec["target"])),
    ]


@pytest.fixture(scope="module", params=sorted(INSTALLS))
def install(request, module_cluster_factory):
    spec = INSTALLS[request.param]
    cluster = module_cluster_factory(*spec["scenarios"])
    ORIGINALS[request.param] = {
        "plugins": configmap_data(cluster, spec["plugins_cm"]),
        "cr_spec": cr_spec(cluster) if request.param == "operator" else None,
        "pod": pod_spec(cluster, spec["workload"]),
    }
    return request.param, cluster


ORIGINALS: dict[str, dict[str, Any]] = {}


def pod_spec(cluster, workload: str) -> dict[str, Any]:
    """The pod spec the operator or the chart rendered (what RHDH runs)."""
    deployment = json.loads(cluster.kubectl("get", "deploy", workload, "-n", NS, "-o", "json").stdout)
    return deployment["spec"]["template"]["spec"]


def cr_spec(cluster) -> dict[str, Any]:
    return json.loads(cluster.kubectl("get", "backstage", "developer-hub", "-n", NS, "-o", "json").stdout)["spec"]


def configmap_data(cluster, name: str) -> dict[str, str]:
    out = cluster.kubectl("get", "configmap", name, "-n", NS, "-o", "json")
    return json.loads(out.stdout).get("data") or {}


def assert_no_real_write(cluster, since: float) -> None:
    real = [e for e in our_writes(cluster, since) if "dryRun=All" not in (e.get("requestURI") or "")]
    assert real == [], "check mode sent real writes: {0}".format(describe(real))


def test_read_only_modules_never_write(install):
    kind, cluster = install
    since = time.time()
    for check in (True, False):
        rhoai = run_module("rhoai_info", {}, cluster.kubeconfig, check=check)
        assert not rhoai.get("failed"), rhoai.get("msg")
        assert rhoai["platform"] == "rhoai-self-managed" and rhoai["version"] == "2.25.0" and not rhoai["changed"]
        assert sorted(r["name"] for r in rhoai["registries"]) == ["registry-prod", "team-a-registry"]
        assert rhoai["failed_checks"] == []
        info = run_module("rhdh_info", {"namespace": NS}, cluster.kubeconfig, check=check)
        assert not info.get("failed"), info.get("msg")
        assert info["install_type"] == kind and info["rhdh_version"] == "1.8" and not info["changed"]
        assert info["plugin_packages"] == [MC, TD]
        assert info["workload"]["name"] == INSTALLS[kind]["workload"]
        if kind == "operator":
            assert info["backstage"]["api_version"] == "rhdh.redhat.com/v1alpha4"
            assert info["dynamic_plugins_configmap"] == "dynamic-plugins-rhdh"
    assert our_writes(cluster, since) == []


def test_each_module_check_then_apply_then_rerun(install):
    kind, cluster = install
    user_plugins_before = configmap_data(cluster, INSTALLS[kind]["plugins_cm"])["dynamic-plugins.yaml"]
    for module, args in steps(kind):
        since = time.time()
        preview = run_module(module, args, cluster.kubeconfig, check=True, diff=True)
        assert not preview.get("failed"), "{0} (check): {1}".format(module, preview.get("msg"))
        assert preview["changed"], "{0} in check mode found nothing to do".format(module)
        assert_no_real_write(cluster, since)
        if module in ("rhdh_dynamic_plugins", "rhdh_app_config", "rhdh_sidecar_patch", "rhdh_connector_objects"):
            assert preview.get("diff"), "{0} returned no diff in diff mode".format(module)

        applied = run_module(module, args, cluster.kubeconfig)
        assert not applied.get("failed"), "{0}: {1}".format(module, applied.get("msg"))
        assert applied["changed"], "{0} changed nothing".format(module)

        since = time.time()
        again = run_module(module, args, cluster.kubeconfig)
        assert not again.get("failed"), "{0} (re-run): {1}".format(module, again.get("msg"))
        assert not again["changed"], "{0} reported a change on the re-run: {1}".format(module, again)
        writes = our_writes(cluster, since)
        assert writes == [], "{0} re-run sent write requests: {1}".format(module, describe(writes))

        if module == "rhdh_dynamic_plugins":
            after = preview["diff"]["after"]["plugins"]
            assert [p["package"] for p in after][-2:] == [MC, TD]
            assert [p["package"] for p in preview["diff"]["before"]["plugins"]] == [p["package"] for p in after][:-2]
            text = configmap_data(cluster, applied["configmap"])["dynamic-plugins.yaml"]
            assert text.startswith(user_plugins_before.rstrip("\n")) or kind == "operator" and applied["created"]
        if module == "rhdh_sidecar_patch":
            assert applied["rolled_out"]
            assert applied["containers"][0] == "backstage-backend"
            assert applied["containers"][-3:] == ["location", "storage-rest", "rhoai-normalizer"]


def test_verify_reports_every_check_ok_after_the_steps(install):
    kind, cluster = install
    for module, args in steps(kind):
        assert not run_module(module, args, cluster.kubeconfig).get("failed")
    since = time.time()
    report = run_module("rhdh_connector_verify", {
        "namespace": NS, "workload": INSTALLS[kind]["workload"],
        "backstage": "developer-hub" if kind == "operator" else None,
        "plugins_configmap": INSTALLS[kind]["plugins_cm"], "packages": [MC, TD],
        "app_config_configmap": "rhdh-rhoai-connector-app-config" if kind == "operator" else None,
        "cluster_rules": [], "namespace_rules": RBAC[1]["rules"],  # these steps made no ClusterRole
    }, cluster.kubeconfig)
    assert not report.get("failed"), report.get("msg")
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert report["ok"], report["failed_checks"]
    assert statuses["sidecars_ready"] == "ok" and statuses["token"] == "ok" and statuses["storage_cache"] == "warn"
    assert sum(1 for c in report["checks"] if c["check"].startswith("access ")) == 6
    assert our_writes(cluster, since) == []


def test_removal_restores_the_users_objects(install):
    kind, cluster = install
    for module, args in steps(kind):
        assert not run_module(module, args, cluster.kubeconfig).get("failed")
    for module, args in reversed(steps(kind)):
        state = "absent"
        result = run_module(module, dict(args, state=state), cluster.kubeconfig)
        assert not result.get("failed"), "{0} absent: {1}".format(module, result.get("msg"))
    assert configmap_data(cluster, INSTALLS[kind]["plugins_cm"]) == ORIGINALS[kind]["plugins"]
    if kind == "operator":
        assert cr_spec(cluster) == ORIGINALS[kind]["cr_spec"]
    # The operator re-renders from the restored CR on its own time: wait for the pod it renders.
    original = ORIGINALS[kind]["pod"]
    try:
        wait_for("the rendered pod to be the one before the install",
                 lambda: pod_spec(cluster, INSTALLS[kind]["workload"]) == original, 60)
    except TestbedError:
        assert pod_spec(cluster, INSTALLS[kind]["workload"]) == original
    missing = cluster.kubectl("get", "configmap", "rhdh-rhoai-connector-app-config", "-n", NS, check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr

