"""Bad input ends in a clear error naming the object and the fix, or in a correct recovery, and
nothing the user had is lost or rewritten."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import pytest
import yaml

from ansible_run import describe, our_writes, run_module, run_role
from testbed.audit import repeated_reads

NS = "ai-rhdh"
MC = ("oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/red-hat-developer-hub-backstage-plugin-"
      "catalog-backend-module-model-catalog:bs_1.42.5__0.7.0!red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog")


@pytest.fixture(scope="module")
def operator(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")


def get(cluster, *args) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def set_plugins_text(cluster, name: str, text: str) -> None:
    cluster.kubectl("patch", "configmap", name, "-n", NS, "--type", "merge", "-p",
                    json.dumps({"data": {"dynamic-plugins.yaml": text}}))


@pytest.mark.parametrize("text, message", [
    ("plugins: [unclosed\n", "ConfigMap ai-rhdh/dynamic-plugins-rhdh key dynamic-plugins.yaml does not hold valid YAML"),
    ("plugins:\n  package: x\n", "ConfigMap ai-rhdh/dynamic-plugins-rhdh key dynamic-plugins.yaml: 'plugins' must be a list"),
])
def test_broken_plugin_document_is_refused_and_kept(operator, text, message):
    original = get(operator, "configmap", "dynamic-plugins-rhdh", "-n", NS)["data"]["dynamic-plugins.yaml"]
    try:
        set_plugins_text(operator, "dynamic-plugins-rhdh", text)
        since = time.time()
        result = run_module("rhdh_dynamic_plugins", {"namespace": NS, "backstage": "developer-hub", "packages": [MC]},
                            operator.kubeconfig)
        assert result.get("failed") and message in result["msg"] and "Fix:" in result["msg"], result.get("msg")
        assert get(operator, "configmap", "dynamic-plugins-rhdh", "-n", NS)["data"]["dynamic-plugins.yaml"] == text
        assert our_writes(operator, since) == []
    finally:
        set_plugins_text(operator, "dynamic-plugins-rhdh", original)


def test_operator_owned_configmap_is_never_the_target(operator):
    cr = get(operator, "backstage", "developer-hub", "-n", NS)
    own = cr["spec"]["application"]["dynamicPluginsConfigMapName"]
    try:
        operator.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "merge", "-p",
                         json.dumps({"spec": {"application": {"dynamicPluginsConfigMapName": "backstage-dynamic-plugins-developer-hub"}}}))
        result = run_module("rhdh_dynamic_plugins", {"namespace": NS, "backstage": "developer-hub", "packages": [MC]}, operator.kubeconfig)
        assert result.get("failed") and "operator-owned ConfigMap backstage-dynamic-plugins-developer-hub" in result["msg"]
    finally:
        operator.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "merge", "-p",
                         json.dumps({"spec": {"application": {"dynamicPluginsConfigMapName": own}}}))


def test_metrics_port_clash_with_lightspeed_is_refused_naming_the_container(operator):
    before = get(operator, "backstage", "developer-hub", "-n", NS)["spec"]
    result = run_module("rhdh_sidecar_patch", {"namespace": NS, "backstage": "developer-hub", "metrics_port": 8080}, operator.kubeconfig)
    assert result.get("failed")
    assert "container lightspeed-core of Deployment ai-rhdh/backstage-developer-hub already uses port 8080" in result["msg"]
    assert "metrics port" in result["msg"]
    assert get(operator, "backstage", "developer-hub", "-n", NS)["spec"] == before


def test_custom_resource_without_spec_deployment_is_given_one(module_cluster_factory):
    cluster = module_cluster_factory("rhoai-2.25", "rhdh-operator-1.8")
    cluster.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "json", "-p",
                    json.dumps([{"op": "remove", "path": "/spec/deployment"}]))
    user_app = get(cluster, "backstage", "developer-hub", "-n", NS)["spec"]["application"]
    result = run_module("rhdh_sidecar_patch", {"namespace": NS, "backstage": "developer-hub", "wait": True, "wait_timeout": 120},
                        cluster.kubeconfig)
    assert not result.get("failed"), result.get("msg")
    spec = get(cluster, "backstage", "developer-hub", "-n", NS)["spec"]
    names = [c["name"] for c in spec["deployment"]["patch"]["spec"]["template"]["spec"]["containers"]]
    assert names == ["location", "storage-rest", "rhoai-normalizer"]
    assert spec["application"] == user_app
    deployment = get(cluster, "deployment", "backstage-developer-hub", "-n", NS)
    assert [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]] == [
        "backstage-backend", "location", "storage-rest", "rhoai-normalizer"]


def test_missing_objects_are_named(operator):
    result = run_module("rhdh_dynamic_plugins", {"namespace": NS, "configmap": "no-such-cm", "packages": [MC]}, operator.kubeconfig)
    assert result.get("failed") and "ConfigMap ai-rhdh/no-such-cm not found" in result["msg"]
    result = run_module("rhdh_sidecar_patch", {"namespace": NS, "backstage": "nope"}, operator.kubeconfig)
    assert result.get("failed") and "Backstage ai-rhdh/nope not found" in result["msg"]
    result = run_module("rhdh_info", {"namespace": "empty-ns"}, operator.kubeconfig)
    assert result.get("failed") and result["msg"].startswith("namespace empty-ns does not exist"), result["msg"]
    operator.kubectl("create", "namespace", "empty-ns")
    try:
        result = run_module("rhdh_info", {"namespace": "empty-ns"}, operator.kubeconfig)
        assert result.get("failed") and "no RHDH found in namespace empty-ns" in result["msg"], result["msg"]
    finally:
        operator.kubectl("delete", "namespace", "empty-ns", "--wait=false")


def test_rhdh_neither_operator_nor_helm_is_refused(operator):
    operator.kubectl("create", "namespace", "plain-rhdh")
    operator.kubectl("create", "deployment", "my-hub", "-n", "plain-rhdh", "--image", "quay.io/rhdh/rhdh-hub-rhel9:1.8")
    operator.kubectl("patch", "deployment", "my-hub", "-n", "plain-rhdh", "--type", "json", "-p",
                     json.dumps([{"op": "replace", "path": "/spec/template/spec/containers/0/name", "value": "backstage-backend"}]))
    result = run_module("rhdh_info", {"namespace": "plain-rhdh"}, operator.kubeconfig)
    assert result.get("failed")
    assert "Deployment plain-rhdh/my-hub runs RHDH but is managed neither by the RHDH operator nor by Helm" in result["msg"]


def test_a_secret_of_the_token_name_that_is_no_token_is_left_alone(operator):
    operator.kubectl("create", "secret", "generic", "rhdh-rhoai-connector-token", "-n", NS, "--from-literal", "token=mine")
    operator.kubectl("create", "serviceaccount", "rhdh-rhoai-connector", "-n", NS)
    try:
        result = run_module("rhdh_connector_token", {"namespace": NS}, operator.kubeconfig)
        assert result.get("failed") and "is not a kubernetes.io/service-account-token Secret" in result["msg"]
        data = get(operator, "secret", "rhdh-rhoai-connector-token", "-n", NS)["data"]
        assert base64.b64decode(data["token"]) == b"mine"
    finally:
        operator.kubectl("delete", "secret", "rhdh-rhoai-connector-token", "-n", NS)
        operator.kubectl("delete", "serviceaccount", "rhdh-rhoai-connector", "-n", NS)


def token_kubeconfig(cluster, namespace: str, sa: str, path: Path) -> Path:
    """A kubeconfig that authenticates as ServiceAccount ``sa`` (its token Secret)."""
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": sa + "-token", "namespace": namespace, "annotations": {"kubernetes.io/service-account.name": sa}}}))
    for _ in range(60):
        data = get(cluster, "secret", sa + "-token", "-n", namespace).get("data") or {}
        if data.get("token"):
            break
        time.sleep(0.5)
    admin = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": sa, "user": {"token": base64.b64decode(data["token"]).decode()}}],
        "contexts": [{"name": sa, "context": {"cluster": admin["clusters"][0]["name"], "user": sa}}],
        "current-context": sa,
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_forbidden_request_names_the_permission_and_changes_nothing(operator, tmp_path):
    operator.kubectl("create", "serviceaccount", "reader", "-n", NS)
    operator.kubectl("create", "role", "read-cm", "-n", NS, "--verb=get,list", "--resource=configmaps")
    operator.kubectl("create", "rolebinding", "reader-read-cm", "-n", NS, "--role=read-cm", "--serviceaccount", NS + ":reader")
    kubeconfig = token_kubeconfig(operator, NS, "reader", tmp_path / "reader.kubeconfig")
    before = get(operator, "configmap", "dynamic-plugins-rhdh", "-n", NS)["data"]
    result = run_module("rhdh_dynamic_plugins", {"namespace": NS, "configmap": "dynamic-plugins-rhdh", "packages": [MC]}, kubeconfig)
    assert result.get("failed")
    assert result["msg"].startswith("forbidden: cannot ") and "configmaps" in result["msg"], result["msg"]
    assert "system:serviceaccount:ai-rhdh:reader" in result["msg"] and "Fix:" in result["msg"]
    assert get(operator, "configmap", "dynamic-plugins-rhdh", "-n", NS)["data"] == before


def test_concurrent_writer_loses_nothing(operator):
    """Another client keeps updating the same ConfigMap while the module edits it: the module's
    read-modify-write retries on 409 Conflict, and both sides' changes end up in the ConfigMap."""
    stop = threading.Event()
    seen = []

    def hammer():
        count = 0
        while not stop.is_set():
            count += 1
            done = operator.kubectl("patch", "configmap", "dynamic-plugins-rhdh", "-n", NS, "--type", "merge", "-p",
                                    json.dumps({"data": {"other-key": str(count)}}), check=False)
            if done.returncode == 0:
                seen.append(count)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(1)
        since = time.time()
        result = run_module("rhdh_dynamic_plugins", {"namespace": NS, "backstage": "developer-hub", "packages": [MC]},
                            operator.kubeconfig)
    finally:
        stop.set()
        thread.join()
    assert not result.get("failed"), result.get("msg")
    data = get(operator, "configmap", "dynamic-plugins-rhdh", "-n", NS)["data"]
    assert MC in data["dynamic-plugins.yaml"]
    assert data["other-key"] == str(seen[-1])
    conflicts = [e for e in operator.audit_events(since=since)
                 if e.get("userAgent", "").startswith("rhdh.ai_connector") and (e.get("responseStatus") or {}).get("code") == 409]
    # Conflicts depend on timing; when there were some, the module must have written again after them.
    if conflicts:
        assert len([e for e in our_writes(operator, since) if e["verb"] == "update"]) > len(conflicts), describe(conflicts)
    run_module("rhdh_dynamic_plugins", {"namespace": NS, "backstage": "developer-hub", "packages": [MC], "state": "absent"},
               operator.kubeconfig)


def test_unreachable_api_server_is_named_with_the_fix(tmp_path):
    """No cluster answers at the address: the module fails with the address and what to check,
    not with a traceback (AAP shows the message; the fleet report classifies the cluster)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = f"https://127.0.0.1:{port}"
    result = run_module("rhoai_info", {"host": server, "api_key": "not-a-token", "validate_certs": False}, None)
    assert result.get("failed"), result
    assert result["msg"].startswith(f"cannot reach the API server at {server}"), result["msg"]
    assert "Fix:" in result["msg"] and "Traceback" not in result.get("module_stderr", ""), result


def test_a_port_clash_is_refused_before_any_write_and_once_fixed_a_rerun_writes_nothing(cluster_factory):
    """The role's preflight refuses the clash with the operator's lightspeed-core container before any
    step writes (it used to be refused after the RBAC, token and plugin writes); fixed, the run finishes;
    once more, it writes nothing and no step reads an object twice."""
    cluster = cluster_factory("rhoai-2.25", "rhdh-operator-1.10")
    deployment_before = get(cluster, "backstage", "developer-hub", "-n", NS)["spec"].get("deployment")
    since = time.time()
    result = run_role({"namespace": NS, "metrics_port": 8080}, cluster.kubeconfig)
    assert result["failed"], result["output"][-3000:]
    assert result["msg"].startswith("Preflight refused, nothing was changed: "), result["msg"]
    assert "container lightspeed-core of Deployment ai-rhdh/backstage-developer-hub already uses port 8080" in result["msg"]
    assert "Fix:" in result["msg"] and result["refusal"] == result["msg"]
    assert result["rhdh"]["install_type"] == "operator" and result["changes"] == [] and result["verify"] == {}
    assert our_writes(cluster, since) == [], describe(our_writes(cluster, since))
    assert get(cluster, "backstage", "developer-hub", "-n", NS)["spec"].get("deployment") == deployment_before

    fixed = run_role({"namespace": NS}, cluster.kubeconfig)
    assert not fixed["failed"], fixed["msg"]
    assert fixed["changed"] and fixed["verify"]["ok"], fixed["verify"]
    assert [c["step"] for c in fixed["changes"]][:2] == ["rbac", "dynamic_plugins"]
    assert any(line.startswith("Secret ai-rhdh/rhdh-rhoai-connector-token created") for line in fixed["changes"][0]["changes"])
    assert "sidecars" in [c["step"] for c in fixed["changes"]]

    since = time.time()
    again = run_role({"namespace": NS}, cluster.kubeconfig)
    assert not again["failed"] and again["changed"] is False and again["changes"] == []
    assert our_writes(cluster, since) == []
    by_step: dict = {}
    for event in cluster.audit_events(since):
        agent = event.get("userAgent", "").split(" ")[0]
        if agent.startswith("rhdh.ai_connector/"):
            by_step.setdefault(agent, []).append(event)
    assert len(by_step) == 6, sorted(by_step)  # the six module tasks of the connector
    assert {step: repeated_reads(found) for step, found in by_step.items() if repeated_reads(found)} == {}