"""Errors that point the right way: refused credentials, the API server's address, a missing namespace."""

import pytest

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import api_error


class Refused(Exception):
    status = 401
    body = '{"kind":"Status","message":"Unauthorized","code":401}'


def bare_module(**params):
    """A ConnectorModule without Ansible's wrapper: enough for its error mapping."""
    mod = object.__new__(ConnectorModule)
    mod._client = None
    mod.params = dict(params)
    return mod


def test_401_says_the_credentials_were_refused_and_how_to_fix_them():
    err = api_error(Refused(), "list", "Backstage in ai-rhdh", bare_module(host="https://api.example.test:6443").api_server())
    msg = str(err)
    assert msg.startswith("the API server at https://api.example.test:6443 refused the credentials (401 Unauthorized)")
    assert "oc login" in msg and "K8S_AUTH_API_KEY" in msg and "Fix:" in msg


def test_unreachable_names_the_url_given_by_K8S_AUTH_HOST(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://api.from-aap.example:6443")
    msg = str(bare_module().unreachable(OSError("connection refused")))
    assert msg.startswith("cannot reach the API server at https://api.from-aap.example:6443: connection refused"), msg
    assert " at ?" not in msg


def test_the_host_option_comes_before_the_environment(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://env.example:6443")
    assert bare_module(host="https://option.example:6443").api_server() == "https://option.example:6443"


class Reads:
    """Just enough of the service for rhdh.find: nothing in the namespace, and namespaces as given."""

    def __init__(self, namespaces):
        self.namespaces = namespaces

    def served_versions(self, group):
        return []

    def list(self, api_version, kind, namespace=None, label_selector=None):
        return []

    def get(self, api_version, kind, name, namespace=None):
        assert kind == "Namespace"
        if self.namespaces is None:
            raise ConnectorError("forbidden: cannot get namespace")
        return {"metadata": {"name": name}} if name in self.namespaces else None


def test_a_namespace_that_does_not_exist_is_named_as_missing():
    with pytest.raises(ConnectorError) as err:
        rhdh.find(Reads(["ai-rhdh"]), "ai-rdhh")
    assert str(err.value).startswith("namespace ai-rdhh does not exist") and "rhoai_connector_rhdh_namespace" in str(err.value)


def test_a_namespace_without_rhdh_or_unreadable_keeps_the_no_rhdh_message():
    for namespaces in (["empty-ns"], None):
        with pytest.raises(ConnectorError, match="no RHDH found in namespace empty-ns"):
            rhdh.find(Reads(namespaces), "empty-ns")
