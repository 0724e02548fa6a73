"""catalog.rules across RHDH's app-config files (the plugin-only connector), and its provider entry."""

import pytest

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import catalog_rules as cr

OURS = "ConfigMap ai-rhdh/rhdh-rhoai-connector-app-config key app-config.rhoai-connector.yaml (the connector's)"
USER_RULES = [{"allow": ["Component", "API", "Location", "User", "Group"]},
              {"allow": ["Template"], "locations": [{"type": "url", "target": "https://example.com/t.yaml"}]}]


def doc(rules=None, **more):
    catalog = dict(more)
    if rules is not None:
        catalog["rules"] = rules
    return {"catalog": catalog} if catalog else {"app": {"title": "x"}}


def test_no_file_sets_rules_so_rhdhs_own_are_kept_and_the_kind_added():
    rules, source, blocking = cr.plan([("user", doc()), ("plugins", {})], OURS)
    assert rules == cr.DEFAULT_RULES + [{"allow": ["AiModelServerAPI"]}]
    assert source == cr.DEFAULT_SOURCE and blocking == []


def test_the_last_file_that_sets_rules_is_extended_and_earlier_lists_do_not_count():
    files = [("a", doc([{"allow": ["Component"]}])), ("b", doc(USER_RULES)), ("c", doc(locations=[]))]
    rules, source, _blocking = cr.plan(files, OURS)
    assert source == "b"
    assert rules == USER_RULES + [{"allow": ["AiModelServerAPI"]}]


def test_what_the_connector_wrote_before_does_not_feed_back():
    # the user took Group out of their rules: the connector's file follows, it does not keep the old list
    before = USER_RULES + [{"allow": ["AiModelServerAPI"]}]
    now = [{"allow": ["Component", "API"]}]
    rules, source = cr.plan([("user", doc(now)), (OURS, doc(before))], OURS, ours_at=1)[:2]
    assert source == "user" and rules == now + [{"allow": ["AiModelServerAPI"]}]


def test_rules_that_already_allow_the_kind_everywhere_are_left_as_they_are():
    allowing = [{"allow": ["Component", "AiModelServerAPI"]}]
    assert cr.plan([("user", doc(allowing))], OURS)[0] == allowing
    # a rule limited to some locations does not count: the connector's entities come from a provider
    limited = [{"allow": ["AiModelServerAPI"], "locations": [{"type": "url", "target": "x"}]}]
    assert cr.plan([("user", doc(limited))], OURS)[0] == limited + [{"allow": ["AiModelServerAPI"]}]


@pytest.mark.parametrize("after_rules, blocks", [
    ([{"allow": ["Component"]}], True),
    ([{"allow": ["Component", "AiModelServerAPI"]}], False),
    (None, False),
])
def test_a_file_read_after_the_connectors_that_sets_rules_without_the_kind_is_named(after_rules, blocks):
    files = [("user", doc(USER_RULES)), (OURS, None), ("later", doc(after_rules))]
    _rules, _source, blocking = cr.plan(files, OURS, ours_at=1)
    assert [found[0] for found in blocking] == (["later"] if blocks else [])


def test_the_pods_config_files_are_traced_to_their_configmap_keys():
    pod = {"volumes": [{"name": "a", "configMap": {"name": "app-config-rhdh"}},
                       {"name": "b", "configMap": {"name": "many", "items": [{"key": "k1", "path": "renamed.yaml"}]}},
                       {"name": "dynamic-plugins-root", "emptyDir": {}}]}
    container = {"volumeMounts": [{"name": "a", "mountPath": "/opt/app-root/src/app-config.yaml", "subPath": "app-config.yaml"},
                                  {"name": "b", "mountPath": "/etc/many"},
                                  {"name": "dynamic-plugins-root", "mountPath": "/opt/app-root/src/dynamic-plugins-root"}]}
    files = ["/opt/app-root/src/dynamic-plugins-root/app-config.dynamic-plugins.yaml", "/opt/app-root/src/app-config.yaml",
             "/etc/many/renamed.yaml", "/opt/app-root/src/app-config.example.yaml"]
    assert cr.config_sources(pod, container, files) == [
        (files[0], None), (files[1], ("app-config-rhdh", "app-config.yaml")), (files[2], ("many", "k1")), (files[3], None)]


def test_the_provider_entry_holds_the_token_by_reference_and_the_move_drops_the_base_url():
    document = {"catalog": {"providers": {"modelCatalog": {"development": {"baseUrl": "http://localhost:9090"}}}}}
    entry = ac.kserve_entry("rhoai", "https://kubernetes.default.svc", "Q0E=", None, "team-ai", None)
    rules = cr.with_kind(cr.DEFAULT_RULES)
    changes = ac.ensure_kserve(document, "rhoai", entry, rules, "development", "present", "cm")
    assert document == {"catalog": {"rules": rules, "providers": {"modelCatalog": {"kserve-kubeflow-connector": {"rhoai": {
        "name": "rhoai", "url": "https://kubernetes.default.svc", "serviceAccountToken": "${token}",
        "skipTLSVerify": False, "caData": "Q0E=", "default-owner": "team-ai"}}}}}}
    assert changes == ["set catalog.providers.modelCatalog.kserve-kubeflow-connector.rhoai",
                       "set catalog.rules to allow kind AiModelServerAPI (2 rules)",
                       "removed catalog.providers.modelCatalog.development (the sidecar connector's entry)"]
    assert ac.ensure_kserve(document, "rhoai", entry, rules, "development", "present", "cm") == []
    # absent gives the document back as the user had it: nothing of the connector, no empty mappings
    user = {"app": {"title": "x"}}
    document.update(user)
    ac.ensure_kserve(document, "rhoai", None, [], None, "absent", "cm")
    assert document == user
