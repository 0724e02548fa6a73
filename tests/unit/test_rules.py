"""Version and prerequisite rules."""

import pytest

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError


def healthy(**over):
    facts = {
        "platform": "rhoai-self-managed", "release_name": "OpenShift AI Self-Managed", "version": "2.25.0",
        "dsc": "default-dsc", "modelregistry_state": "Managed", "registries_namespace": "rhoai-model-registries",
        "registries": [{"name": "registry-prod", "route_hosts": ["h"]}], "kserve": True,
        "dashboard": {"disableModelRegistry": False, "disableModelCatalog": False},
        "applications_namespace": "redhat-ods-applications",
    }
    facts.update(over)
    return facts


def by_check(verdicts):
    return {v["check"]: v for v in verdicts}


def test_healthy_cluster_passes():
    verdicts = rules.preflight_verdicts(healthy())
    assert {v["status"] for v in verdicts} == {"ok"}, verdicts


@pytest.mark.parametrize("version, status", [("2.19.0", "fail"), ("2.20.0", "warn"), ("2.24.3", "warn"), ("2.25.0", "ok"), ("3.0.0", "ok")])
def test_version_rules(version, status):
    assert by_check(rules.preflight_verdicts(healthy(version=version)))["version"]["status"] == status


def test_too_old_names_the_fix():
    msg = by_check(rules.preflight_verdicts(healthy(version="2.19.0")))["version"]["msg"]
    assert "2.19.0" in msg and "upgrade OpenShift AI to 2.20 or later" in msg


def test_registry_removed_fails_with_the_patch_command():
    v = by_check(rules.preflight_verdicts(healthy(modelregistry_state="Removed")))["model_registry"]
    assert v["status"] == "fail" and "DataScienceCluster default-dsc" in v["msg"] and "oc patch datasciencecluster" in v["msg"]


def test_no_kserve_fails_and_no_platform_fails():
    assert by_check(rules.preflight_verdicts(healthy(kserve=False)))["kserve"]["status"] == "fail"
    assert rules.preflight_verdicts({"platform": "none"})[0]["status"] == "fail"


def test_dashboard_flags_and_missing_registries_warn():
    verdicts = by_check(rules.preflight_verdicts(healthy(dashboard={"disableModelRegistry": True}, registries=[])))
    assert verdicts["dashboard_disableModelRegistry"]["status"] == "warn"
    assert "odh-dashboard-config" in verdicts["dashboard_disableModelRegistry"]["msg"]
    assert verdicts["registries"]["status"] == "warn"
    verdicts = by_check(rules.preflight_verdicts(healthy(registries=[{"name": "r", "route_hosts": []}])))
    assert verdicts["registries"]["status"] == "warn" and "ModelRegistry r" in verdicts["registries"]["msg"]


def test_odh_skips_rhoai_version_rules():
    verdicts = by_check(rules.preflight_verdicts(healthy(platform="odh", release_name="Open Data Hub", version="2.10.0")))
    assert verdicts["version"]["status"] == "ok"


@pytest.mark.parametrize("kw, expected", [
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:1.8"}, "1.8"),
    ({"image": "registry.redhat.io/rhdh/rhdh-hub-rhel9:1.9-123"}, "1.9"),
    ({"image": "quay.io/rhdh-community/rhdh:next-1.10"}, "1.10"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9@sha256:abc", "chart": "backstage-1.8.2"}, "1.8"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:latest", "csv": "rhdh-operator.v1.10.1"}, "1.10"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:latest"}, None),
])
def test_rhdh_version_detection(kw, expected):
    assert rules.rhdh_version_from(**kw) == expected


def test_plugin_tags_by_version_and_explicit():
    assert rules.plugin_tags("1.9") == {"catalog-backend-module-model-catalog": "bs_1.45.3__0.9.0",
                                        "catalog-techdoc-url-reader-backend": "bs_1.45.3__0.5.0"}
    explicit = {"catalog-backend-module-model-catalog": "t1", "catalog-techdoc-url-reader-backend": "t2"}
    assert rules.plugin_tags(None, explicit) == explicit
    with pytest.raises(ConnectorError, match="but not for catalog-techdoc-url-reader-backend"):
        rules.plugin_tags(None, {"catalog-backend-module-model-catalog": "t1"})


@pytest.mark.parametrize("version, text", [
    ("1.11", "newer than 1.10, the last release the sidecar mode supports"),
    ("1.7", "RHDH 1.7 has no known plugin tags"),
    (None, "could not be told"),
])
def test_unknown_rhdh_version_says_which_variables_to_set(version, text):
    with pytest.raises(ConnectorError) as err:
        rules.plugin_tags(version)
    assert text in str(err.value) and "rhoai_connector_rhdh_version" in str(err.value) and "rhoai_connector_plugin_tags" in str(err.value)


# plain objects (RBAC) -------------------------------------------------------------------------

from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects  # noqa: E402

ROLE = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "n", "labels": {"a": "1"}},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}


def test_plan_writes_only_on_a_real_difference():
    live = dict(ROLE, metadata=dict(ROLE["metadata"], resourceVersion="5", uid="u", labels={"a": "1", "user": "x"}))
    assert objects.plan(None, ROLE) == "create"
    assert objects.plan(live, ROLE) == "none"
    changed = dict(ROLE, rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}])
    assert objects.plan(live, changed) == "update"
    body = objects.desired_body(live, changed)
    assert body["rules"] == changed["rules"] and body["metadata"]["labels"] == {"a": "1", "user": "x"}
    assert body["metadata"]["resourceVersion"] == "5"


def test_binding_with_a_new_role_ref_is_recreated():
    binding = {"kind": "RoleBinding", "metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "x", "apiGroup": "rbac.authorization.k8s.io"},
               "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "n"}]}
    assert objects.plan(binding, binding) == "none"
    assert objects.plan(binding, dict(binding, roleRef=dict(binding["roleRef"], name="y"))) == "recreate"
    assert objects.plan(binding, dict(binding, subjects=[{"kind": "Group", "name": "g"}])) == "update"


def test_access_reviews_cover_every_verb_and_registry():
    reviews = objects.access_reviews(
        [{"apiGroups": ["route.openshift.io"], "resources": ["routes"], "verbs": ["get", "list"]}],
        [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]}], "ai-rhdh", ["reg-a"], "rhoai-model-registries")
    assert reviews == [
        {"verb": "get", "resource": "routes", "group": "route.openshift.io"},
        {"verb": "list", "resource": "routes", "group": "route.openshift.io"},
        {"verb": "create", "resource": "configmaps", "group": "", "namespace": "ai-rhdh"},
        {"verb": "get", "resource": "services", "group": "", "name": "reg-a", "namespace": "rhoai-model-registries"},
    ]
