"""Issue 11, items 4, 5 and 7 on a real API server, with the real RHDH chart (scenario rhdh-helm):

- uninstall gives back what the user had before the install: a plugin entry they wrote (its own
  tag, registry and pluginConfig), and a ServiceAccount and token Secret made by hand under the
  guide's names;
- the collection's registry RoleBindings never leak: present removes those of a registry that is
  gone, absent removes all of them when RHOAI is gone; the guide's group-wide binding is reported,
  and replaced with legacy migration on;
- a mirror registry (plugin_registry) updates the plugin entries in place.

Each re-run is checked to send no write request (the API server's audit log).
"""

from __future__ import annotations

import json
import time

import pytest
import yaml

from ansible_run import describe, our_writes, run_role

NS = "ai-rhdh"
REG_NS = "rhoai-model-registries"
PLUGINS_CM = "rhdh-dynamic-plugins"
KEY = "dynamic-plugins.yaml"
MC_NAME = "red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog"
TD_NAME = "red-hat-developer-hub-backstage-plugin-catalog-techdoc-url-reader-backend"
GHCR = "ghcr.io/redhat-developer/rhdh-plugin-export-overlays"
MIRROR = "mirror.example.com/rhdh"
MANAGED = "app.kubernetes.io/managed-by=rhdh.ai_connector"
# What a user wrote by hand before the install, following the guide, with settings of their own.
USERS_ENTRY = {"package": "oci://{0}/{1}:bs_1.42.5__0.6.0!{1}".format(MIRROR, MC_NAME), "disabled": True,
               "pluginConfig": {"catalog": {"providers": {"modelCatalog": {"mine": {"baseUrl": "http://example.test"}}}}}}
QUICK = {"namespace": NS, "wait_timeout": 180}


@pytest.fixture(scope="module")
def helm(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-helm")


def get(cluster, *args, check=True):
    out = cluster.kubectl("get", *args, "-o", "json", check=check)
    return json.loads(out.stdout) if out.returncode == 0 else None


def apply(cluster, obj):
    cluster.kubectl("apply", "-f", "-", input=json.dumps(obj))


def plugins_text(cluster) -> str:
    return get(cluster, "configmap", PLUGINS_CM, "-n", NS)["data"][KEY]


def set_plugins_text(cluster, text: str) -> None:
    cluster.kubectl("patch", "configmap", PLUGINS_CM, "-n", NS, "--type", "merge", "-p", json.dumps({"data": {KEY: text}}))


def connector(cluster, **args):
    result = run_role(dict(QUICK, **args), cluster.kubeconfig)
    assert not result["failed"], result["msg"]
    return result


def assert_rerun_writes_nothing(cluster, **args):
    since = time.time()
    again = connector(cluster, **args)
    assert again["changed"] is False and again["changes"] == [], again["changes"]
    writes = our_writes(cluster, since)
    assert writes == [], describe(writes)


def our_bindings(cluster, registries_only: bool = False) -> list[str]:
    items = get(cluster, "rolebindings", "-A", "-l", MANAGED)["items"]
    return sorted("{0}/{1}".format(b["metadata"]["namespace"], b["metadata"]["name"]) for b in items
                  if not registries_only or b["roleRef"]["name"].startswith("registry-user-"))


def test_absent_gives_back_the_users_plugin_entry_and_hand_made_objects(helm):
    cluster = helm
    doc = yaml.safe_load(plugins_text(cluster))
    doc["plugins"].insert(1, USERS_ENTRY)
    set_plugins_text(cluster, yaml.safe_dump(doc, sort_keys=False))
    before_text = plugins_text(cluster)
    # A ServiceAccount and its token Secret made by hand, as the guide has users do.
    apply(cluster, {"apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": {"name": "rhdh-rhoai-connector", "namespace": NS, "labels": {"team": "ai"}}})
    apply(cluster, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                    "metadata": {"name": "rhdh-rhoai-connector-token", "namespace": NS,
                                 "annotations": {"kubernetes.io/service-account.name": "rhdh-rhoai-connector"}}})
    sa_before = get(cluster, "serviceaccount", "rhdh-rhoai-connector", "-n", NS)

    installed = connector(cluster)
    assert installed["changed"]
    entries = [e for e in yaml.safe_load(plugins_text(cluster))["plugins"] if MC_NAME in e["package"]]
    assert len(entries) == 1 and entries[0]["disabled"] is False and GHCR in entries[0]["package"]
    assert entries[0]["pluginConfig"] == USERS_ENTRY["pluginConfig"]  # the user's settings kept while installed
    sa = get(cluster, "serviceaccount", "rhdh-rhoai-connector", "-n", NS)
    assert "rhdh.ai-connector/adopted" in sa["metadata"]["annotations"]
    assert_rerun_writes_nothing(cluster)

    removed = connector(cluster, state="absent")
    assert removed["changed"]
    assert plugins_text(cluster) == before_text
    cm = get(cluster, "configmap", PLUGINS_CM, "-n", NS)
    assert "rhdh.ai-connector/plugin-entries" not in (cm["metadata"].get("annotations") or {})
    sa = get(cluster, "serviceaccount", "rhdh-rhoai-connector", "-n", NS)
    assert sa is not None and sa["metadata"]["labels"] == sa_before["metadata"]["labels"] == {"team": "ai"}
    assert "rhdh.ai-connector/adopted" not in (sa["metadata"].get("annotations") or {})
    assert sa["metadata"]["uid"] == sa_before["metadata"]["uid"]
    time.sleep(2)  # the token controller would delete the Secret of a deleted ServiceAccount by now
    assert get(cluster, "secret", "rhdh-rhoai-connector-token", "-n", NS, check=False) is not None
    assert get(cluster, "clusterrole", "rhdh-rhoai-connector", check=False) is None  # what it created is gone
    assert our_bindings(cluster) == []
    cluster.kubectl("delete", "secret", "rhdh-rhoai-connector-token", "-n", NS)
    cluster.kubectl("delete", "serviceaccount", "rhdh-rhoai-connector", "-n", NS)


def test_a_mirror_registry_updates_the_plugin_entries_in_place(helm):
    """The issue's case: an entry from ghcr.io, then a disconnected run with plugin_registry on a mirror."""
    cluster = helm
    doc = yaml.safe_load(plugins_text(cluster))
    doc["plugins"] = [e for e in doc["plugins"] if MC_NAME not in e["package"] and TD_NAME not in e["package"]]
    doc["plugins"].append({"package": "oci://{0}/{1}:bs_1.42.5__0.7.0!{1}".format(GHCR, MC_NAME), "disabled": False})
    set_plugins_text(cluster, yaml.safe_dump(doc, sort_keys=False))
    before_text = plugins_text(cluster)
    connector(cluster, plugin_registry=MIRROR)
    packages = [e["package"] for e in yaml.safe_load(plugins_text(cluster))["plugins"]]
    ours = [p for p in packages if MC_NAME in p or TD_NAME in p]
    assert len(ours) == 2 and all(p.startswith("oci://" + MIRROR + "/") for p in ours), packages
    assert packages.index(ours[0]) == len(doc["plugins"]) - 1  # the ghcr.io entry, updated where it was
    assert_rerun_writes_nothing(cluster, plugin_registry=MIRROR)
    connector(cluster)  # back to ghcr.io: still one entry per plugin
    packages = [e["package"] for e in yaml.safe_load(plugins_text(cluster))["plugins"]]
    assert len([p for p in packages if MC_NAME in p or TD_NAME in p]) == 2, packages
    connector(cluster, state="absent", plugin_registry=MIRROR)
    assert plugins_text(cluster) == before_text  # the user's ghcr.io entry is theirs: given back


def test_entries_of_an_install_by_an_earlier_version_count_as_the_collections_own(helm):
    """An earlier version kept no record of what it added: with its ServiceAccount labelled as the
    collection's and no record, its plugin entries are the collection's own, and absent removes them
    while the user's entries stay."""
    cluster = helm
    original = plugins_text(cluster)
    doc = yaml.safe_load(original)  # the user's own plugins only (an earlier test gives the user an entry of these)
    doc["plugins"] = [e for e in doc["plugins"] if MC_NAME not in e["package"] and TD_NAME not in e["package"]]
    before = [e["package"] for e in doc["plugins"]]
    doc["plugins"].append({"package": "oci://{0}/{1}:bs_1.42.5__0.7.0!{1}".format(GHCR, MC_NAME), "disabled": False})
    set_plugins_text(cluster, yaml.safe_dump(doc, sort_keys=False))
    apply(cluster, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
        "name": "rhdh-rhoai-connector", "namespace": NS,
        "labels": {"app.kubernetes.io/managed-by": "rhdh.ai_connector", "app.kubernetes.io/part-of": "rhdh-rhoai-connector"}}})
    connector(cluster)
    connector(cluster, state="absent")
    after = [e["package"] for e in yaml.safe_load(plugins_text(cluster))["plugins"]]
    assert after == before, after
    assert get(cluster, "serviceaccount", "rhdh-rhoai-connector", "-n", NS, check=False) is None
    set_plugins_text(cluster, original)


GUIDE_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "rhdh-rhoai-dashboard-permissions", "namespace": REG_NS},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "registry-user-registry-prod"},
    "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:" + NS}],
}


def test_registry_bindings_never_leak_and_the_guides_group_binding_is_replaced(helm):
    cluster = helm
    apply(cluster, GUIDE_BINDING)
    kept = connector(cluster, migrate_legacy=False)
    assert any("rhdh-rhoai-dashboard-permissions" in w and "every ServiceAccount" in w for w in kept.get("warnings", [])), kept
    assert get(cluster, "rolebinding", GUIDE_BINDING["metadata"]["name"], "-n", REG_NS, check=False) is not None
    assert our_bindings(cluster, registries_only=True) == [REG_NS + "/rhdh-rhoai-dashboard-permissions-registry-prod",
                                     REG_NS + "/rhdh-rhoai-dashboard-permissions-team-a-registry"]

    replaced = connector(cluster)
    rbac_changes = [line for c in replaced["changes"] if c["step"] == "rbac" for line in c["changes"]]
    assert "RoleBinding {0}/{1} deleted".format(REG_NS, GUIDE_BINDING["metadata"]["name"]) in rbac_changes, rbac_changes
    assert get(cluster, "rolebinding", GUIDE_BINDING["metadata"]["name"], "-n", REG_NS, check=False) is None

    # A registry deleted: present removes its binding, and only it.
    cluster.kubectl("delete", "modelregistries.modelregistry.opendatahub.io", "team-a-registry", "-n", REG_NS)
    connector(cluster)
    assert our_bindings(cluster, registries_only=True) == [REG_NS + "/rhdh-rhoai-dashboard-permissions-registry-prod"]
    assert_rerun_writes_nothing(cluster)

    # RHOAI gone before the uninstall: no DataScienceCluster, no ModelRegistry CRD.
    cluster.kubectl("delete", "datascienceclusters.datasciencecluster.opendatahub.io", "--all")
    cluster.kubectl("delete", "crd", "modelregistries.modelregistry.opendatahub.io")
    connector(cluster, state="absent")
    assert our_bindings(cluster) == []
