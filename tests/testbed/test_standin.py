"""The stand-in RHDH operator (testbed/standin) behaves like the real one where the collection
depends on it: spec.deployment.patch merged by container name, its own objects re-applied over
direct edits, the user's ConfigMaps labelled but never rewritten, their content hashed into the
pod template, the lightspeed flavour of 1.10, and no writes when nothing changed."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from testbed import Cluster, audit
from testbed.kube import rolled_out, wait_for
from testbed.scenarios import objects

STANDIN_DIR = Path(__file__).resolve().parents[2] / "testbed" / "standin"
NS = "ai-rhdh"
CR = "developer-hub"
WORKLOAD = "backstage-developer-hub"
USER_PLUGINS_CM = "dynamic-plugins-rhdh"
OPERATOR_PLUGINS_CM = "backstage-dynamic-plugins-developer-hub"
SYNC_LABEL = "rhdh.redhat.com/ext-config-sync"
HASH_ANNOTATION = "rhdh.redhat.com/ext-config-hash"
USER_AGENT = "rhdh-operator-standin"
TIMEOUT = 90.0

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def rhdh18(module_cluster_factory: Callable[..., Cluster]) -> Cluster:
    return module_cluster_factory("rhdh-operator-1.8")


def cr_path(version: str) -> str:
    return f"/apis/rhdh.redhat.com/{version}/namespaces/{NS}/backstages/{CR}"


def get(cluster: Cluster, path: str) -> Obj:
    obj = cluster.kube().get_or_none(path)
    assert obj is not None, f"{path} not found"
    return obj


def deployment(cluster: Cluster) -> Obj:
    return get(cluster, f"/apis/apps/v1/namespaces/{NS}/deployments/{WORKLOAD}")


def configmap(cluster: Cluster, name: str) -> Obj:
    return get(cluster, f"/api/v1/namespaces/{NS}/configmaps/{name}")


def pod_spec(cluster: Cluster) -> Obj:
    return deployment(cluster)["spec"]["template"]["spec"]


def names(items: list[Obj]) -> list[str]:
    return [item["name"] for item in items]


def update_cr(cluster: Cluster, version: str, change: Callable[[Obj], None]) -> None:
    """Read the CR, change it, write it back with the resourceVersion read, again on 409
    Conflict (as a client must: the operator writes the status in between, and the API server
    takes no strategic merge patch on custom resources)."""
    for attempt in range(5):
        cr = get(cluster, cr_path(version))
        change(cr)
        try:
            cluster.kube().request("PUT", cr_path(version), body=cr)
            return
        except ApiException as err:
            if err.status != 409 or attempt == 4:
                raise


def patch_containers(cr: Obj) -> list[Obj]:
    spec = cr["spec"].setdefault("deployment", {}).setdefault("patch", {}).setdefault("spec", {})
    return spec.setdefault("template", {}).setdefault("spec", {}).setdefault("containers", [])


def wait_rolled_out(cluster: Cluster, what: str, check: Callable[[Obj], bool]) -> Obj:
    """Wait until the workload satisfies ``check`` and has rolled out; return it."""

    def done() -> Obj | None:
        dep = deployment(cluster)
        return dep if check(dep) and rolled_out(cluster.kube(), NS, WORKLOAD) else None

    result: Obj = wait_for(f"{WORKLOAD} {what} (log: {cluster.operator_log()})", done, TIMEOUT)
    return result


def running_pods(cluster: Cluster) -> list[Obj]:
    pods = json.loads(cluster.kubectl("get", "pods", "-n", NS, "-o", "json").stdout)["items"]
    return [
        p
        for p in pods
        if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    ]


def standin_writes(cluster: Cluster, since: float) -> list[Obj]:
    return cluster.write_requests(since=since, user_agent=USER_AGENT)


def test_go_unit_tests() -> None:
    go = shutil.which("go")
    assert go, "the go toolchain is needed to test testbed/standin (go test ./...)"
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    proc = subprocess.run(
        [go, "test", "./..."],
        cwd=STANDIN_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, f"go test failed:\n{proc.stdout}\n{proc.stderr}"
    assert "ok" in proc.stdout


def test_workload_rendered_from_the_cr(rhdh18: Cluster) -> None:
    dep = deployment(rhdh18)
    meta, template = dep["metadata"], dep["spec"]["template"]
    assert meta["labels"]["app.kubernetes.io/instance"] == CR
    owner = meta["ownerReferences"][0]
    cr_uid = get(rhdh18, cr_path("v1alpha4"))["metadata"]["uid"]
    assert (
        owner["apiVersion"],
        owner["kind"],
        owner["name"],
        owner["uid"],
        owner["controller"],
    ) == ("rhdh.redhat.com/v1alpha4", "Backstage", CR, cr_uid, True)
    assert dep["spec"]["selector"]["matchLabels"] == {"rhdh.redhat.com/app": WORKLOAD}
    assert template["metadata"]["labels"]["team"] == "platform"  # from the user's patch
    spec = template["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert names(spec["containers"]) == ["backstage-backend"]
    assert names(spec["initContainers"]) == ["install-dynamic-plugins"]
    backend = spec["containers"][0]
    assert {"name": "NODE_OPTIONS", "value": "--max-old-space-size=2048"} in backend["env"]
    assert {"name": "LOG_LEVEL", "value": "info"} in backend["env"]
    assert {"secretRef": {"name": "rhdh-secrets"}} in backend["envFrom"]
    assert backend["args"][-2:] == ["--config", "/opt/app-root/src/app-config.yaml"]
    init_mounts = spec["initContainers"][0]["volumeMounts"]
    assert {
        "name": OPERATOR_PLUGINS_CM,
        "mountPath": "/opt/app-root/src/dynamic-plugins.yaml",
        "subPath": "dynamic-plugins.yaml",
        "readOnly": True,
    } in init_mounts
    fields = [m["manager"] for m in meta["managedFields"] if m["operation"] == "Apply"]
    assert "backstage-controller" in fields
    svc = get(rhdh18, f"/api/v1/namespaces/{NS}/services/{WORKLOAD}")
    assert svc["spec"]["ports"][0]["port"] == 80
    assert svc["spec"]["ports"][0]["targetPort"] == "backend"
    status = get(rhdh18, cr_path("v1alpha4")).get("status", {})
    deployed = {c["type"]: c for c in status.get("conditions", [])}["Deployed"]
    assert (deployed["status"], deployed["reason"]) == ("True", "Deployed")


def test_patch_container_is_added_rolled_out_and_removed(rhdh18: Cluster) -> None:
    extra = {"name": "extra", "image": "registry.example/extra:1"}
    update_cr(rhdh18, "v1alpha4", lambda cr: patch_containers(cr).append(copy.deepcopy(extra)))
    dep = wait_rolled_out(
        rhdh18,
        "to gain container extra",
        lambda d: "extra" in names(d["spec"]["template"]["spec"]["containers"]),
    )
    containers = dep["spec"]["template"]["spec"]["containers"]
    assert names(containers) == ["backstage-backend", "extra"]
    backend = containers[0]  # merged by name: the user's env and the defaults are both there
    assert backend["image"] == "quay.io/rhdh/rhdh-hub-rhel9:1.8"
    assert {"name": "NODE_OPTIONS", "value": "--max-old-space-size=2048"} in backend["env"]
    wait_for(
        "one running pod with containers backstage-backend and extra",
        lambda: [names(p["spec"]["containers"]) for p in running_pods(rhdh18)]
        == [["backstage-backend", "extra"]],
        TIMEOUT,
    )

    def drop_extra(cr: Obj) -> None:
        patch_containers(cr)[:] = [c for c in patch_containers(cr) if c["name"] != "extra"]

    update_cr(rhdh18, "v1alpha4", drop_extra)
    dep = wait_rolled_out(
        rhdh18,
        "to lose container extra",
        lambda d: "extra" not in names(d["spec"]["template"]["spec"]["containers"]),
    )
    assert names(dep["spec"]["template"]["spec"]["containers"]) == ["backstage-backend"]


def test_direct_edit_of_the_deployment_is_reverted(rhdh18: Cluster) -> None:
    before = deployment(rhdh18)["metadata"]["generation"]
    rhdh18.kubectl(
        "set",
        "image",
        f"deployment/{WORKLOAD}",
        "-n",
        NS,
        "backstage-backend=registry.example/hacked:1",
    )
    dep = wait_rolled_out(
        rhdh18,
        "to get its image back",
        lambda d: d["metadata"]["generation"] >= before + 2
        and d["spec"]["template"]["spec"]["containers"][0]["image"]
        == "quay.io/rhdh/rhdh-hub-rhel9:1.8",
    )
    assert (
        dep["spec"]["template"]["spec"]["containers"][0]["image"]
        == "quay.io/rhdh/rhdh-hub-rhel9:1.8"
    )


def test_user_configmaps_get_the_sync_label_and_keep_their_data(rhdh18: Cluster) -> None:
    _, objs = objects("rhdh-operator-1.8")
    originals = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
    for name in ("app-config-rhdh", USER_PLUGINS_CM):
        live = configmap(rhdh18, name)
        labels, annotations = live["metadata"]["labels"], live["metadata"].get("annotations", {})
        assert labels[SYNC_LABEL] == "true", name
        assert labels["team"] == "platform", name
        assert annotations["rhdh.redhat.com/backstage-name"] == CR, name
        if name == "app-config-rhdh":  # the plugin ConfigMap's data is changed by another test
            assert live["data"] == originals[name]["data"]
    managers = {
        m["manager"]
        for m in configmap(rhdh18, USER_PLUGINS_CM)["metadata"]["managedFields"]
        if "f:data" in json.dumps(m.get("fieldsV1", {}))
    }
    assert "backstage-controller" not in managers, "the operator must never write the user's data"
    merged = configmap(rhdh18, OPERATOR_PLUGINS_CM)["data"]["dynamic-plugins.yaml"]
    assert "oci://quay.io/example/my-plugin:1.0.0!my-plugin" in merged


def test_plugin_configmap_change_rolls_the_pod(rhdh18: Cluster) -> None:
    before = deployment(rhdh18)["spec"]["template"]["metadata"]["annotations"][HASH_ANNOTATION]
    data = configmap(rhdh18, USER_PLUGINS_CM)["data"]["dynamic-plugins.yaml"]
    package = f"./dynamic-plugins/dist/changed-{uuid.uuid4().hex[:6]}"
    changed = data + f"  - package: {package}\n    disabled: false\n"
    rhdh18.kubectl(
        "patch",
        "configmap",
        USER_PLUGINS_CM,
        "-n",
        NS,
        "--type=merge",
        "-p",
        json.dumps({"data": {"dynamic-plugins.yaml": changed}}),
    )
    dep = wait_rolled_out(
        rhdh18,
        "to get a new ext-config hash",
        lambda d: d["spec"]["template"]["metadata"]["annotations"][HASH_ANNOTATION] != before,
    )
    after = dep["spec"]["template"]["metadata"]["annotations"][HASH_ANNOTATION]
    assert len(after) == 64 and after != before
    assert package in configmap(rhdh18, OPERATOR_PLUGINS_CM)["data"]["dynamic-plugins.yaml"]
    assert configmap(rhdh18, USER_PLUGINS_CM)["data"]["dynamic-plugins.yaml"] == changed
    wait_for(
        "one running pod with the new hash",
        lambda: [p["metadata"]["annotations"][HASH_ANNOTATION] for p in running_pods(rhdh18)]
        == [after],
        TIMEOUT,
    )


def test_writes_only_what_changed(rhdh18: Cluster) -> None:
    wait_rolled_out(rhdh18, "to be settled", lambda d: True)
    time.sleep(2)  # let the last status update of the roll-out land
    since = time.time()
    # A label on the CR is an update event: the stand-in reconciles and finds nothing to do.
    update_cr(
        rhdh18,
        "v1alpha4",
        lambda cr: cr["metadata"]
        .setdefault("labels", {})
        .update({"touched": uuid.uuid4().hex[:8]}),
    )
    time.sleep(3)
    writes = standin_writes(rhdh18, since)
    assert writes == [], [audit.describe(w) for w in writes]

    # A new env var in the patch: one apply of the Deployment, nothing else but status updates.
    since = time.time()
    value = uuid.uuid4().hex[:8]

    def add_env(cr: Obj) -> None:
        backend = next(c for c in patch_containers(cr) if c["name"] == "backstage-backend")
        backend.setdefault("env", []).append({"name": "TOUCHED", "value": value})

    update_cr(rhdh18, "v1alpha4", add_env)
    wait_rolled_out(
        rhdh18,
        "to get env TOUCHED",
        lambda d: {"name": "TOUCHED", "value": value}
        in d["spec"]["template"]["spec"]["containers"][0]["env"],
    )
    time.sleep(2)
    writes = [
        w
        for w in standin_writes(rhdh18, since)
        if (w.get("objectRef") or {}).get("subresource") != "status"
    ]
    assert [audit.describe(w) for w in writes] == [
        f"patch {NS}/deployments/{WORKLOAD} by {USER_AGENT} -> 200"
    ]


def test_deleting_the_cr_collects_what_the_operator_owns(rhdh18: Cluster) -> None:
    """Runs last on this cluster: the garbage collector learns the CRD's resource on its own
    discovery round (every 30 s), so a young cluster makes this wait."""
    rhdh18.kube().request("DELETE", cr_path("v1alpha4"))
    wait_for(
        "the CR to go", lambda: rhdh18.kube().get_or_none(cr_path("v1alpha4")) is None, TIMEOUT
    )
    for path in (
        f"/apis/apps/v1/namespaces/{NS}/deployments/{WORKLOAD}",
        f"/api/v1/namespaces/{NS}/services/{WORKLOAD}",
        f"/api/v1/namespaces/{NS}/configmaps/{OPERATOR_PLUGINS_CM}",
    ):
        wait_for(
            f"garbage collection of {path}",
            lambda p=path: rhdh18.kube().get_or_none(p) is None,
            TIMEOUT,
        )
    # The operator leaves the labels it put on the user's ConfigMaps, and their data.
    assert configmap(rhdh18, USER_PLUGINS_CM)["metadata"]["labels"][SYNC_LABEL] == "true"
    assert "app-config.yaml" in configmap(rhdh18, "app-config-rhdh")["data"]


def test_lightspeed_flavour_on_1_10(cluster_factory: Callable[..., Cluster]) -> None:
    cluster = cluster_factory("rhdh-operator-1.10")
    dep = deployment(cluster)
    assert dep["metadata"]["ownerReferences"][0]["apiVersion"] == "rhdh.redhat.com/v1alpha5"
    spec = dep["spec"]["template"]["spec"]
    assert names(spec["containers"]) == ["backstage-backend", "lightspeed-core"]
    assert names(spec["initContainers"]) == ["install-dynamic-plugins", "init-rag-data"]
    lcs = spec["containers"][1]
    assert lcs["image"] == "quay.io/lightspeed-core/lightspeed-stack:0.6.2"
    assert lcs["ports"][0]["containerPort"] == 8080
    assert {"shared-storage", "rag-data-volume", "extensions-catalog"} <= set(
        names(spec["volumes"])
    )

    # A sidecar in the patch is added next to lightspeed-core, which stays.
    update_cr(
        cluster,
        "v1alpha5",
        lambda cr: patch_containers(cr).append(
            {"name": "location", "image": "registry.example/l:1"}
        ),
    )
    wait_rolled_out(
        cluster,
        "to gain location",
        lambda d: names(d["spec"]["template"]["spec"]["containers"])
        == ["backstage-backend", "lightspeed-core", "location"],
    )

    update_cr(
        cluster,
        "v1alpha5",
        lambda cr: cr["spec"].update({"flavours": [{"name": "lightspeed", "enabled": False}]}),
    )
    dep = wait_rolled_out(
        cluster,
        "to lose lightspeed-core",
        lambda d: "lightspeed-core" not in names(d["spec"]["template"]["spec"]["containers"]),
    )
    spec = dep["spec"]["template"]["spec"]
    assert names(spec["containers"]) == ["backstage-backend", "location"]
    assert names(spec["initContainers"]) == ["install-dynamic-plugins"]
    assert "rag-data-volume" not in names(spec["volumes"])
