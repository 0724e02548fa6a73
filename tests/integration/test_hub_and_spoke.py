"""Hub and spoke: RHDH (the real RHDH 2.0 operator) on one testbed cluster, OpenShift AI on another, as
users run it (playbooks/install.yml and uninstall.yml with rhoai_connector_rhoai_kubeconfig).

Each run is checked on both clusters: the objects each one holds, the provider entry naming the OpenShift
AI cluster's API server and CA, the pod's token variable from the collection's copy of the token, no
write by the collection in either API server's audit log on a re-run or a refusal, and both clusters as
they were after the uninstall. The token itself must show in no ConfigMap and no output.

The testbed's clusters listen on 127.0.0.1 (rhoai_connector_rhoai_url_reachable says so); whether a real
pod on the hub reaches the spoke's API server is what the testbed cannot show.
"""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
import yaml

from ansible_run import PlaybookRun, describe, our_writes, run_playbook
from testbed.kube import wait_for

NS = "ai-rhdh"
WORKLOAD = "backstage-developer-hub"
PREFIX = "Preflight refused, nothing was changed: "
COPY = "rhdh-kserve-kubeflow-connector-rhoai-token"
TOKEN = "rhdh-kserve-kubeflow-connector-token"
CONNECTOR = "rhdh-kserve-kubeflow-connector"
APP_CONFIG = "rhdh-rhoai-connector-app-config"
ENTRY = ("catalog", "providers", "modelCatalog", "kserve-kubeflow-connector", "rhoai")


@pytest.fixture(scope="module")
def hub(module_cluster_factory):
    """The real RHDH 2.0 operator (the scenario serves it OpenShift's APIServer settings, which it watches)."""
    return module_cluster_factory("rhdh-operator-2.0")


@pytest.fixture(scope="module")
def spoke(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25")


def hub_vars(spoke, **extra) -> dict:
    return dict({"rhoai_connector_rhdh_namespace": NS, "rhoai_connector_rhdh_version": "2.0",
                 "rhoai_connector_rhoai_kubeconfig": str(spoke.kubeconfig), "rhoai_connector_rhoai_url_reachable": True},
                **extra)


def run(book: str, hub, spoke, **extra) -> PlaybookRun:
    return run_playbook(f"playbooks/{book}.yml", hub.kubeconfig, hub_vars(spoke, **extra))


def get(cluster, *args, check=True) -> dict | None:
    proc = cluster.kubectl("get", *args, "-o", "json", check=check)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def names(cluster, kind: str, *args) -> set[str]:
    return {item["metadata"]["name"] for item in get(cluster, kind, *args)["items"]}


def fail_message(result: PlaybookRun) -> str:
    fatal = [line for line in result.output.splitlines() if "FAILED! => " in line]
    assert fatal, result.output[-3000:]
    return json.loads(fatal[-1].split("FAILED! => ", 1)[1]).get("msg", "")


def no_writes(since: float, *clusters) -> None:
    for cluster in clusters:
        writes = our_writes(cluster, since)
        assert writes == [], (cluster.name, describe(writes))


def user_configmaps(hub) -> dict:
    """The user's ConfigMaps in RHDH's namespace, by name. Those the operator renders from them (owned by the Backstage
    CR) it may re-render in another order after the user's were edited and given back, which is the operator's doing,
    not the collection's."""
    return {c["metadata"]["name"]: c.get("data") for c in get(hub, "configmaps", "-n", NS)["items"]
            if "Backstage" not in [o.get("kind") for o in c["metadata"].get("ownerReferences") or []]}


def snapshot(hub, spoke) -> dict:
    """What the collection may touch on either cluster, to compare after the uninstall."""
    cr = get(hub, "backstage", "developer-hub", "-n", NS)
    return {"cr_spec": cr["spec"], "configmaps": user_configmaps(hub), "secrets": names(hub, "secrets", "-n", NS),
            "hub_clusterroles": names(hub, "clusterroles"),
            "spoke_namespaces": names(spoke, "namespaces"), "spoke_clusterroles": names(spoke, "clusterroles"),
            "spoke_clusterrolebindings": names(spoke, "clusterrolebindings")}


def backend(hub) -> dict:
    pod = get(hub, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]["spec"]
    return next(c for c in pod["containers"] if c["name"] == "backstage-backend")


def pod_hash(hub) -> str | None:
    """The hash of the external config (the Secrets and ConfigMaps the CR names) on RHDH's pod template."""
    template = get(hub, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]
    return (template["metadata"].get("annotations") or {}).get("rhdh.redhat.com/ext-config-hash")


def provider_entry(hub) -> dict:
    doc = yaml.safe_load(get(hub, "configmap", APP_CONFIG, "-n", NS)["data"]["app-config.rhoai-connector.yaml"])
    for key in ENTRY:
        doc = doc[key]
    return doc


def assert_token_nowhere(hub, token_b64: str, *outputs: str) -> None:
    """Neither the token nor its base64 form in any ConfigMap of the hub or in the runs' output."""
    token = base64.b64decode(token_b64).decode()
    for item in get(hub, "configmaps", "-A")["items"]:
        text = json.dumps(item.get("data") or {})
        assert token not in text and token_b64 not in text, item["metadata"]["name"]
    for output in outputs:
        assert token not in output and token_b64 not in output


def test_refusals_name_the_variable_and_write_nothing_on_either_cluster(hub, spoke):
    since = time.time()
    loopback = run("install", hub, spoke, rhoai_connector_rhoai_url_reachable=False)
    assert loopback.rc != 0
    msg = fail_message(loopback)
    assert msg.startswith(PREFIX), msg
    assert f"({spoke.server}) is a loopback address" in msg and "rhoai_connector_rhoai_url_reachable: true" in msg, msg

    in_cluster = run("install", hub, spoke, rhoai_connector_rhoai_url="https://kubernetes.default.svc.cluster.local")
    msg = fail_message(in_cluster)
    assert "names a cluster's own API server or a Service" in msg and "Fix: set rhoai_connector_rhoai_url" in msg, msg

    no_writes(since, hub, spoke)
    assert get(spoke, "namespace", NS, check=False) is None


def test_converge_on_two_clusters_rerun_rotation_second_spoke_and_uninstall(hub, spoke, module_cluster_factory):
    before = snapshot(hub, spoke)
    # a preview (--check --diff) on the fresh pair: server-side dry runs only, on either cluster, and no token shown
    since = time.time()
    preview = run_playbook("playbooks/install.yml", hub.kubeconfig, hub_vars(spoke), check=True, diff=True)
    assert preview.rc == 0, preview.output[-3000:]
    for cluster in (hub, spoke):
        real = [e for e in our_writes(cluster, since) if "dryRun=All" not in (e.get("requestURI") or "")]
        assert real == [], (cluster.name, describe(real))
    assert get(spoke, "namespace", NS, check=False) is None

    first = run("install", hub, spoke)
    assert first.rc == 0, first.output[-3000:]
    try:
        # the RHOAI cluster: the connector's namespace, ServiceAccount, read-only ClusterRole/Binding and token
        assert get(spoke, "namespace", NS)["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "rhdh.ai_connector"
        assert get(spoke, "serviceaccount", CONNECTOR, "-n", NS)
        binding = get(spoke, "clusterrolebinding", CONNECTOR)
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": CONNECTOR, "namespace": NS}], binding
        token = get(spoke, "secret", TOKEN, "-n", NS)["data"]
        # the RHDH cluster: none of those, the copy of the token, the provider entry naming the RHOAI cluster
        assert get(hub, "serviceaccount", CONNECTOR, "-n", NS, check=False) is None
        assert get(hub, "clusterrole", CONNECTOR, check=False) is None
        copy = get(hub, "secret", COPY, "-n", NS)
        assert copy["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "rhdh.ai_connector"
        assert copy["metadata"]["annotations"]["rhdh.ai-connector/rhoai-url"] == spoke.server
        assert copy["data"]["token"] == token["token"] and copy["data"]["ca.crt"] == token["ca.crt"]
        entry = provider_entry(hub)
        assert entry["url"] == spoke.server and entry["serviceAccountToken"] == "${token}", entry
        assert entry["caData"] == token["ca.crt"], entry
        # the pod the operator rendered takes the token from the copy
        refs = [e["valueFrom"]["secretKeyRef"] for e in backend(hub).get("env") or [] if e["name"] == "token"]
        assert refs == [{"name": COPY, "key": "token"}], backend(hub).get("env")
        assert f"url {spoke.server}, serviceAccountToken ${{token}}" in first.output
        # the connector's permissions are asked on the RHOAI cluster, where its ServiceAccount is
        assert re.search(rf"system:serviceaccount:{NS}:{CONNECTOR} \(OpenShift AI cluster\): all \d+ permissions allowed",
                         first.output), first.output[-3000:]

        # a re-run writes nothing on either cluster
        since = time.time()
        again = run("install", hub, spoke)
        assert again.rc == 0 and "changed=0" in again.output, again.output[-3000:]
        no_writes(since, hub, spoke)
        assert_token_nowhere(hub, token["token"], preview.output, first.output, again.output)

        # the token changes on the RHOAI cluster: the copy follows, nothing else is written on the RHDH cluster. (A
        # legacy token names the ServiceAccount's uid and no time: a Secret made anew for the same ServiceAccount holds
        # the same token; a ServiceAccount made anew gives a new one.)
        hashed = pod_hash(hub)
        spoke.kubectl("delete", "serviceaccount", CONNECTOR, "-n", NS)
        spoke.kubectl("delete", "secret", TOKEN, "-n", NS, "--ignore-not-found")
        since = time.time()
        rotated = run("install", hub, spoke)
        assert rotated.rc == 0, rotated.output[-3000:]
        new = get(spoke, "secret", TOKEN, "-n", NS)["data"]
        assert new["token"] != token["token"]
        assert get(hub, "secret", COPY, "-n", NS)["data"]["token"] == new["token"]
        assert [(e["verb"], e["objectRef"]["resource"], e["objectRef"]["name"]) for e in our_writes(hub, since)] == [
            ("update", "secrets", COPY)], describe(our_writes(hub, since))
        assert_token_nowhere(hub, new["token"], rotated.output)
        # the RHDH operator watches the Secrets of extraEnvs: the pod rolls out with the new token
        wait_for("the operator to roll RHDH's pod out with the new token", lambda: pod_hash(hub) != hashed, 60, 0.5)

        # a second OpenShift AI cluster for the same RHDH is refused, writing nothing on any of the three
        other = module_cluster_factory("rhoai-3.x")
        since = time.time()
        second = run("install", hub, other)
        msg = fail_message(second)
        assert msg.startswith(PREFIX), msg
        assert f"holds the token of the OpenShift AI cluster at {spoke.server}" in msg, msg
        assert f"a second OpenShift AI cluster ({other.server})" in msg and "rhoai_connector_state: absent" in msg, msg
        no_writes(since, hub, spoke, other)
        assert get(other, "namespace", NS, check=False) is None
    finally:
        removed = run("uninstall", hub, spoke)
        assert removed.rc == 0, removed.output[-3000:]

    # uninstall leaves both clusters as they were (the RHOAI cluster's namespace goes once it is emptied)
    assert get(hub, "secret", COPY, "-n", NS, check=False) is None
    assert [e for e in backend(hub).get("env") or [] if e["name"] == "token"] == []
    wait_for(f"namespace {NS} to go from the RHOAI cluster", lambda: get(spoke, "namespace", NS, check=False) is None, 60, 0.5)
    after = snapshot(hub, spoke)
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_fleet_one_row_per_pair_an_unreachable_spoke_and_a_second_spoke_stop_nothing_else(hub, spoke, tmp_path):
    """fleet.yml over an inventory where each OpenShift AI cluster names its RHDH hub (fleet_rhdh_hub): the
    reachable pair converges; a spoke whose API server is down is reported unreachable; a second spoke for
    the same hub is refused without a request; the hubs have no row of their own."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    hosts = {
        "hub-a": {"rhoai_connector_kubeconfig": str(hub.kubeconfig), "rhoai_connector_rhdh_namespace": NS,
                  "rhoai_connector_rhdh_version": "2.0"},
        "hub-b": {"rhoai_connector_kubeconfig": str(hub.kubeconfig), "rhoai_connector_rhdh_namespace": "rhdh-b",
                  "rhoai_connector_rhdh_version": "2.0"},
        "ai-east": {"fleet_rhdh_hub": "hub-a", "rhoai_connector_kubeconfig": str(spoke.kubeconfig)},
        "ai-down": {"fleet_rhdh_hub": "hub-b", "rhoai_connector_host": f"https://127.0.0.1:{closed}",
                    "rhoai_connector_api_key": "not-a-token", "rhoai_connector_validate_certs": False},
        "ai-second": {"fleet_rhdh_hub": "hub-a", "rhoai_connector_kubeconfig": str(spoke.kubeconfig)},
        "ai-bare": {"fleet_rhdh_hub": "hub-c"},  # no connection of its own: it would connect the hub to itself
        "hub-c": {"rhoai_connector_kubeconfig": str(hub.kubeconfig), "rhoai_connector_rhdh_namespace": NS},
    }
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"fleet": {"hosts": hosts, "vars": {"rhoai_connector_rhoai_url_reachable": True}}},
                                        sort_keys=False))
    report_dir = tmp_path / "report"
    since = time.time()
    fleet = run_playbook("playbooks/fleet.yml", None, {"fleet_report_dir": str(report_dir), "fleet_batches": "100%"},
                         extra_args=["-i", str(inventory)])
    try:
        report = json.loads((report_dir / "fleet-report.json").read_text())
        rows = {c["name"]: c for c in report["clusters"]}
        assert set(rows) == {"ai-east", "ai-down", "ai-second", "ai-bare"}, sorted(rows)
        assert rows["ai-east"]["status"] == "changed" and rows["ai-east"]["rhdh_hub"] == "hub-a", rows["ai-east"]["error"]
        assert rows["ai-east"]["verify"]["ok"] is True, rows["ai-east"]["verify"]
        assert rows["ai-down"]["status"] == "unreachable", rows["ai-down"]
        assert "RHDH hub hub-b" in rows["ai-down"]["error"]["fix"], rows["ai-down"]["error"]
        assert rows["ai-second"]["status"] == "refused", rows["ai-second"]
        assert "hub-a is the RHDH hub of ai-east" in rows["ai-second"]["error"]["message"], rows["ai-second"]["error"]
        assert rows["ai-bare"]["status"] == "refused", rows["ai-bare"]
        assert "has no connection of its own" in rows["ai-bare"]["error"]["message"], rows["ai-bare"]["error"]
        assert report["totals"]["clusters"] == 4 and report["totals"]["changed"] == 1, report["totals"]
        markdown = (report_dir / "fleet-report.md").read_text()
        assert "| ai-east (RHDH on hub-a) | changed |" in markdown, markdown
        assert fleet.rc == 2, fleet.output[-3000:]  # the clusters that did not converge fail the recap
        assert "not-a-token" not in fleet.output
        copy = get(hub, "secret", COPY, "-n", NS)
        assert copy["metadata"]["annotations"]["rhdh.ai-connector/rhoai-url"] == spoke.server
        assert get(hub, "namespace", "rhdh-b", check=False) is None
    finally:
        removed = run("uninstall", hub, spoke)
        assert removed.rc == 0, removed.output[-3000:]
    assert our_writes(spoke, since) and get(hub, "secret", COPY, "-n", NS, check=False) is None


SIDECAR_SA = "rhdh-rhoai-connector"
SIDECAR_TOKEN = "rhdh-rhoai-connector-token"


@pytest.fixture(scope="module")
def hub_110(module_cluster_factory):
    """The real RHDH 1.10 operator: the sidecar connector."""
    return module_cluster_factory("rhdh-operator-1.10")


def pod_spec(hub) -> dict:
    return get(hub, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]["spec"]


def sidecar_snapshot(hub, spoke) -> dict:
    """What the sidecar connector may touch on either cluster, to compare after the uninstall."""
    cr = get(hub, "backstage", "developer-hub", "-n", NS)
    return {"cr_spec": cr["spec"], "configmaps": user_configmaps(hub), "secrets": names(hub, "secrets", "-n", NS),
            "hub_serviceaccounts": names(hub, "serviceaccounts", "-n", NS), "hub_roles": names(hub, "roles", "-n", NS),
            "hub_clusterroles": names(hub, "clusterroles"), "pod_volumes": [v["name"] for v in pod_spec(hub).get("volumes") or []],
            "spoke_namespaces": names(spoke, "namespaces"), "spoke_clusterroles": names(spoke, "clusterroles"),
            "spoke_rolebindings": names(spoke, "rolebindings", "-A")}


def test_sidecar_connector_reads_the_spoke_through_a_kubeconfig_and_leaves_both_clusters_as_they_were(hub_110, spoke):
    """RHDH 1.10 (the sidecar connector) on the hub: the normalizer reads the OpenShift AI cluster through a kubeconfig
    the collection copies to the hub (mounted, KUBECONFIG set, no token variable); storage-rest and location keep a
    ServiceAccount of the hub, where their cache is. Checked on the pod the real operator rendered."""
    hub = hub_110
    wait_for(f"namespace {NS} to go from the RHOAI cluster", lambda: get(spoke, "namespace", NS, check=False) is None, 90, 0.5)
    before = sidecar_snapshot(hub, spoke)
    # a preview (--check --diff) on the fresh pair: server-side dry runs only, on either cluster
    since = time.time()
    preview = run_playbook("playbooks/install.yml", hub.kubeconfig, hub_vars(spoke, rhoai_connector_rhdh_version=""),
                           check=True, diff=True)
    assert preview.rc == 0, preview.output[-3000:]
    for cluster in (hub, spoke):
        real = [e for e in our_writes(cluster, since) if "dryRun=All" not in (e.get("requestURI") or "")]
        assert real == [], (cluster.name, describe(real))
    assert "rhoai-connector-kubeconfig" in preview.output, preview.output[-3000:]  # the diff shows the volume
    first = run("install", hub, spoke, rhoai_connector_rhdh_version="")
    assert first.rc == 0, first.output[-3000:]
    try:
        # the RHOAI cluster: the ServiceAccount the normalizer reads as, its ClusterRole/Binding and token; no Role
        binding = get(spoke, "clusterrolebinding", SIDECAR_SA)
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": SIDECAR_SA, "namespace": NS}], binding
        assert get(spoke, "role", SIDECAR_SA, "-n", NS, check=False) is None
        token = get(spoke, "secret", SIDECAR_TOKEN, "-n", NS)["data"]
        # the RHDH cluster: the sidecars' own ServiceAccount, a Role on ConfigMaps and Routes, its token; no ClusterRole
        role = get(hub, "role", SIDECAR_SA, "-n", NS)
        assert sorted(r["resources"][0] for r in role["rules"]) == ["configmaps", "routes"], role["rules"]
        assert get(hub, "rolebinding", SIDECAR_SA, "-n", NS)["subjects"][0]["name"] == SIDECAR_SA
        assert get(hub, "clusterrole", SIDECAR_SA, check=False) is None
        local = get(hub, "secret", SIDECAR_TOKEN, "-n", NS)["data"]
        assert local["token"] != token["token"]
        # the copy: a kubeconfig naming the RHOAI cluster's server, CA and the connector's token there
        copy = get(hub, "secret", COPY, "-n", NS)
        assert set(copy["data"]) == {"kubeconfig"}, sorted(copy["data"])
        config = yaml.safe_load(base64.b64decode(copy["data"]["kubeconfig"]))
        assert config["clusters"][0]["cluster"] == {"server": spoke.server, "certificate-authority-data": token["ca.crt"]}
        assert config["users"][0]["user"] == {"token": base64.b64decode(token["token"]).decode()}
        assert config["contexts"][0]["context"]["namespace"] == NS
        # the pod the real operator rendered
        pod = pod_spec(hub)
        containers = {c["name"]: c for c in pod["containers"]}
        normalizer = containers["rhoai-normalizer"]
        assert "envFrom" not in normalizer, normalizer
        assert {"name": "KUBECONFIG", "value": "/opt/app-root/src/rhoai-kubeconfig/kubeconfig"} in normalizer["env"]
        mount = next(m for m in normalizer["volumeMounts"] if m["name"] == "rhoai-connector-kubeconfig")
        assert mount["mountPath"] == "/opt/app-root/src/rhoai-kubeconfig" and mount["readOnly"] is True, mount
        volume = next(v for v in pod["volumes"] if v["name"] == "rhoai-connector-kubeconfig")
        assert volume["secret"]["secretName"] == copy["metadata"]["name"], volume
        for name in ("location", "storage-rest"):
            assert containers[name]["envFrom"] == [{"secretRef": {"name": SIDECAR_TOKEN}}], containers[name]
        assert "lightspeed-core" in containers  # the operator's own sidecar is kept
        assert f"reads the OpenShift AI cluster at {spoke.server} through the kubeconfig" in first.output, first.output[-3000:]
        # verify asks each ServiceAccount's permissions on its own cluster: the normalizer's on the RHOAI cluster
        # (ClusterRole and registry bindings), the sidecars' on the hub (ConfigMaps and Routes: 6 + 3 verbs)
        assert re.search(rf"system:serviceaccount:{NS}:{SIDECAR_SA} \(OpenShift AI cluster\): all \d+ permissions allowed",
                         first.output), first.output[-3000:]
        assert f"system:serviceaccount:{NS}:{SIDECAR_SA}: all 9 permissions allowed" in first.output, first.output[-3000:]

        # a re-run writes nothing on either cluster, and the token shows nowhere
        since = time.time()
        again = run("install", hub, spoke, rhoai_connector_rhdh_version="")
        assert again.rc == 0 and "changed=0" in again.output, again.output[-3000:]
        no_writes(since, hub, spoke)
        assert_token_nowhere(hub, token["token"], first.output, again.output)

        # a new token on the RHOAI cluster: the copy follows, and the pod rolls out (the normalizer reads its
        # kubeconfig when it starts), through a hash of the copy on the CR's pod template; nothing else is written
        def kubeconfig_hash():
            template = get(hub, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]
            return (template["metadata"].get("annotations") or {}).get("rhdh.ai-connector/rhoai-kubeconfig")

        hashed = kubeconfig_hash()
        assert hashed and hashed.startswith("sha256:"), hashed
        spoke.kubectl("delete", "serviceaccount", SIDECAR_SA, "-n", NS)
        spoke.kubectl("delete", "secret", SIDECAR_TOKEN, "-n", NS, "--ignore-not-found")
        since = time.time()
        rotated = run("install", hub, spoke, rhoai_connector_rhdh_version="")
        assert rotated.rc == 0, rotated.output[-3000:]
        new = get(spoke, "secret", SIDECAR_TOKEN, "-n", NS)["data"]
        assert new["token"] != token["token"]
        config = yaml.safe_load(base64.b64decode(get(hub, "secret", COPY, "-n", NS)["data"]["kubeconfig"]))
        assert config["users"][0]["user"]["token"] == base64.b64decode(new["token"]).decode()
        writes = sorted({(e["objectRef"]["resource"], e["objectRef"]["name"]) for e in our_writes(hub, since)
                         if "dryRun=All" not in (e.get("requestURI") or "")})
        assert writes == [("backstages", "developer-hub"), ("secrets", COPY)], describe(our_writes(hub, since))
        assert kubeconfig_hash() not in (None, hashed)
        assert "the OpenShift AI cluster's kubeconfig changed" in rotated.output, rotated.output[-3000:]
        assert_token_nowhere(hub, new["token"], rotated.output)
    finally:
        removed = run("uninstall", hub, spoke, rhoai_connector_rhdh_version="")
        assert removed.rc == 0, removed.output[-3000:]
    names_left = {c["name"] for c in pod_spec(hub)["containers"]}
    assert not names_left & {"location", "storage-rest", "rhoai-normalizer"}, names_left
    wait_for(f"namespace {NS} to go from the RHOAI cluster", lambda: get(spoke, "namespace", NS, check=False) is None, 60, 0.5)
    after = sidecar_snapshot(hub, spoke)
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
