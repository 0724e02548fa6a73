"""What real users hit (issue 11, items 3, 6-10) on real API servers: the RHDH version when the image is
pinned by digest, empty survey answers, names checked before any request, sidecar settings by
container name, errors that point the right way, the report people read, the guide's names."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from ansible_run import ROOT, _playbook_bin, ansible_env, our_writes, run_module, run_role
from testbed.scenarios import ensure_rhdh_operator_csv

NS = "ai-rhdh"
DIGEST = "registry.redhat.io/rhdh/rhdh-hub-rhel9@sha256:" + "0" * 64


def get(cluster, *args) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def free_server() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}"


def containers(cluster, deployment: str) -> dict:
    spec = get(cluster, "deployment", deployment, "-n", NS)["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec["containers"]}


# ----- refused before any request (no cluster answers at the address: a request would say so) ----------------
def test_a_bad_name_is_refused_before_any_request():
    result = run_module("rhdh_info", {"host": free_server(), "api_key": "x", "validate_certs": False,
                                      "namespace": "AI_RHDH"}, None)
    assert result.get("failed")
    assert "namespace 'AI_RHDH' is not a DNS-1123 label" in result["msg"] and "nothing was sent" in result["msg"], result["msg"]
    result = run_role({"host": free_server(), "api_key": "x", "validate_certs": False,
                       "registries": ["Prod_Registry"]}, None)
    assert result["failed"] and "registries item 'Prod_Registry'" in result["msg"], result["msg"]
    assert "nothing was sent" in result["msg"] and "cannot reach" not in result["output"]


def test_an_unquoted_1_10_is_refused_with_the_hint_before_any_request():
    # YAML reads rhdh_version: 1.10 as the float 1.1
    result = run_module("rhdh_info", {"host": free_server(), "api_key": "x", "validate_certs": False,
                                      "namespace": "ai-rhdh", "rhdh_version": 1.10}, None)
    assert result.get("failed") and "unquoted 1.10 in YAML is read as the number 1.1" in result["msg"], result["msg"]
    result = run_role({"host": free_server(), "api_key": "x", "validate_certs": False, "rhdh_version": 1.10}, None)
    assert result["failed"] and "unquoted 1.10 in YAML is read as the number 1.1" in result["msg"], result["msg"]
    assert "cannot reach" not in result["output"]


def test_an_unreachable_server_from_K8S_AUTH_HOST_is_named(monkeypatch):
    server = free_server()
    monkeypatch.setenv("K8S_AUTH_HOST", server)
    monkeypatch.setenv("K8S_AUTH_API_KEY", "not-a-token")
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "false")
    result = run_module("rhoai_info", {}, None)
    assert result.get("failed") and result["msg"].startswith(f"cannot reach the API server at {server}"), result["msg"]


# ----- a Helm install (the real chart) -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def helm(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-helm")


def playbook(cluster, book: str, *args: str) -> subprocess.CompletedProcess:
    """ansible-playbook as the demo runs it: with inventories/localhost and no warning switched off."""
    env = ansible_env(cluster.kubeconfig)
    env.pop("ANSIBLE_LOCALHOST_WARNING", None)
    env.pop("ANSIBLE_INVENTORY_UNPARSED_WARNING", None)
    cmd = [_playbook_bin(), "-i", str(ROOT / "inventories" / "localhost"), str(ROOT / "playbooks" / book), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def report_of(output: str) -> list[str]:
    """The lines of the role's report task (a debug of a list)."""
    part = output.split("TASK [rhdh.ai_connector.rhoai_connector : Report | The prerequisite verdicts", 1)[1]
    part = part.split("\nTASK [", 1)[0]
    return [json.loads(line.strip().rstrip(",")) for line in part.split("\n") if line.strip().startswith('"')
            and not line.strip().startswith('"msg"')]


def test_check_mode_says_would_create_and_the_report_is_readable(helm):
    run = playbook(helm, "install.yml", "--check")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    out = run.stdout + run.stderr
    assert "No inventory was parsed" not in out and "provided hosts list is empty" not in out
    lines = report_of(run.stdout)
    assert lines and not any("{'check'" in line for line in lines), lines
    assert any(line.startswith("WOULD CREATE  Secret ai-rhdh/rhdh-rhoai-connector-token") for line in lines), lines
    assert not any(line.startswith("FAIL") for line in lines), lines
    assert any("RHDH 1.8 (helm install" in line for line in lines), lines


def test_empty_survey_answers_mean_not_set(helm):
    survey = {"namespace": NS, "name": "", "rhdh_version": "", "registries": "", "registries_namespace": "",
              "plugin_registry": "", "image_registry": "", "plugins_configmap": "", "datasciencecluster": ""}
    result = run_role(survey, helm.kubeconfig)
    assert not result["failed"], result["msg"]
    bindings = [b["metadata"]["name"] for b in get(helm, "rolebindings", "-n", "rhoai-model-registries")["items"]]
    assert "rhdh-rhoai-dashboard-permissions-registry-prod" in bindings, bindings
    assert not any(name.endswith("-") for name in bindings), bindings
    plugins = get(helm, "configmap", "rhdh-dynamic-plugins", "-n", NS)["data"]["dynamic-plugins.yaml"]
    assert "oci:///" not in plugins and "oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/" in plugins
    images = {n: c["image"] for n, c in containers(helm, "rhdh-developer-hub").items() if n in ("location", "rhoai-normalizer")}
    assert all(i.startswith("quay.io/redhat-ai-dev/model-catalog-") for i in images.values()), images


def test_the_report_sums_the_permission_checks_in_one_line(helm):
    run = playbook(helm, "verify.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    lines = report_of(run.stdout)
    access = [line for line in lines if "permissions" in line and "system:serviceaccount:" in line]
    assert len(access) == 1 and access[0].startswith("OK") and "all 21 permissions allowed" in access[0], lines
    assert not any(" may get " in line or " may list " in line for line in lines), lines


def test_sidecar_env_and_resources_by_container_name_and_no_patch_on_rerun(helm):
    args = {"namespace": NS, "deployment": "rhdh-developer-hub", "wait": True, "wait_timeout": 120,
            "env": {"rhoai-normalizer": {"POLLING_INTERVAL": "1m"}},
            "resources": {"rhoai-normalizer": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}}}
    result = run_module("rhdh_sidecar_patch", args, helm.kubeconfig)
    assert not result.get("failed"), result.get("msg")
    live = containers(helm, "rhdh-developer-hub")
    env = {e["name"]: e.get("value") for e in live["rhoai-normalizer"]["env"]}
    assert env["POLLING_INTERVAL"] == "1m"
    assert "POLLING_INTERVAL" not in {e["name"] for e in live["location"]["env"]}
    assert "resources" not in live["location"] or not live["location"]["resources"]
    assert live["rhoai-normalizer"]["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}  # as the API server writes them
    since = time.time()
    again = run_module("rhdh_sidecar_patch", args, helm.kubeconfig)
    assert again["changed"] is False and our_writes(helm, since) == []


def test_a_foreign_container_named_location_is_refused_and_kept(helm):
    assert not run_module("rhdh_sidecar_patch", {"namespace": NS, "deployment": "rhdh-developer-hub", "state": "absent",
                                                 "wait": True, "wait_timeout": 120}, helm.kubeconfig).get("failed")
    helm.kubectl("patch", "deployment", "rhdh-developer-hub", "-n", NS, "--type", "strategic", "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "location", "image": "quay.io/example/geo-location:2"}]}}}}))
    try:
        since = time.time()
        result = run_module("rhdh_sidecar_patch", {"namespace": NS, "deployment": "rhdh-developer-hub"}, helm.kubeconfig)
        assert result.get("failed")
        assert "container location of Deployment ai-rhdh/rhdh-developer-hub is not the connector's" in result["msg"], result["msg"]
        assert our_writes(helm, since) == []
        removed = run_module("rhdh_sidecar_patch", {"namespace": NS, "deployment": "rhdh-developer-hub", "state": "absent"},
                             helm.kubeconfig)
        assert not removed.get("failed") and containers(helm, "rhdh-developer-hub")["location"]["image"] == "quay.io/example/geo-location:2"
    finally:
        helm.kubectl("patch", "deployment", "rhdh-developer-hub", "-n", NS, "--type", "strategic", "-p", json.dumps(
            {"spec": {"template": {"spec": {"containers": [{"name": "location", "$patch": "delete"}]}}}}))


def helm_release_secret(cluster) -> None:
    """The release Secret `helm install` writes, when the scenario did not install the chart with Helm itself."""
    found = get(cluster, "secrets", "-n", NS, "-l", "owner=helm,name=rhdh,status=deployed")["items"]
    if found:
        return
    release = {"name": "rhdh", "chart": {"metadata": {"name": "backstage", "version": "4.5.16"}}}
    data = base64.b64encode(base64.b64encode(gzip.compress(json.dumps(release).encode()))).decode()
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1", "data": {"release": data},
        "metadata": {"name": "sh.helm.release.v1.rhdh.v1", "namespace": NS,
                     "labels": {"owner": "helm", "name": "rhdh", "status": "deployed", "version": "1"}}}))


def test_helm_version_comes_from_the_rhdh_chart_when_the_image_is_pinned_by_digest(helm):
    image = containers(helm, "rhdh-developer-hub")["backstage-backend"]["image"]
    helm_release_secret(helm)
    helm.kubectl("set", "image", "deployment/rhdh-developer-hub", "-n", NS, f"backstage-backend={DIGEST}")
    try:
        info = run_module("rhdh_info", {"namespace": NS}, helm.kubeconfig)
        assert not info.get("failed"), info.get("msg")
        assert info["rhdh_version"] == "1.8", info
        assert info["rhdh_version_source"].startswith("the RHDH chart backstage-4.5."), info["rhdh_version_source"]
    finally:
        helm.kubectl("set", "image", "deployment/rhdh-developer-hub", "-n", NS, f"backstage-backend={image}")


def test_errors_name_refused_credentials_and_a_missing_namespace(helm):
    refused = run_module("rhdh_info", {"namespace": NS, "host": helm.server, "api_key": "not-a-token",
                                       "validate_certs": False}, None)
    assert refused.get("failed") and "refused the credentials (401 Unauthorized)" in refused["msg"], refused
    assert helm.server in refused["msg"] and "Fix:" in refused["msg"]
    missing = run_module("rhdh_info", {"namespace": "no-such-ns"}, helm.kubeconfig)
    assert missing.get("failed") and missing["msg"].startswith("namespace no-such-ns does not exist"), missing["msg"]


# ----- an operator install (OLM pins the image by digest) -------------------------------------------------------
def test_operator_version_from_the_csv_not_from_served_versions_two_releases_share(module_cluster_factory):
    cluster = module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")
    # as OLM installs run it: the backend image pinned by digest (set through the CR: the operator owns the Deployment)
    cluster.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "merge", "-p", json.dumps(
        {"spec": {"deployment": {"patch": {"spec": {"template": {"spec": {"containers": [
            {"name": "backstage-backend", "image": DIGEST}]}}}}}}}))
    for _ in range(120):
        if containers(cluster, "backstage-developer-hub")["backstage-backend"]["image"] == DIGEST:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the operator did not render the digest-pinned image into Deployment backstage-developer-hub")
    # the served Backstage versions (v1alpha4, v1alpha5) are 1.10's and 2.0's alike: they tell nothing
    served = run_module("rhdh_info", {"namespace": NS}, cluster.kubeconfig)
    assert served["rhdh_version"] is None and served["plugin_tags"] is None, served
    assert "fit RHDH 1.10 and 2.0 alike" in served["rhdh_version_source"], served["rhdh_version_source"]
    assert "Fix: set rhoai_connector_rhdh_version" in served["plugin_tags_error"], served["plugin_tags_error"]
    ensure_rhdh_operator_csv(cluster, "1.10.2")  # as OLM makes it in the operator's namespace
    from_csv = run_module("rhdh_info", {"namespace": NS}, cluster.kubeconfig)
    assert from_csv["rhdh_version"] == "1.10"
    assert from_csv["rhdh_version_source"] == "ClusterServiceVersion rhdh-operator/rhdh-operator.v1.10.2", from_csv
    given = run_module("rhdh_info", {"namespace": NS, "rhdh_version": "1.10.0"}, cluster.kubeconfig)
    assert given["rhdh_version"] == "1.10" and given["rhdh_version_source"].startswith("given")


# ----- Open Data Hub: the guide's name for the registry RoleBinding ---------------------------------------------
def test_odh_registry_rolebinding_is_named_as_the_guide_asks(module_cluster_factory):
    cluster = module_cluster_factory("odh", "rhdh-helm")
    result = run_role({"namespace": NS, "verify": False}, cluster.kubeconfig)
    assert not result["failed"], result["msg"]
    names = [b["metadata"]["name"] for b in get(cluster, "rolebindings", "-n", "odh-model-registries")["items"]]
    assert "rhdh-odh-dashboard-permissions-odh-registry" in names, names
    assert not any(n.startswith("rhdh-rhoai-dashboard-permissions") for n in names), names
