"""The plugin-only connector (RHDH 2.x) on the real RHDH operator 2.0 and OpenShift AI 3.x, as users run
it (playbooks/*.yml): what the pod the operator renders runs, the catalog.rules in effect over the
pod's app-config files, the disabled state, a move that stopped halfway, and the refusals (a later
app-config file that takes the connector's kind away, a Helm install of 2.x), each without a write.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import yaml

from ansible_run import PlaybookRun, describe, our_writes, run_playbook
from testbed.build import rhdh_chart
from testbed.kube import rolled_out, wait_for
from testbed.scenarios import DATA, ensure_rhdh_operator_csv, upgrade_operator

NS = "ai-rhdh"
ROLE_VARS = {"rhoai_connector_rhdh_namespace": NS}
WORKLOAD = "backstage-developer-hub"
SIDECARS = {"location", "storage-rest", "rhoai-normalizer"}
OURS = "/opt/app-root/src/app-config.rhoai-connector.yaml"
KSERVE = "rhdh-kserve-kubeflow-connector"
PREFIX = "Preflight refused, nothing was changed: "


def get(cluster, *args) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def backend(cluster) -> dict:
    pod = get(cluster, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]["spec"]
    return next(c for c in pod["containers"] if c["name"] == "backstage-backend")


def pod_containers(cluster) -> set[str]:
    return {c["name"] for c in get(cluster, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]["spec"]["containers"]}


def token_env(cluster) -> list[dict]:
    return [e["valueFrom"]["secretKeyRef"] for e in backend(cluster).get("env") or [] if e["name"] == "token"]


def connector_doc(cluster) -> dict:
    cm = get(cluster, "configmap", "rhdh-rhoai-connector-app-config", "-n", NS)
    return yaml.safe_load(cm["data"]["app-config.rhoai-connector.yaml"])


def plugins(cluster) -> list[dict]:
    return yaml.safe_load(get(cluster, "configmap", "dynamic-plugins-rhdh", "-n", NS)["data"]["dynamic-plugins.yaml"])["plugins"]


def run(cluster, playbook: str = "install", *args: str, **extra) -> PlaybookRun:
    return run_playbook(f"playbooks/{playbook}.yml", cluster.kubeconfig, dict(ROLE_VARS, **extra), extra_args=list(args))


def refusal(run_: PlaybookRun) -> str:
    fatal = [line for line in run_.output.splitlines() if "FAILED! => " in line]
    assert run_.rc != 0 and fatal, run_.output[-3000:]
    return json.loads(fatal[-1].split("FAILED! => ", 1)[1]).get("msg", "")


@pytest.fixture(scope="module")
def rhdh20(module_cluster_factory):
    """The real RHDH operator 2.0, told by its ClusterServiceVersion, on OpenShift AI 3.x."""
    cluster = module_cluster_factory("rhoai-3.x", "rhdh-operator-2.0")
    ensure_rhdh_operator_csv(cluster, "2.0.0")
    return cluster


@pytest.fixture
def connected(rhdh20):
    """The plugin-only connector installed; uninstalled afterwards, and the pod given back."""
    first = run(rhdh20)
    assert first.rc == 0, first.output[-4000:]
    yield rhdh20
    removed = run(rhdh20, "uninstall")
    assert removed.rc == 0, removed.output[-4000:]
    assert token_env(rhdh20) == [] and OURS not in backend(rhdh20)["args"]
    assert rhdh20.kubectl("get", "clusterrole", KSERVE, check=False).returncode != 0


def test_on_openshift_ai_3_the_connector_reads_llminferenceservices_and_the_model_catalog(connected):
    rules = get(connected, "clusterrole", KSERVE)["rules"]
    assert {r for rule in rules for r in rule["resources"]} == {
        "inferenceservices", "llminferenceservices", "routes", "serviceaccounts"}
    entry = connector_doc(connected)["catalog"]["providers"]["modelCatalog"]["kserve-kubeflow-connector"]["rhoai"]
    route = get(connected, "route", "model-catalog-https", "-n", "rhoai-model-registries")
    assert entry["kubeflow-model-catalog-url"] == "https://" + route["status"]["ingress"][0]["host"]
    secret = get(connected, "secret", f"{KSERVE}-token", "-n", NS)
    assert entry["caData"] == secret["data"]["ca.crt"] and entry["serviceAccountToken"] == "${token}"
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert token not in json.dumps(get(connected, "configmap", "-n", NS))  # the token is in no ConfigMap
    assert not SIDECARS & pod_containers(connected)
    report = run(connected, "verify")
    assert report.rc == 0, report.output[-4000:]
    assert f"system:serviceaccount:{NS}:{KSERVE}: all 12 permissions allowed" in report.output
    assert token not in report.output


def test_the_users_rules_are_kept_and_a_later_file_that_drops_the_kind_is_refused_without_a_write(connected):
    user = yaml.safe_load(get(connected, "configmap", "app-config-rhdh", "-n", NS)["data"]["app-config.yaml"])
    assert connector_doc(connected)["catalog"]["rules"] == user["catalog"]["rules"] + [{"allow": ["AiModelServerAPI"]}]
    # a file the user adds after the connector's, with rules of its own
    connected.kubectl("create", "configmap", "app-config-late", "-n", NS,
                      "--from-literal=app-config-late.yaml=catalog:\n  rules:\n    - allow: [Component, API]\n")
    cr = get(connected, "backstage", "developer-hub", "-n", NS)
    refs = cr["spec"]["application"]["appConfig"]["configMaps"]
    patched = refs + [{"name": "app-config-late"}]
    connected.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "merge", "-p",
                      json.dumps({"spec": {"application": {"appConfig": {"configMaps": patched}}}}))
    try:
        wait_for("the operator to pass app-config-late.yaml",
                 lambda: "/opt/app-root/src/app-config-late.yaml" in backend(connected)["args"], 60, 0.5)
        since = time.time()
        refused = run(connected)
        msg = refusal(refused)
        assert msg.startswith(PREFIX), msg
        assert (f"ConfigMap {NS}/app-config-late key app-config-late.yaml is read after the connector's app-config and "
                "sets catalog.rules without kind AiModelServerAPI") in msg, msg
        assert "Fix: add AiModelServerAPI to that catalog.rules" in msg
        assert our_writes(connected, since) == [], describe(our_writes(connected, since))
    finally:
        connected.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "merge", "-p",
                          json.dumps({"spec": {"application": {"appConfig": {"configMaps": refs}}}}))
        connected.kubectl("delete", "configmap", "app-config-late", "-n", NS)
        wait_for("the operator to drop app-config-late.yaml",
                 lambda: "/opt/app-root/src/app-config-late.yaml" not in backend(connected)["args"], 60, 0.5)


def test_disabled_keeps_rbac_disables_the_four_plugins_and_takes_the_token_out_of_the_pod(connected):
    disabled = run(connected, "disable")
    assert disabled.rc == 0, disabled.output[-4000:]
    ours = [p for p in plugins(connected) if "kserve-kubeflow-connector" in p["package"] or "model-catalog" in p["package"]
            or "ai-model-server" in p["package"] or "techdoc-url-reader" in p["package"]]
    assert len(ours) == 4 and all(p.get("disabled") for p in ours), ours
    assert token_env(connected) == []
    assert connected.kubectl("get", "serviceaccount", KSERVE, "-n", NS, check=False).returncode == 0
    again = run(connected, "disable")
    assert again.rc == 0 and again.changed == 0, again.output[-3000:]
    enabled = run(connected)
    assert enabled.rc == 0, enabled.output[-4000:]
    assert token_env(connected) == [{"name": f"{KSERVE}-token", "key": "token"}]
    rerun = run(connected)
    assert rerun.rc == 0 and rerun.changed == 0, rerun.output[-3000:]
    assert our_writes(connected, rerun.started) == []


def test_a_move_stopped_halfway_is_finished_by_the_next_run(module_cluster_factory):
    cluster = module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")
    first = run(cluster)
    assert first.rc == 0 and SIDECARS <= pod_containers(cluster), first.output[-3000:]
    ensure_rhdh_operator_csv(cluster, "2.0.0")
    upgrade_operator(cluster, "2.0")
    wait_for("the 2.0 operator to render its image",
             lambda: backend(cluster)["image"] == "quay.io/rhdh-community/rhdh:next", 60, 0.5)
    # the move stops after RBAC, plugins and app-config: the pod still has the sidecars
    half = run(cluster, "install", "--skip-tags", "sidecars,verify")
    assert half.rc == 0, half.output[-3000:]
    assert SIDECARS <= pod_containers(cluster)
    assert cluster.kubectl("get", "serviceaccount", "rhdh-rhoai-connector", "-n", NS, check=False).returncode != 0
    report = run(cluster, "verify")
    assert report.rc != 0 and "the pod template still has sidecars" in report.output, report.output[-3000:]
    finish = run(cluster)
    assert finish.rc == 0, finish.output[-4000:]
    assert not SIDECARS & pod_containers(cluster)
    assert token_env(cluster) == [{"name": f"{KSERVE}-token", "key": "token"}]
    rerun = run(cluster)
    assert rerun.rc == 0 and rerun.changed == 0, rerun.output[-3000:]
    assert our_writes(cluster, rerun.started) == []


def test_a_helm_install_of_rhdh_2_is_refused_without_a_write(cluster_factory):
    cluster = cluster_factory("rhoai-2.25", "rhdh-helm-developer-hub")
    upgraded = cluster.helm("upgrade", "developer-hub", str(rhdh_chart()), "--namespace", NS, "--values",
                            str(DATA / "rhdh-helm-values.yaml"), "--set", "upstream.backstage.image.tag=2.0")
    assert "STATUS: deployed" in upgraded.stdout, upgraded.stdout + upgraded.stderr
    kube = cluster.kube()
    wait_for("the Helm Deployment to roll out", lambda: rolled_out(kube, NS, "developer-hub"), 180)
    since = time.time()
    msg = refusal(run(cluster))
    assert msg.startswith(PREFIX), msg
    assert f"Deployment {NS}/developer-hub is a Helm install of RHDH 2.x" in msg, msg
    assert our_writes(cluster, since) == [], describe(our_writes(cluster, since))
