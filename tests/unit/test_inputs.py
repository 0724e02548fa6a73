"""Options as AAP sends them: an empty answer means "not set"; names are checked before any request."""

import pytest

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import inputs


def test_an_empty_string_means_not_set_for_every_option():
    survey = {option: "" for option in step_rhdh_connector_rbac.ARGUMENT_SPEC}
    survey.update(namespace="rhdh", _ansible_check_mode=False)
    kept = inputs.blank_is_unset(survey)
    # every option left empty is gone, so its default applies; the documented "" of the sync wave stays
    assert kept == {"namespace": "rhdh", "_ansible_check_mode": False, "gitops_sync_wave": ""}


def test_empty_list_items_are_dropped_and_items_trimmed():
    # `registries: ""` arrives as [""] once Ansible splits it, "a,,b" as ["a", "", "b"]
    assert inputs.blank_is_unset({"registries": [""]}) == {"registries": []}
    assert inputs.blank_is_unset({"registries": ["a", "", " b", "  "]}) == {"registries": ["a", "b"]}
    assert inputs.blank_is_unset({"registries": "   "}) == {}


def test_the_rolebinding_of_an_empty_registry_name_can_no_longer_be_made():
    p = {k: v.get("default") for k, v in step_rhdh_connector_rbac.ARGUMENT_SPEC.items()}
    p.update(inputs.blank_is_unset({"registries": [""], "registry_rolebinding": ""}))
    assert p["registries"] == [] and p["registry_rolebinding"] == "rhdh-rhoai-dashboard-permissions"
    assert rbac.registry_bindings("ai-rhdh", p["service_account"], p["registry_rolebinding"], p["registries"],
                                  "rhoai-model-registries") == []


@pytest.mark.parametrize("params", [
    {"namespace": "ai-rhdh", "name": "developer-hub", "registries": ["registry-prod", "team-a.registry"],
     "registry_rolebinding": "rhdh-rhoai-dashboard-permissions", "token_secret": "rhdh-rhoai-connector-token"},
    {"namespace": None, "name": None, "registries": []},
])
def test_valid_names_pass(params):
    assert inputs.invalid_names(params) == []


@pytest.mark.parametrize("params, text", [
    ({"namespace": "AI_RHDH"}, "namespace 'AI_RHDH' is not a DNS-1123 label"),
    ({"namespace": "a" * 64}, "is not a DNS-1123 label"),
    ({"registries_namespace": "models.prod"}, "registries_namespace 'models.prod' is not a DNS-1123 label"),
    ({"name": "Developer Hub"}, "name 'Developer Hub' is not a DNS-1123 subdomain"),
    ({"service_account": "-sa"}, "service_account '-sa' is not a DNS-1123 subdomain"),
    ({"app_config_configmap": "cm_1"}, "app_config_configmap 'cm_1' is not a DNS-1123 subdomain"),
    ({"registries": ["Prod"], "registry_rolebinding": "rb"}, "registries item 'Prod' cannot name a ModelRegistry and its RoleBinding rb-Prod"),
    ({"registries": ["r" * 250], "registry_rolebinding": "rb"}, "cannot name a ModelRegistry"),
])
def test_invalid_names_are_named_with_the_rule(params, text):
    problems = inputs.invalid_names(params)
    assert len(problems) == 1 and text in problems[0], problems
