"""Hub and spoke, sidecar connector: the rhoai-normalizer reads the OpenShift AI cluster through a kubeconfig (pure
functions of module_utils/sidecars.py and rbac.py)."""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc

IMAGES = sc.image_refs()


def by_name(items):
    return {item["name"]: item for item in items}


def test_with_a_kubeconfig_the_normalizer_takes_no_token_and_reads_the_mounted_file():
    remote = by_name(sc.build_sidecars("local-token", IMAGES, kubeconfig_secret="copy"))
    normalizer = remote["rhoai-normalizer"]
    assert "envFrom" not in normalizer
    assert {"name": "KUBECONFIG", "value": sc.KUBECONFIG_FILE} in normalizer["env"]
    assert {"name": sc.KUBECONFIG_VOLUME, "mountPath": sc.KUBECONFIG_DIR, "readOnly": True} in normalizer["volumeMounts"]
    assert sc.KUBECONFIG_FILE.startswith(sc.KUBECONFIG_DIR + "/")
    for name in ("location", "storage-rest"):  # their cache and Backstage's Route are on the RHDH cluster
        assert remote[name]["envFrom"] == [{"secretRef": {"name": "local-token"}}]
        assert all(e["name"] != "KUBECONFIG" for e in remote[name]["env"])
    one_cluster = by_name(sc.build_sidecars("local-token", IMAGES))["rhoai-normalizer"]
    assert one_cluster["envFrom"] == [{"secretRef": {"name": "local-token"}}]
    assert all(e["name"] != "KUBECONFIG" for e in one_cluster["env"])


def test_the_operator_patch_gets_the_volume_with_the_sidecars_and_gives_the_users_patch_back_without_it():
    user = {"spec": {"template": {"spec": {"volumes": [{"name": "mine", "emptyDir": {}}],
                                           "containers": [{"name": "lightspeed-core", "image": "x"}]}}}}
    remote = sc.build_sidecars("t", IMAGES, kubeconfig_secret="copy")
    patch = sc.apply_operator_patch(user, remote, "present", "Backstage ns/dh", [sc.kubeconfig_volume("copy")])
    pod = patch["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "mine", "emptyDir": {}}, {"name": sc.KUBECONFIG_VOLUME, "secret": {"secretName": "copy"}}]
    assert sc.kubeconfig_volume_of(patch) == {"name": sc.KUBECONFIG_VOLUME, "secret": {"secretName": "copy"}}
    # the same again changes nothing; back to one cluster drops the volume and the normalizer's kubeconfig
    assert sc.apply_operator_patch(patch, remote, "present", "Backstage ns/dh", [sc.kubeconfig_volume("copy")]) == patch
    local = sc.build_sidecars("t", IMAGES)
    one = sc.apply_operator_patch(patch, local, "present", "Backstage ns/dh", [])
    assert one["spec"]["template"]["spec"]["volumes"] == [{"name": "mine", "emptyDir": {}}]
    normalizer = by_name(one["spec"]["template"]["spec"]["containers"])["rhoai-normalizer"]
    assert normalizer["envFrom"] == [{"secretRef": {"name": "t"}}]
    # and a normalizer that had a token variable loses it when it moves to the kubeconfig (envFrom is the connector's)
    moved = sc.apply_operator_patch(one, remote, "present", "Backstage ns/dh", [sc.kubeconfig_volume("copy")])
    assert "envFrom" not in by_name(moved["spec"]["template"]["spec"]["containers"])["rhoai-normalizer"]
    # removal gives the user's patch back as it was
    assert sc.apply_operator_patch(patch, remote, "absent", "Backstage ns/dh") == user
    assert sc.apply_operator_patch(None, remote, "present", "Backstage ns/dh", [])["spec"]["template"]["spec"].get("volumes") is None


def test_the_rhdh_side_of_the_rbac_has_no_cluster_role_and_reads_routes_in_its_namespace():
    objs = rbac.connector_objects("ai-rhdh", "sa", "", "r", None, rbac.HUB_NAMESPACE_RULES)
    assert [o["kind"] for o in objs] == ["ServiceAccount", "Role", "RoleBinding"]
    resources = sorted(r["resources"][0] for r in objs[1]["rules"])
    assert resources == ["configmaps", "routes"]
    routes = next(r for r in objs[1]["rules"] if r["resources"] == ["routes"])
    assert routes["verbs"] == ["get", "list", "watch"] and routes["apiGroups"] == ["route.openshift.io"]
    assert [o["kind"] for o in rbac.connector_objects("ai-rhdh", "sa", "cr", "")] == [
        "ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
