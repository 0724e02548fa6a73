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
    wiring = sc.helm_app_config_wiring(pod, "rhdh-rhoai-connector-app-config", ac.CONFIG_KEY, "present")
    args = wiring["container"]["args"]
    assert args[-2:] == ["--config", "/opt/app-root/src/app-config.rhoai-connector.yaml"]
    pod["containers"][0]["args"] = args
    assert sc.helm_app_config_wiring(pod, "rhdh-rhoai-connector-app-config", ac.CONFIG_KEY, "present")["container"]["args"] == args
    removed = sc.helm_app_config_wiring(pod, "rhdh-rhoai-connector-app-config", ac.CONFIG_KEY, "absent")
    assert removed["container"]["args"] == ["--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml"]
    assert removed["volumes"] == [{"name": "rhdh-rhoai-connector-app-config", "$patch": "delete"}]


def test_the_connector_key_is_no_file_users_have():
    # The operator mounts each key at /opt/app-root/src/<key>; users create theirs from app-config.yaml.
    assert ac.CONFIG_KEY != "app-config.yaml"
    assert "app-config.yaml" in ac.LEGACY_CONFIG_KEYS
    assert sc.app_config_path(ac.CONFIG_KEY) == "/opt/app-root/src/app-config.rhoai-connector.yaml"


def test_helm_values_name_the_file_the_live_patch_mounts():
    values = sc.helm_values(sidecars(), "cm", ac.CONFIG_KEY)
    assert [c["name"] for c in values["upstream"]["backstage"]["extraContainers"]] == list(sc.SIDECAR_NAMES)
    [entry] = values["upstream"]["backstage"]["extraAppConfig"]
    assert entry == {"configMapRef": "cm", "filename": ac.CONFIG_KEY}
    # The chart renders an extraAppConfig entry as volume <configMapRef>, mount <dir>/<filename> with
    # subPath <filename>, and --config <dir>/<filename>: the live patch must be exactly that.
    wiring = sc.helm_app_config_wiring({"containers": [{"name": "backstage-backend"}]}, "cm", ac.CONFIG_KEY, "present")
    assert wiring["volumes"] == [{"name": entry["configMapRef"], "configMap": {"name": "cm"}}]
    assert wiring["container"]["volumeMounts"] == [
        {"name": entry["configMapRef"], "mountPath": "/opt/app-root/src/" + entry["filename"], "subPath": entry["filename"]}]
    assert wiring["container"]["args"] == ["--config", "/opt/app-root/src/" + entry["filename"]]


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


def test_app_config_clashes_name_a_foreign_mount_or_volume_and_accept_the_connectors_own():
    path = sc.app_config_path(ac.CONFIG_KEY)
    own = {"volumes": [{"name": "cm", "configMap": {"name": "cm"}}],
           "containers": [{"name": "backstage-backend",
                           "volumeMounts": [{"name": "cm", "mountPath": path, "subPath": ac.CONFIG_KEY}]}]}
    assert sc.app_config_clashes(own, "cm", ac.CONFIG_KEY, "cm") == []
    foreign_mount = copy.deepcopy(own)
    foreign_mount["volumes"][0] = {"name": "cm", "configMap": {"name": "my-app-config"}}
    assert sc.app_config_clashes(foreign_mount, "cm", ac.CONFIG_KEY, "cm") == [
        "container backstage-backend already mounts {0} from volume cm".format(path),
        "volume cm already exists and holds ConfigMap my-app-config"]
    foreign_volume = {"volumes": [{"name": "cm", "emptyDir": {}}], "containers": [{"name": "backstage-backend"}]}
    assert sc.app_config_clashes(foreign_volume, "cm", ac.CONFIG_KEY, "cm") == [
        "volume cm already exists and holds something other than ConfigMap cm"]
    # Operator installs name no volume: only the file's path counts.
    assert sc.app_config_clashes(foreign_volume, "cm", ac.CONFIG_KEY) == []


def test_app_config_file_problems_name_a_hidden_user_file_and_a_missing_config_argument():
    src = "/opt/app-root/src"
    user = ("app-config-rhdh", "app-config.yaml", src + "/app-config.yaml")
    mine = ("connector", ac.CONFIG_KEY, src + "/" + ac.CONFIG_KEY)
    pod = {"volumes": [{"name": "u", "configMap": {"name": "app-config-rhdh"}}, {"name": "c", "configMap": {"name": "connector"}}],
           "containers": [{"name": "backstage-backend", "workingDir": src,
                           "args": ["--config", "app-config.yaml", "--config", src + "/" + ac.CONFIG_KEY],
                           "volumeMounts": [{"name": "u", "mountPath": user[2], "subPath": "app-config.yaml"},
                                            {"name": "c", "mountPath": mine[2], "subPath": ac.CONFIG_KEY}]}]}
    assert sc.app_config_file_problems(pod, [user, mine]) == []
    # What the collection did before: its ConfigMap under key app-config.yaml, mounted over the user's file.
    hidden = copy.deepcopy(pod)
    hidden["containers"][0]["volumeMounts"][1] = {"name": "c", "mountPath": user[2], "subPath": "app-config.yaml"}
    assert sc.app_config_file_problems(hidden, [user, mine]) == [
        "{0} is mounted 2 times in backstage-backend (volumes u, c): one file hides the other".format(user[2]),
        "{0} (ConfigMap connector key {1}) is not mounted in backstage-backend".format(mine[2], ac.CONFIG_KEY)]
    # As the operator renders it: the later mount at the same path replaces the earlier one.
    replaced = copy.deepcopy(hidden)
    del replaced["containers"][0]["volumeMounts"][0]
    assert sc.app_config_file_problems(replaced, [user])[0] == (
        "{0} (ConfigMap app-config-rhdh key app-config.yaml) is not mounted in backstage-backend: ConfigMap connector "
        "key app-config.yaml is mounted there instead and hides it".format(user[2]))
    dropped = copy.deepcopy(pod)
    dropped["containers"][0]["args"] = dropped["containers"][0]["args"][2:]
    assert sc.app_config_file_problems(dropped, [user, mine]) == [
        "{0} (ConfigMap app-config-rhdh key app-config.yaml) is not passed with --config".format(user[2])]


def test_helm_values_keep_the_users_extra_app_configs_in_order_and_add_the_connectors_once():
    src = "/opt/app-root/src"
    pod = {"volumes": [{"name": "app-config-rhdh", "configMap": {"name": "app-config-rhdh"}},
                       {"name": "backstage-app-config", "configMap": {"name": "rhdh-developer-hub-app-config"}}],
           "containers": [{"name": "backstage-backend", "workingDir": src,
                           "args": ["--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml",
                                    "--config", src + "/app-config-rhdh.yaml",
                                    "--config", src + "/app-config-from-configmap.yaml"],
                           "volumeMounts": [
                               {"name": "app-config-rhdh", "mountPath": src + "/app-config-rhdh.yaml", "subPath": "app-config-rhdh.yaml"},
                               {"name": "backstage-app-config", "mountPath": src + "/app-config-from-configmap.yaml", "subPath": "app-config.yaml"}]}]}
    found = sc.helm_extra_app_configs(pod)
    assert found == [{"configMapRef": "app-config-rhdh", "filename": "app-config-rhdh.yaml"}]
    values = sc.helm_values(sidecars(), "cm", ac.CONFIG_KEY, found)
    expected = found + [{"configMapRef": "cm", "filename": ac.CONFIG_KEY}]
    assert values["upstream"]["backstage"]["extraAppConfig"] == expected
    # Once the connector's file is on the pod too, it is found and not added a second time.
    wiring = sc.helm_app_config_wiring(pod, "cm", ac.CONFIG_KEY, "present")
    pod["volumes"] += wiring["volumes"]
    pod["containers"][0]["volumeMounts"] += wiring["container"]["volumeMounts"]
    pod["containers"][0]["args"] = wiring["container"]["args"]
    assert sc.helm_values(sidecars(), "cm", ac.CONFIG_KEY, sc.helm_extra_app_configs(pod))["upstream"]["backstage"]["extraAppConfig"] == expected
