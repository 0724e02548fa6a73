"""Uninstall gives back what the user had before the install (issue 11, item 5): plugin entries the
user wrote, and objects made by hand under the guide's names."""

import copy

import yaml

from ansible_collections.rhdh.ai_connector.plugins.module_utils import connector as c
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_dynamic_plugins
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import LABELS

from fake_api import FakeModule

NS = "ai-rhdh"
MC = dp.plugin_package("catalog-backend-module-model-catalog", "bs_1.42.5__0.7.0")
TD = dp.plugin_package("catalog-techdoc-url-reader-backend", "bs_1.42.5__0.3.0")
USERS_TEXT = """\
includes:
  - dynamic-plugins.default.yaml
plugins:
  - package: ./dynamic-plugins/dist/backstage-community-plugin-github-issues
    disabled: false
  # the model catalog, as the guide says, with my own settings
  - package: oci://mirror.example.com/rhdh/red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog:bs_1.42.5__0.6.0
    disabled: true
    pluginConfig:
      catalog:
        providers:
          modelCatalog: {mine: true}
"""


def plugins_cm(text, **meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": {"dynamic-plugins.yaml": text},
            "metadata": dict({"name": "rhdh-dynamic-plugins", "namespace": NS}, **meta)}


def run_plugins(api, state, **params):
    api.params = c.step_params(step_rhdh_dynamic_plugins.ARGUMENT_SPEC, namespace=NS, configmap="rhdh-dynamic-plugins",
                               packages=[MC, TD], state=state, labels=dict(LABELS), **params)
    return step_rhdh_dynamic_plugins.run(api)


def test_absent_gives_the_users_plugin_entry_back_as_it_was():
    api = FakeModule([plugins_cm(USERS_TEXT)])
    installed = run_plugins(api, "present")
    assert installed["changed"] and any("recorded the entry" in line for line in installed["changes"])
    doc = yaml.safe_load(api.store[("ConfigMap", NS, "rhdh-dynamic-plugins")]["data"]["dynamic-plugins.yaml"])
    assert [e["package"] for e in doc["plugins"]][1:] == [MC, TD] and doc["plugins"][1]["disabled"] is False
    again = len(api.writes)
    assert not run_plugins(api, "present")["changed"] and len(api.writes) == again
    assert run_plugins(api, "disabled")["changed"]
    removed = run_plugins(api, "absent")
    assert removed["changed"]
    cm = api.store[("ConfigMap", NS, "rhdh-dynamic-plugins")]
    assert cm["data"]["dynamic-plugins.yaml"] == USERS_TEXT
    assert dp.RECORD_ANNOTATION not in (cm["metadata"].get("annotations") or {})


def test_an_entry_found_as_the_collection_wants_it_is_recorded_and_kept_on_absent():
    text = "plugins:\n  - package: {0}\n    disabled: false\n".format(MC)
    api = FakeModule([plugins_cm(text)])
    first = run_plugins(api, "present")
    assert first["changed"] and len(api.writes) == 1  # TD added, the user's MC entry recorded
    run_plugins(api, "absent")
    assert api.store[("ConfigMap", NS, "rhdh-dynamic-plugins")]["data"]["dynamic-plugins.yaml"] == text


def test_entries_of_an_earlier_version_are_the_collections_own():
    """An install by a version that kept no record: adopt_entries=false counts its entries as added."""
    text = "plugins:\n  - package: ./x\n  - package: {0}\n    disabled: false\n".format(MC)
    api = FakeModule([plugins_cm(text)])
    run_plugins(api, "present", adopt_entries=False)
    run_plugins(api, "absent")
    assert api.store[("ConfigMap", NS, "rhdh-dynamic-plugins")]["data"]["dynamic-plugins.yaml"] == "plugins:\n  - package: ./x\n"


SA = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "rhdh-rhoai-connector", "namespace": NS}}


def run_objects(api, definitions, state="present", **params):
    api.params = c.step_params(step_rhdh_connector_objects.ARGUMENT_SPEC, definitions=definitions, state=state,
                               labels=dict(LABELS) if state == "present" else {}, **params)
    return step_rhdh_connector_objects.run(api)


def test_an_object_made_by_hand_under_the_guides_name_is_adopted_then_left_in_place():
    by_hand = copy.deepcopy(SA)
    by_hand["metadata"]["labels"] = {"team": "ai", "app.kubernetes.io/part-of": "my-portal"}
    api = FakeModule([by_hand])
    adopted = run_objects(api, [SA])
    assert adopted["results"] == [{"object": "ServiceAccount ai-rhdh/rhdh-rhoai-connector", "action": "adopted"}]
    live = api.store[("ServiceAccount", NS, "rhdh-rhoai-connector")]
    assert objects.adopted(live) and live["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "rhdh.ai_connector"
    writes = len(api.writes)
    assert run_objects(api, [SA])["results"][0]["action"] == "unchanged" and len(api.writes) == writes
    removed = run_objects(api, c.bare([SA]), "absent")
    assert removed["changed"] and removed["results"][0]["action"] == "released"
    assert api.store[("ServiceAccount", NS, "rhdh-rhoai-connector")]["metadata"] == dict(
        by_hand["metadata"], annotations={})


def test_an_object_the_collection_created_is_deleted():
    api = FakeModule()
    assert run_objects(api, [SA])["results"][0]["action"] == "created"
    assert run_objects(api, c.bare([SA]), "absent")["results"][0]["action"] == "deleted"
    assert api.store == {}


def test_an_adopted_binding_recreated_for_a_new_role_stays_adopted():
    binding = {"apiVersion": c.RBAC, "kind": "RoleBinding", "metadata": {"name": "rhdh-rhoai-connector", "namespace": NS},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "old"},
               "subjects": [{"kind": "ServiceAccount", "name": "rhdh-rhoai-connector", "namespace": NS}]}
    api = FakeModule([binding])
    wanted = dict(copy.deepcopy(binding), roleRef=dict(binding["roleRef"], name="rhdh-rhoai-connector"))
    assert run_objects(api, [wanted])["results"][0]["action"] == "adopted"
    assert run_objects(api, c.bare([wanted]), "absent")["results"][0]["action"] == "released"
    assert "managed-by" not in str(api.store[("RoleBinding", NS, "rhdh-rhoai-connector")]["metadata"])
