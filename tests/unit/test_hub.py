"""Hub and spoke: the OpenShift AI URL RHDH's pod is to read, a second OpenShift AI cluster for one RHDH,
and the copy of the token on the RHDH cluster (pure functions of module_utils/hub.py)."""

import pytest

from ansible_collections.rhdh.ai_connector.plugins.filter import connector as role_filters
from ansible_collections.rhdh.ai_connector.plugins.module_utils import hub
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS


@pytest.mark.parametrize("url", [
    "https://api.rhoai.example.com:6443", "https://10.0.0.12:6443", "https://[2001:db8::1]:6443",
    "https://api.rhoai.example.com"])
def test_a_url_another_clusters_pod_can_reach_passes(url):
    assert hub.url_problems(url) == []


@pytest.mark.parametrize("url", [
    "https://kubernetes.default.svc", "https://kubernetes.default.svc:443", "https://kubernetes.default",
    "https://kubernetes", "https://KUBERNETES.default.svc.cluster.local", "https://api.openshift-apiserver.svc"])
def test_a_clusters_own_api_server_or_a_service_is_refused_naming_the_url_variable(url):
    problems = [str(p) for p in hub.url_problems(url, reachable=True)]
    assert len(problems) == 1 and "own API server or a Service" in problems[0], problems
    assert "Fix: set rhoai_connector_rhoai_url" in problems[0]


@pytest.mark.parametrize("url", ["https://127.0.0.1:6443", "https://127.1.2.3:40001", "https://[::1]:6443",
                                 "https://localhost:6443"])
def test_a_loopback_address_is_refused_unless_said_reachable(url):
    problems = [str(p) for p in hub.url_problems(url)]
    assert len(problems) == 1 and "loopback" in problems[0], problems
    assert "rhoai_connector_rhoai_url_reachable: true" in problems[0] and "rhoai_connector_rhoai_url " in problems[0]
    assert hub.url_problems(url, reachable=True) == []


@pytest.mark.parametrize("url", ["", None, "http://api.rhoai.example.com:6443", "api.rhoai.example.com:6443", "https://"])
def test_no_https_url_with_a_host_is_refused(url):
    problems = [str(p) for p in hub.url_problems(url, reachable=True)]
    assert len(problems) == 1 and "not an https URL with a host" in problems[0], problems


def test_the_pod_reads_the_url_given_else_the_one_the_run_reached():
    default = "https://kubernetes.default.svc"
    assert hub.pod_url(default, "https://127.0.0.1:40001", default) == "https://127.0.0.1:40001"
    assert hub.pod_url("https://api.b:6443", "https://127.0.0.1:40001", default) == "https://api.b:6443"
    assert hub.pod_url(default, None, default) == default


def copy_of(url, labels=None):
    return {"metadata": {"name": "t", "namespace": "ai-rhdh", "labels": dict(LABELS if labels is None else labels),
                         "annotations": {hub.RHOAI_URL_ANNOTATION: url}}}


def test_a_second_openshift_ai_cluster_for_one_rhdh_is_refused_naming_both_and_the_way_out():
    assert hub.second_spoke_problem(None, "https://a:6443") is None
    assert hub.second_spoke_problem(copy_of("https://a:6443"), "https://a:6443") is None
    assert hub.second_spoke_problem(copy_of("https://a:6443", labels={}), "https://b:6443") is None  # not the collection's
    msg = str(hub.second_spoke_problem(copy_of("https://a:6443"), "https://b:6443"))
    assert "Secret ai-rhdh/t holds the token of the OpenShift AI cluster at https://a:6443" in msg
    assert "second OpenShift AI cluster (https://b:6443)" in msg and "both connectors read only one cluster" in msg
    assert "rhoai_connector_state: absent" in msg and "rhoai_connector_rhoai_url" in msg


def test_the_copy_of_the_token_holds_token_and_ca_only_labelled_and_naming_its_cluster():
    copy = role_filters.token_copy({"token": "dG9r", "ca.crt": "Y2E=", "namespace": "bnM="}, "c", "ai-rhdh", "https://a:6443")
    assert copy["data"] == {"token": "dG9r", "ca.crt": "Y2E="}
    assert copy["metadata"]["labels"] == LABELS and copy["type"] == "Opaque"
    assert copy["metadata"]["annotations"] == {hub.RHOAI_URL_ANNOTATION: "https://a:6443"}
    assert hub.second_spoke_problem(copy, "https://a:6443") is None


def test_the_sidecar_connectors_copy_is_a_kubeconfig_naming_the_cluster_its_ca_token_and_namespace():
    import base64
    import json

    data = {"token": base64.b64encode(b"tok-1").decode(), "ca.crt": "Y2E=", "namespace": "bnM="}
    copy = role_filters.token_copy(data, "c", "ai-rhdh", "https://api.ai:6443", True)
    assert set(copy["data"]) == {hub.KUBECONFIG_KEY}, copy["data"]
    assert copy["metadata"]["annotations"] == {hub.RHOAI_URL_ANNOTATION: "https://api.ai:6443"}
    config = json.loads(base64.b64decode(copy["data"][hub.KUBECONFIG_KEY]))
    assert config["clusters"] == [{"name": "rhoai", "cluster": {"server": "https://api.ai:6443", "certificate-authority-data": "Y2E="}}]
    assert config["users"] == [{"name": "rhoai", "user": {"token": "tok-1"}}]
    assert config["contexts"][0]["context"] == {"cluster": "rhoai", "user": "rhoai", "namespace": "ai-rhdh"}
    assert config["current-context"] == "rhoai"
    assert hub.kubeconfig_server(copy) == "https://api.ai:6443"
    assert hub.kubeconfig_server({"data": {"token": "x"}}) is None and hub.kubeconfig_server(None) is None
    assert hub.kubeconfig_server({"data": {hub.KUBECONFIG_KEY: "bm90IGpzb24="}}) is None  # not a kubeconfig


def test_the_credentials_hash_changes_with_the_copy_and_never_shows_the_token():
    import base64

    one = role_filters.token_copy({"token": base64.b64encode(b"tok-1").decode()}, "c", "ns", "https://a:6443", True)
    two = role_filters.token_copy({"token": base64.b64encode(b"tok-2").decode()}, "c", "ns", "https://a:6443", True)
    first, second = hub.credentials_hash(one), hub.credentials_hash(two)
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 16
    assert first != second and first == hub.credentials_hash(one)
    assert "tok-1" not in first and hub.credentials_hash(None) is None and hub.credentials_hash({"data": {}}) is None


def test_hub_and_spoke_with_sidecars_on_a_helm_install_is_refused_naming_the_deployment_and_the_way_out():
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_info

    info = {"rhdh_connector": "sidecar", "install_type": "helm", "namespace": "ai-rhdh", "rhdh_version": "1.10",
            "workload": {"kind": "Deployment", "name": "rhdh-developer-hub"}}
    settings = {"rhoai_url": "https://api.ai:6443", "rhoai_url_reachable": False, "token_secret": "c"}
    problems = step_rhdh_info.hub_refusals(None, info, "disabled", settings)
    assert len(problems) == 1, problems
    assert "Deployment ai-rhdh/rhdh-developer-hub is a Helm install of RHDH 1.x" in problems[0], problems
    assert "rhoai_connector_rhoai_kubeconfig" in problems[0] and "extraVolumes" in problems[0], problems
    assert step_rhdh_info.hub_refusals(None, dict(info, install_type="operator"), "disabled", settings) == []
