"""Sidecars merged by name, the operator patch, Helm wiring, and the app-config entry."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

WHERE = "Backstage ai-rhdh/developer-hub"


def sidecars(**kw):
    return sc.build_sidecars("rhdh-rhoai-connector-token", sc.image_refs(), **kw)


def test_sidecars_follow_the_guide_and_its_fixes():
    by_name = {c["name"]: c for c in sidecars()}
    assert list(by_name) == ["location", "storage-rest", "rhoai-normalizer"]
    for cont in by_name.values():
        env = {e["name"]: e for e in cont["env"]}
        assert env["NORMALIZER_FORMAT"]["value"] == "JsonArrayFormat"
        assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
        assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
        assert cont["envFrom"] == [{"secretRef": {"name": "rhdh-rhoai-connector-token"}}]
        assert cont["volumeMounts"] == [{"name": "dynamic-plugins-root", "mountPath": "/opt/app-root/src/dynamic-plugins-root"}]
        assert cont["workingDir"] == "/opt/app-root/src"
        assert "@sha256:" in cont["image"]
    assert by_name["location"]["ports"] == [{"name": "location", "containerPort": 9090}]
    env = {e["name"]: e.get("value") for e in by_name["storage-rest"]["env"]}
    assert env["STORAGE_TYPE"] == "ConfigMap" and env["BRIDGE_URL"] == "http://localhost:9090"
    assert by_name["rhoai-normalizer"]["args"] == ["--metrics-address=:8081"]


def test_images_can_be_mirrored_and_digests_overridden():
    refs = sc.image_refs("mirror.example:5000/ai", {"location": "sha256:" + "1" * 64}, {"storage-rest": "my/storage:9"})
    assert refs["location"] == "mirror.example:5000/ai/model-catalog-location-service@sha256:" + "1" * 64
    assert refs["storage-rest"] == "my/storage:9"
    assert refs["rhoai-normalizer"].startswith("mirror.example:5000/ai/model-catalog-rhoai-normalizer@sha256:9f19")


def test_port_conflict_with_lightspeed_is_found_and_metrics_port_avoids_it():
    lightspeed = {"name": "lightspeed-core", "ports": [{"containerPort": 8080, "name": "lcs-backend"}]}
    backend = {"name": "backstage-backend", "ports": [{"containerPort": 7007}]}
    assert sc.port_conflicts([lightspeed, backend], 8081) == []
    assert sc.port_conflicts([lightspeed, backend], 8080) == [("lightspeed-core", 8080, "rhoai-normalizer metrics")]
    assert sc.port_conflicts([{"name": "x", "ports": [{"containerPort": 9090}]}], 8081) == [("x", 9090, "location (catalog list)")]
    assert sc.port_conflicts([{"name": "location", "ports": [{"containerPort": 9090}]}], 8081) == []


def test_operator_patch_keeps_user_patch_and_foreign_sidecars():
    user = {"metadata": {"labels": {"team": "a"}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "backstage-backend", "env": [{"name": "X", "value": "1"}]},
                {"name": "lightspeed-core", "image": "ls"}]}}}}
    result = sc.apply_operator_patch(user, sidecars(), "present", WHERE)
    names = [c["name"] for c in result["spec"]["template"]["spec"]["containers"]]
    assert names == ["backstage-backend", "lightspeed-core", "location", "storage-rest", "rhoai-normalizer"]
    assert result["metadata"] == user["metadata"]
    assert sc.apply_operator_patch(result, sidecars(), "present", WHERE) == result
    assert sc.apply_operator_patch(result, sidecars(), "absent", WHERE) == user


def test_operator_patch_created_from_nothing_and_removed_to_nothing():
    added = sc.apply_operator_patch(None, sidecars(), "present", WHERE)
    assert [c["name"] for c in added["spec"]["template"]["spec"]["containers"]] == list(sc.SIDECAR_NAMES)
    assert sc.apply_operator_patch(added, sidecars(), "absent", WHERE) == {}


def test_user_additions_to_a_connector_container_are_kept_on_update():
    current = sc.apply_operator_patch(None, sidecars(), "present", WHERE)
    current["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1Gi"}}
    updated = sc.apply_operator_patch(current, sidecars(metrics_port=9191), "present", WHERE)
    conts = updated["spec"]["template"]["spec"]["containers"]
    assert conts[0]["resources"] == {"limits": {"memory": "1Gi"}}
    assert conts[2]["args"] == ["--metrics-address=:9191"]


def test_operator_patch_that_is_not_a_mapping_is_refused():
    with pytest.raises(ConnectorError, match="spec.deployment.patch must be a mapping"):
        sc.apply_operator_patch(["x"], sidecars(), "present", WHERE)


def test_app_config_refs_once_and_removed():
    refs = [{"name": "app-config-rhdh"}]
    added = sc.app_config_refs(refs, "rhdh-rhoai-connector-app-config", "present")
    assert added == refs + [{"name": "rhdh-rhoai-connector-app-config"}]
    assert sc.app_config_refs(added, "rhdh-rhoai-connector-app-config", "present") == added
    assert sc.app_config_refs(added, "rhdh-rhoai-connector-app-config", "absent") == refs


def test_helm_wiring_appends_config_arg_once_and_deletes_it():
    pod = {"containers": [{"name": "backstage-backend", "args": ["--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml"]}]}
    wiring = sc.helm_app_config_wiring(pod, "rhdh-rhoai-connector-app-config", "app-config.yaml", "present")
    args = wiring["container"]["args"]
    assert args[-2:] == ["--config", "/opt/app-root/src/app-config.rhoai-connector.yaml"]
    pod["containers"][0]["args"] = args
    assert sc.helm_app_config_wiring(pod, "rhdh-rhoai-connector-app-config", "app-config.yaml", "present")["container"]["args"] == args
    removed = sc.helm_app_config_wiring(pod, "rhdh-rhoai-connector-app-config", "app-config.yaml", "absent")
    assert removed["container"]["args"] == ["--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml"]
    assert removed["volumes"] == [{"name": "rhdh-rhoai-connector-app-config", "$patch": "delete"}]


def test_helm_values_snippet():
    values = sc.helm_values(sidecars(), "cm", "app-config.yaml")
    assert [c["name"] for c in values["upstream"]["backstage"]["extraContainers"]] == list(sc.SIDECAR_NAMES)
    assert values["upstream"]["backstage"]["extraAppConfig"] == [{"configMapRef": "cm", "filename": "app-config.yaml"}]


def test_is_subset_tolerates_server_defaults():
    want = {"name": "a", "ports": [{"containerPort": 1}]}
    have = {"name": "a", "ports": [{"containerPort": 1, "protocol": "TCP"}], "terminationMessagePath": "/dev/x"}
    assert sc.is_subset(want, have)
    assert not sc.is_subset({"name": "a", "args": ["x"]}, have)
    # named lists merge by name: a variable the user added next to ours is no difference
    assert sc.is_subset({"env": [{"name": "A", "value": "1"}]}, {"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]})
    assert not sc.is_subset({"env": [{"name": "A", "value": "1"}]}, {"env": [{"name": "A", "value": "2"}]})


# app-config -----------------------------------------------------------------------------------

def test_base_url_set_keeps_other_keys_and_removal_prunes_only_what_it_made():
    doc = {"app": {"title": "Hub"}, "catalog": {"rules": [{"allow": ["Component"]}]}}
    original = copy.deepcopy(doc)
    assert ac.ensure_base_url(doc, "development", "http://localhost:9090", "present", "cm") == [
        "set catalog.providers.modelCatalog.development.baseUrl to http://localhost:9090"]
    assert doc["catalog"]["providers"]["modelCatalog"]["development"] == {"baseUrl": "http://localhost:9090"}
    assert ac.ensure_base_url(doc, "development", "http://localhost:9090", "present", "cm") == []
    assert ac.get_base_url(doc, "development") == "http://localhost:9090"
    assert ac.ensure_base_url(doc, "development", "", "absent", "cm") == ["removed catalog.providers.modelCatalog.development"]
    assert doc == original


def test_base_url_under_a_non_mapping_is_refused():
    with pytest.raises(ConnectorError, match="'catalog.providers' must be a mapping"):
        ac.ensure_base_url({"catalog": {"providers": ["x"]}}, "development", "u", "present", "ConfigMap a/b")


def test_deep_merge_matches_backstage():
    assert ac.deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2], "d": 3}}) == {"a": {"b": 1, "c": [2], "d": 3}}


keys = st.sampled_from(["app", "catalog", "backend", "providers", "modelCatalog", "x"])
trees = st.recursive(st.one_of(st.integers(), st.text(max_size=3)), lambda inner: st.dictionaries(keys, inner, max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, trees, max_size=4))
def test_app_config_add_twice_equals_once_and_remove_restores(doc):
    try:
        ac.ensure_base_url(copy.deepcopy(doc), "development", "http://localhost:9090", "present", "cm")
    except ConnectorError:
        return  # a scalar sits on the path: refused, nothing to check
    if ac.get_base_url(doc, "development") is not None:
        return
    once = copy.deepcopy(doc)
    ac.ensure_base_url(once, "development", "http://localhost:9090", "present", "cm")
    twice = copy.deepcopy(once)
    assert ac.ensure_base_url(twice, "development", "http://localhost:9090", "present", "cm") == []
    assert twice == once
    ac.ensure_base_url(twice, "development", "", "absent", "cm")
    empty_parents = any(
        ac._walk(copy.deepcopy(doc), list(ac.PROVIDER_PATH)[:d], "cm", create=False) == {} for d in range(1, 4)
    )
    if not empty_parents:
        assert twice == doc
