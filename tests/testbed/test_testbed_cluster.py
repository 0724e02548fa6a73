"""The testbed's cluster behaves like a real one where the collection depends on it."""

from __future__ import annotations

import base64
import json
import time
import uuid

from pathlib import Path

from kubernetes.client import ApiClient, Configuration

from testbed import Cluster
from testbed.kube import Kube, wait_for


def _namespace(cluster: Cluster, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    return name


def test_readyz_answers(shared_cluster: Cluster) -> None:
    assert shared_cluster.server.startswith("https://127.0.0.1:")
    assert shared_cluster.kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"
    assert shared_cluster.readyz()


def test_deployment_rolls_out_on_the_fake_node(shared_cluster: Cluster) -> None:
    ns = _namespace(shared_cluster, "rollout")
    shared_cluster.kubectl(
        "create", "deployment", "web", "--image=registry.example/web:1", "--replicas=2", "-n", ns
    )
    status = shared_cluster.kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s")
    assert "successfully rolled out" in status.stdout
    pods = json.loads(shared_cluster.kubectl("get", "pods", "-n", ns, "-o", "json").stdout)["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["spec"]["nodeName"] == "kwok-node-0"
        assert pod["status"]["phase"] == "Running"
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["Ready"] == "True"


def test_service_account_token_secret_is_filled(shared_cluster: Cluster, tmp_path: Path) -> None:
    ns = _namespace(shared_cluster, "token")
    shared_cluster.kubectl("create", "serviceaccount", "robot", "-n", ns)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": "robot-token",
            "namespace": ns,
            "annotations": {"kubernetes.io/service-account.name": "robot"},
        },
    }
    shared_cluster.kubectl("apply", "-f", "-", input=json.dumps(secret))

    def filled() -> dict[str, str] | None:
        out = shared_cluster.kubectl("get", "secret", "robot-token", "-n", ns, "-o", "json").stdout
        data = json.loads(out).get("data") or {}
        return data if {"token", "ca.crt", "namespace"} <= set(data) else None

    data = wait_for("the token controller to fill robot-token", filled, 60)
    assert base64.b64decode(data["namespace"]).decode() == ns
    ca = base64.b64decode(data["ca.crt"]).decode()
    assert "BEGIN CERTIFICATE" in ca
    # The token and CA are real credentials: a client with only them is the ServiceAccount.
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(ca)
    config = Configuration()
    config.host = shared_cluster.server
    config.ssl_ca_cert = str(ca_file)
    config.api_key = {"authorization": "Bearer " + base64.b64decode(data["token"]).decode()}
    with ApiClient(config) as api:
        review = Kube(api).request(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
    assert review["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:robot"


def test_audit_log_counts_write_requests(shared_cluster: Cluster) -> None:
    ns = _namespace(shared_cluster, "audit")
    since = time.time()
    shared_cluster.kubectl("create", "configmap", "counted", "-n", ns, "--from-literal=a=1")
    shared_cluster.kubectl("get", "configmap", "counted", "-n", ns)
    shared_cluster.kubectl("auth", "can-i", "create", "configmaps", "-n", ns)
    writes = shared_cluster.write_requests(since=since, user_agent="kubectl")
    assert [(e["verb"], e["objectRef"]["resource"], e["objectRef"].get("name")) for e in writes] == [
        ("create", "configmaps", "counted")
    ]
    assert writes[0]["objectRef"]["namespace"] == ns
    events = shared_cluster.audit_events(since=since)
    assert any(e["verb"] == "get" and e["objectRef"].get("name") == "counted" for e in events)
    assert all(e["stage"] == "ResponseComplete" for e in events)


def test_apiserver_stops_and_starts_keeping_state(shared_cluster: Cluster) -> None:
    ns = _namespace(shared_cluster, "fault")
    shared_cluster.stop_apiserver()
    try:
        assert not shared_cluster.readyz()
        running = shared_cluster.components_running()
        assert running["etcd"] and not running["kube-apiserver"]
        refused = shared_cluster.kubectl("--request-timeout=3s", "get", "namespaces", check=False)
        assert refused.returncode != 0
    except Exception:
        shared_cluster.start_apiserver()
        raise
    shared_cluster.start_apiserver()
    assert shared_cluster.readyz()
    assert all(shared_cluster.components_running().values())
    assert shared_cluster.kubectl("get", "namespace", ns).returncode == 0


def test_create_on_a_running_cluster_is_a_no_op(shared_cluster: Cluster) -> None:
    pid_before = (shared_cluster.workdir / "pids" / "kube-apiserver.pid").read_text()
    since = time.time()
    again = Cluster.create(shared_cluster.name)
    assert again.server == shared_cluster.server
    assert (shared_cluster.workdir / "pids" / "kube-apiserver.pid").read_text() == pid_before
    assert shared_cluster.write_requests(since=since, user_agent="rhdh-testbed") == []
    assert Cluster.get(shared_cluster.name).kubeconfig == shared_cluster.kubeconfig
    assert shared_cluster.name in Cluster.list()


def test_a_new_cluster_never_gets_the_address_of_the_last_one() -> None:
    """kubectl and kubernetes.core cache discovery by server address: a reused address with a
    stale cache makes clients ask for resource versions the new cluster does not serve."""
    from testbed.cluster import _allocate_ports

    first = _allocate_ports()["kubeApiserverPort"]
    second = _allocate_ports()["kubeApiserverPort"]
    assert first != second
