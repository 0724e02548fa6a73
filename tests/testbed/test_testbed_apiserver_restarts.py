"""After the API server stops and starts again (molecule's faults scenario does it in the middle
of an install), every component of the cluster works: a Deployment's new template rolls out."""

from __future__ import annotations

import json
import time

from testbed import Cluster
from testbed.cluster import NODE_NAME, _dropped_overrides

RESTARTS = 3
# Seconds between stop_apiserver() (itself about 5 s: the API server gets SIGKILL after 5 s of
# SIGTERM) and start_apiserver(). A controller manager with leader election gives its lease up
# and exits 10 to 12 s after the API server went away: with this pause mostly after
# `kwokctl start` found it alive and before the API server answers again, so nothing restarts it.
DOWN_SECONDS = 4.0
# A rollout takes a few seconds; informers left in client-go's back-off took up to 66 s.
ROLLOUT_TIMEOUT = 45.0
REPLICAS = 2


def _get(cluster: Cluster, *args: str) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def _ready_on_the_node(pod: dict) -> bool:
    conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    return (
        pod["spec"].get("nodeName") == NODE_NAME
        and pod["status"].get("phase") == "Running"
        and conditions.get("Ready") == "True"
    )


def _rollout_missing(cluster: Cluster, ns: str, image: str) -> str | None:
    """What the Deployment still lacks to have rolled out ``image`` (None when it has)."""
    deploy = _get(cluster, "deployment", "web", "-n", ns)
    generation, status = deploy["metadata"]["generation"], deploy.get("status") or {}
    if status.get("observedGeneration", 0) < generation:
        return f"observedGeneration {status.get('observedGeneration')} < generation {generation}"
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas", "replicas"):
        if status.get(field, 0) != REPLICAS:
            return f"{field} {status.get(field, 0)} of {REPLICAS}"
    sets = [
        rs for rs in _get(cluster, "replicasets", "-n", ns, "-l", "app=web")["items"]
        if rs["spec"]["template"]["spec"]["containers"][0]["image"] == image
    ]
    if len(sets) != 1 or (sets[0].get("status") or {}).get("readyReplicas", 0) != REPLICAS:
        return f"no ReplicaSet of {image} with {REPLICAS} ready replicas"
    pod_hash = sets[0]["metadata"]["labels"]["pod-template-hash"]
    pods = _get(cluster, "pods", "-n", ns, "-l", f"pod-template-hash={pod_hash}")["items"]
    ready = [p for p in pods if _ready_on_the_node(p)]
    if len(ready) != REPLICAS:
        return f"{len(ready)} of {REPLICAS} pods of {image} running and ready on {NODE_NAME}"
    return None


def _wait_rolled_out(cluster: Cluster, ns: str, image: str, when: str) -> None:
    started = time.monotonic()
    missing = _rollout_missing(cluster, ns, image)
    while missing is not None:
        if time.monotonic() - started > ROLLOUT_TIMEOUT:
            down = [name for name, alive in cluster.components_running().items() if not alive]
            raise AssertionError(
                f"{when}: {image} not rolled out within {ROLLOUT_TIMEOUT:.0f} s ({missing});"
                f" components not running: {down or 'none'}"
            )
        time.sleep(0.5)
        missing = _rollout_missing(cluster, ns, image)


def test_deployment_rolls_out_after_apiserver_restarts(cluster_factory) -> None:
    cluster = cluster_factory()
    ns = "restarts"
    cluster.kubectl("create", "namespace", ns)
    cluster.kubectl(
        "create", "deployment", "web", "--image=registry.example/web:0",
        f"--replicas={REPLICAS}", "-n", ns,
    )
    _wait_rolled_out(cluster, ns, "registry.example/web:0", "before any restart")
    for restart in range(1, RESTARTS + 1):
        cluster.stop_apiserver()
        time.sleep(DOWN_SECONDS)
        cluster.start_apiserver()
        image = f"registry.example/web:{restart}"
        cluster.kubectl("set", "image", "deployment/web", f"web={image}", "-n", ns)
        _wait_rolled_out(cluster, ns, image, f"after restart {restart} of {RESTARTS}")
    assert all(cluster.components_running().values()), cluster.components_running()
    # No component holds a lease it could lose while the API server is away (and exit for it).
    for component in ("kube-controller-manager", "kube-scheduler"):
        lease = cluster.kube().get_or_none(
            f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{component}"
        )
        assert lease is None, f"{component} runs with leader election: {lease['spec']}"


def test_an_override_kwokctl_dropped_is_named() -> None:
    """kwokctl v0.7.0 replaces only an argument it passes itself; for any other it warns and goes
    on without it (so --leader-elect=false never reached the controller manager)."""
    output = "\n".join([
        '{"level":"INFO","msg":"Cluster is creating","cluster":"c"}',
        '{"level":"WARN","msg":"have not match override","cluster":"c","key":"leader-elect"}',
        "not JSON",
    ])
    assert _dropped_overrides(output) == ["leader-elect"]
    assert _dropped_overrides('{"level":"INFO","msg":"Cluster is created"}') == []
