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
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9@sha256:abc", "chart": "backstage-4.5.16"}, "1.8"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9@sha256:abc", "chart": "redhat-developer-hub-1.9.0"}, "1.9"),
    # the upstream subchart's label (on the Helm Deployment) names no RHDH release
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9@sha256:abc", "chart": "backstage-2.6.1"}, None),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:latest", "csv": "rhdh-operator.v1.10.1"}, "1.10"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:latest"}, None),
    # every source reads any major version: RHDH 2.x is 2.x, not skipped
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:2.0"}, "2.0"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:2.1.3-17"}, "2.1"),
    ({"csv": "rhdh-operator.v2.0.0"}, "2.0"),
    ({"chart": "redhat-developer-hub-2.0.1"}, "2.0"),
    # tags that move from release to release, and chart lines not known, name none
    ({"image": "quay.io/rhdh-community/rhdh:next"}, None),
    ({"image": "quay.io/rhdh-community/rhdh:next", "chart": "backstage-5.0.0"}, None),
])
def test_rhdh_version_detection(kw, expected):
    assert rules.rhdh_version_from(**kw) == expected


@pytest.mark.parametrize("given, expected", [
    ("1.8.2", "1.8"), ("1.10.0", "1.10"), ("1.10", "1.10"), ("v1.9", "1.9"), (" 1.9 ", "1.9"), ("1.8", "1.8"),
    ("", None), (None, None),
])
def test_given_rhdh_versions_are_normalised(given, expected):
    assert rules.normalize_rhdh_version(given) == expected


@pytest.mark.parametrize("given", ["1.1", 1.1])
def test_a_yaml_float_from_an_unquoted_1_10_is_refused_with_the_hint(given):
    with pytest.raises(ConnectorError) as err:
        rules.normalize_rhdh_version(given)
    msg = str(err.value)
    assert "older than 1.8" in msg and "unquoted 1.10 in YAML is read as the number 1.1" in msg
    assert "'1.10'" in msg and "Fix:" in msg


@pytest.mark.parametrize("given", ["latest", "1", "one.eight"])
def test_a_given_version_that_is_no_release_number_is_refused(given):
    with pytest.raises(ConnectorError, match="is not a release number"):
        rules.normalize_rhdh_version(given)


DIGEST = "registry.redhat.io/rhdh/rhdh-hub-rhel9@sha256:" + "a" * 64
SERVED_18 = ["v1alpha4", "v1alpha1", "v1alpha2", "v1alpha3"]
SERVED_19 = ["v1alpha5", "v1alpha3", "v1alpha4"]
SERVED_110 = ["v1alpha5", "v1alpha4"]


@pytest.mark.parametrize("kw, version, source", [
    # OLM: the image is pinned by digest; the operator's CSV names the release ...
    ({"image": DIGEST, "csvs": [("rhdh-operator", "rhdh-operator.v1.8.2")], "served": SERVED_110},
     "1.8", "ClusterServiceVersion rhdh-operator/rhdh-operator.v1.8.2"),
    # ... and without a readable CSV the served Backstage versions narrow it down
    ({"image": DIGEST, "served": SERVED_18}, "1.8", "the served Backstage versions"),
    ({"image": DIGEST, "served": SERVED_19}, "1.9", "the served Backstage versions"),
    ({"image": DIGEST, "csvs": [("rhdh-operator", "rhdh-operator.v2.0.0")], "served": SERVED_110},
     "2.0", "ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0"),
    # a tag that names the release comes first; a given version stands over a source of the same connector
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:1.9", "csvs": [("ns", "rhdh-operator.v1.10.0")]}, "1.9", "the tag of image"),
    ({"image": "quay.io/rhdh/rhdh-hub-rhel9:2.0", "csvs": [("ns", "rhdh-operator.v1.10.0")]}, "2.0", "the tag of image"),
    ({"given": "1.10.1", "image": "quay.io/rhdh/rhdh-hub-rhel9:1.8"}, "1.10",
     "given (rhoai_connector_rhdh_version 1.10.1); the tag of image quay.io/rhdh/rhdh-hub-rhel9:1.8 says 1.8"),
    # ... and where nothing else can tell, the user's word stands
    ({"given": "1.10", "image": "quay.io/rhdh-community/rhdh:next", "served": SERVED_110}, "1.10",
     "given (rhoai_connector_rhdh_version 1.10)"),
    # Helm: the RHDH chart's version
    ({"image": DIGEST, "chart": ("backstage-4.5.16", "Secret ai-rhdh/sh.helm.release.v1.rhdh.v1")}, "1.8",
     "the RHDH chart backstage-4.5.16 (Secret ai-rhdh/sh.helm.release.v1.rhdh.v1)"),
])
def test_rhdh_version_sources_in_order_and_which_decided(kw, version, source):
    found, said = rules.detect_rhdh_version(**kw)
    assert found == version and said.startswith(source), said


def test_served_versions_that_two_releases_serve_decide_nothing():
    # RHDH 1.10 and 2.0 both serve v1alpha4 and v1alpha5: reading 1.10 from them installed 1.10's connector on 2.0
    assert rules.releases_serving(SERVED_110) == ["1.10", "2.0"]
    found, said = rules.detect_rhdh_version(image="quay.io/rhdh-community/rhdh:next", served=SERVED_110)
    assert found is None
    assert said == ("image quay.io/rhdh-community/rhdh:next has no release tag; no RHDH operator ClusterServiceVersion "
                    "readable; the served Backstage versions v1alpha5, v1alpha4 fit RHDH 1.10 and 2.0 alike")
    with pytest.raises(ConnectorError) as err:
        rules.plugin_tags(found, None, said)
    assert "could not be told" in str(err.value) and "fit RHDH 1.10 and 2.0 alike" in str(err.value)
    assert "Fix: set rhoai_connector_rhdh_version" in str(err.value)


def test_csvs_that_disagree_decide_nothing():
    csvs = [("rhdh-operator", "rhdh-operator.v1.10.2"), ("ai-rhdh", "rhdh-operator.v2.0.0")]
    found, said = rules.detect_rhdh_version(image=DIGEST, csvs=csvs, served=SERVED_110)
    assert found is None
    assert "ClusterServiceVersions disagree (ClusterServiceVersion rhdh-operator/rhdh-operator.v1.10.2 says 1.10, " \
           "ClusterServiceVersion ai-rhdh/rhdh-operator.v2.0.0 says 2.0)" in said


def test_a_given_release_of_another_connector_than_the_clusters_is_refused_naming_both():
    with pytest.raises(ConnectorError) as err:
        rules.detect_rhdh_version("1.10", DIGEST, [("rhdh-operator", "rhdh-operator.v2.0.0")], SERVED_110)
    msg = str(err.value)
    assert "rhoai_connector_rhdh_version says RHDH 1.10, which takes the sidecar connector" in msg
    assert "ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0 says RHDH 2.0, which takes the plugin-only" in msg
    assert "Fix: leave rhoai_connector_rhdh_version empty" in msg


def test_each_release_has_one_connector_and_tags_for_each_of_its_plugins():
    for release, row in rules.RELEASES.items():
        assert rules.connector_of(release) == row["connector"]
        assert list(rules.plugin_tags(release)) == list(rules.CONNECTOR_PLUGINS[row["connector"]]), release
        assert bool(row["sidecar_digests"]) == (row["connector"] == rules.SIDECAR_CONNECTOR), release
        assert bool(row["namespace_rules"]) == (row["connector"] == rules.SIDECAR_CONNECTOR), release
    # releases not in the table are placed by number: after the last sidecar release comes the plugin-only connector
    assert rules.connector_of("2.3") == rules.connector_of("3.0") == rules.PLUGIN_ONLY_CONNECTOR
    assert rules.connector_of(None) is None


def test_rhdh_2_0_gets_the_four_plugins_of_the_plugin_only_connector():
    tags = rules.plugin_tags("2.0", None, "ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0")
    assert tags == {"kserve-kubeflow-connector-backend": "bs_1.52.0__0.1.2",
                    "catalog-backend-module-ai-model-server": "bs_1.52.0__0.3.0",
                    "catalog-backend-module-model-catalog": "bs_1.52.0__1.0.1",
                    "catalog-techdoc-url-reader-backend": "bs_1.52.0__0.6.1"}
    # ai-model-server older than 0.3.0 rejects the built-in kinds and breaks sign-in
    assert tags["catalog-backend-module-ai-model-server"].endswith("__0.3.0")
    assert rules.release_rbac("2.0")["namespace_rules"] == [] and rules.release_rbac("2.1") == rules.release_rbac("2.0")


def test_a_2x_release_of_unknown_tags_is_refused_unless_all_four_are_given():
    source = "the tag of image quay.io/rhdh/rhdh-hub-rhel9:2.1"
    with pytest.raises(ConnectorError) as err:
        rules.plugin_tags("2.1", None, source)
    msg = str(err.value)
    assert msg.startswith("RHDH 2.1 ({0}) takes the plugin-only connector, but its plugin tags are not known".format(source))
    assert "Fix: give a tag for each of kserve-kubeflow-connector-backend, catalog-backend-module-ai-model-server, " \
           "catalog-backend-module-model-catalog, catalog-techdoc-url-reader-backend in rhoai_connector_plugin_tags" in msg
    sidecar_tags = {"catalog-backend-module-model-catalog": "t1", "catalog-techdoc-url-reader-backend": "t2"}
    with pytest.raises(ConnectorError, match="but not for kserve-kubeflow-connector-backend, catalog-backend-module-ai-model-server"):
        rules.plugin_tags("2.1", sidecar_tags, source)
    four = dict(sidecar_tags, **{"kserve-kubeflow-connector-backend": "t3", "catalog-backend-module-ai-model-server": "t4"})
    assert rules.plugin_tags("2.1", four, source) == {name: four[name] for name in rules.dp.PLUGIN_ONLY_PLUGINS}


def test_no_source_tells_the_version_and_the_error_says_what_was_tried():
    found, said = rules.detect_rhdh_version(image=DIGEST, served=["v1alpha6", "v1alpha5"])
    assert found is None
    assert "has no release tag" in said and "v1alpha6, v1alpha5 fit no known release" in said
    with pytest.raises(ConnectorError, match="fit no known release"):
        rules.plugin_tags(found, None, said)


def test_helm_release_secret_gives_the_rhdh_charts_version():
    import base64
    import gzip
    import json

    from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh

    release = {"name": "rhdh", "chart": {"metadata": {"name": "backstage", "version": "4.5.16"}}}
    helm_text = base64.b64encode(gzip.compress(json.dumps(release).encode()))  # what Helm stores
    secret = {"metadata": {"name": "sh.helm.release.v1.rhdh.v1"}, "data": {"release": base64.b64encode(helm_text).decode()}}
    assert rhdh.helm_release_chart(secret) == "backstage-4.5.16"
    assert rhdh.helm_release_chart({"data": {"release": "not base64!"}}) is None


def test_plugin_tags_by_version_and_explicit():
    assert rules.plugin_tags("1.9") == {"catalog-backend-module-model-catalog": "bs_1.45.3__0.9.0",
                                        "catalog-techdoc-url-reader-backend": "bs_1.45.3__0.5.0"}
    explicit = {"catalog-backend-module-model-catalog": "t1", "catalog-techdoc-url-reader-backend": "t2"}
    assert rules.plugin_tags("1.10", explicit) == explicit
    with pytest.raises(ConnectorError, match="but not for catalog-techdoc-url-reader-backend"):
        rules.plugin_tags("1.10", {"catalog-backend-module-model-catalog": "t1"})
    # tags alone do not tell which connector the release needs
    with pytest.raises(ConnectorError, match="could not be told"):
        rules.plugin_tags(None, explicit)


@pytest.mark.parametrize("version, text", [
    ("1.11", "RHDH 1.11 (given) takes the plugin-only connector, but its plugin tags are not known"),
    ("1.7", "RHDH 1.7 (given) takes the sidecar connector, but its plugin tags are not known"),
    (None, "could not be told"),
])
def test_unknown_rhdh_version_says_which_variables_to_set(version, text):
    with pytest.raises(ConnectorError) as err:
        rules.plugin_tags(version)
    assert text in str(err.value) and "Fix:" in str(err.value)
    assert "rhoai_connector_rhdh_version" in str(err.value) or "rhoai_connector_plugin_tags" in str(err.value)


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


def test_each_sidecar_release_has_its_digests_and_1_9_and_1_10_run_the_maintainers_storage_rest():
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc

    assert rules.sidecar_digests("1.8") == sc.DEFAULT_DIGESTS  # the guide's
    for release in ("1.9", "1.10"):
        digests = rules.sidecar_digests(release)
        assert digests["storage-rest"] == "sha256:609f6866c7913a87c51912260803c219e564fa7dc90c2ff735ff6dfc5797bc3b"
        assert {k: v for k, v in digests.items() if k != "storage-rest"} == {
            k: v for k, v in sc.DEFAULT_DIGESTS.items() if k != "storage-rest"}
    assert rules.sidecar_digests("2.0") == {} and rules.sidecar_digests(None) == {}
    assert set(rules.sidecar_digests("1.10")) == set(sc.SIDECAR_NAMES)
