"""sidecar_env / sidecar_resources by container name, the user's env vars kept, foreign containers refused."""

import pytest

from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_sidecar_patch as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

WHERE = "Backstage ai-rhdh/developer-hub"


def build(**kw):
    return {c["name"]: c for c in sc.build_sidecars("rhdh-rhoai-connector-token", sc.image_refs(), **kw)}


def extra_env(container):
    fixed = {"NORMALIZER_FORMAT", "POD_IP", "POD_NAMESPACE", "STORAGE_TYPE", "BRIDGE_URL"}
    return {e["name"]: e["value"] for e in container["env"] if e["name"] not in fixed}


def test_env_and_resources_by_container_name_go_to_that_container_only():
    built = build(env={"rhoai-normalizer": {"POLLING_INTERVAL": "1m"}, "location": {"LOG": 2}},
                  resources={"rhoai-normalizer": {"limits": {"memory": "512Mi"}}})
    assert extra_env(built["rhoai-normalizer"]) == {"POLLING_INTERVAL": "1m"}
    assert extra_env(built["location"]) == {"LOG": "2"}
    assert extra_env(built["storage-rest"]) == {}
    assert built["rhoai-normalizer"]["resources"] == {"limits": {"memory": "512Mi"}}
    assert "resources" not in built["location"] and "resources" not in built["storage-rest"]


def test_a_flat_setting_still_applies_to_every_sidecar():
    built = build(env={"DEFAULT_OWNER": "team-a"}, resources={"requests": {"cpu": "10m"}})
    for container in built.values():
        assert extra_env(container) == {"DEFAULT_OWNER": "team-a"}
        assert container["resources"] == {"requests": {"cpu": "10m"}}


@pytest.mark.parametrize("kw, text", [
    ({"env": {"location": {"A": "1"}, "B": "2"}}, "sidecar_env mixes container names (location) with other keys (B)"),
    ({"resources": {"memory": "1Gi"}}, "sidecar_resources keys memory are neither container names"),
    ({"resources": {"location": "1Gi"}}, "sidecar_resources.location must be a mapping"),
])
def test_settings_that_fit_no_container_are_refused(kw, text):
    with pytest.raises(ConnectorError) as err:
        build(**kw)
    assert text in str(err.value) and "Fix:" in str(err.value)


def test_resources_compare_as_quantities_so_a_rerun_does_not_patch_again():
    want = build(resources={"location": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}})["location"]
    live = dict(want, resources={"limits": {"cpu": "1", "memory": "1Gi"}}, terminationMessagePath="/dev/termination-log")
    assert sc.same_container(want, live)
    assert not sc.same_container(want, dict(live, resources={"limits": {"cpu": "2", "memory": "1Gi"}}))
    assert not sc.same_container(want, None)


def test_user_env_vars_on_a_connector_container_are_kept_on_operator_installs():
    current = sc.apply_operator_patch(None, list(build().values()), "present", WHERE)
    pod = current["spec"]["template"]["spec"]
    pod["containers"][2]["env"].append({"name": "HTTPS_PROXY", "value": "http://proxy:3128"})
    updated = sc.apply_operator_patch(current, list(build(metrics_port=9191).values()), "present", WHERE)
    normalizer = updated["spec"]["template"]["spec"]["containers"][2]
    assert {"name": "HTTPS_PROXY", "value": "http://proxy:3128"} in normalizer["env"]
    assert normalizer["args"] == ["--metrics-address=:9191"]
    assert sc.apply_operator_patch(updated, list(build(metrics_port=9191).values()), "present", WHERE) == updated


FOREIGN = {"name": "location", "image": "quay.io/example/geo-location:2", "ports": [{"containerPort": 8000}]}


def test_a_foreign_container_with_a_sidecars_name_is_told_apart():
    ours = build()
    assert sc.foreign_sidecars([FOREIGN, ours["storage-rest"], {"name": "lightspeed-core"}]) == [FOREIGN]
    mirrored = dict(ours["location"], image="mirror.example/ai/model-catalog-location-service:v2")
    overridden = dict(ours["location"], image="my.registry/custom-location:1")  # images: override, our env
    assert sc.foreign_sidecars([mirrored, overridden]) == []


def test_a_foreign_container_is_refused_not_replaced():
    pod = {"containers": [{"name": "backstage-backend"}, FOREIGN], "volumes": [{"name": "dynamic-plugins-root"}]}
    with pytest.raises(ConnectorError) as err:
        step.check_pod("Deployment ai-rhdh/rhdh-developer-hub", pod, [], 8081, "present")
    msg = str(err.value)
    assert "container location of Deployment ai-rhdh/rhdh-developer-hub is not the connector's (image quay.io/example/geo-location:2)" in msg
    assert "nothing was changed" in msg and "Fix: rename or remove that container" in msg


def test_removal_leaves_a_foreign_container_of_a_sidecars_name():
    patch = {"spec": {"template": {"spec": {"containers": [FOREIGN]}}}}
    assert sc.apply_operator_patch(patch, list(build().values()), "absent", WHERE) == patch
