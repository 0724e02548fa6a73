"""What module `connector` gives its steps: parameters, RBAC objects, plugin identities, Helm values."""

import hashlib
from pathlib import Path

import pytest
import yaml

from ansible_collections.rhdh.ai_connector.plugins.module_utils import connector as c
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_sidecar_patch

ROLE = Path(__file__).resolve().parents[2] / "roles" / "rhoai_connector"


def params(**over):
    p = {k: v.get("default") for k, v in c.ARGUMENT_SPEC.items()}
    p.update(cluster_rules=c.CLUSTER_RULES, namespace_rules=c.NAMESPACE_RULES)
    p.update(over)
    return p


def test_step_params_fill_the_module_defaults_and_keep_what_is_given():
    p = c.step_params(step_rhdh_sidecar_patch.ARGUMENT_SPEC, namespace="ns", backstage="dev", wait=True)
    assert p["namespace"] == "ns" and p["backstage"] == "dev" and p["wait"] is True
    assert p["deployment"] is None and p["wait_timeout"] == 300 and p["state"] == "present"
    p["env"]["x"] = "changed"  # defaults are copies: one step cannot change another's
    assert c.step_params(step_rhdh_sidecar_patch.ARGUMENT_SPEC, namespace="ns")["env"] == {}


def test_step_params_refuse_an_option_the_step_does_not_have():
    with pytest.raises(ValueError, match="nmespace"):
        c.step_params(step_rhdh_sidecar_patch.ARGUMENT_SPEC, nmespace="ns")


def test_module_defaults_are_the_roles_defaults():
    """The role passes every option, but the module used alone must behave as the role does."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    renamed = {"namespace": "rhdh_namespace", "name": "rhdh_name"}
    compared = 0
    for option, spec in c.ARGUMENT_SPEC.items():
        var = "rhoai_connector_" + renamed.get(option, option)
        if var not in defaults:
            continue
        role_default = defaults[var]
        module_default = spec.get("default")
        if role_default in ("", {}, None) and module_default in (None, "", {}):
            compared += 1
            continue
        assert module_default == role_default, option
        compared += 1
    assert compared >= 30


def test_default_packages_match_every_releases_plugins_by_identity():
    for version in ("1.8", "1.9", "1.10"):
        released = dp.connector_packages(rules.plugin_tags(version, None), dp.EXPORT_OVERLAYS)
        doc = {"plugins": [{"package": pkg} for pkg in released]}
        found = dp.find_plugins(doc, c.default_packages(dp.EXPORT_OVERLAYS))
        assert sorted(e["package"] for e in found.values()) == sorted(released), version


def test_plugins_annotation_changes_with_the_plugin_list_only():
    a = c.plugins_annotation(["x:1", "y:1"])
    assert a == hashlib.sha256(b"x:1,y:1").hexdigest()[:16]
    assert a == c.plugins_annotation(["x:1", "y:1"]) != c.plugins_annotation(["x:2", "y:1"])


def test_rbac_objects_bind_the_service_account_to_the_guides_rules():
    objs = {o["kind"]: o for o in c.rbac_definitions(params(namespace="ai-rhdh"))}
    assert set(objs) == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    subject = {"kind": "ServiceAccount", "name": "rhdh-rhoai-connector", "namespace": "ai-rhdh"}
    assert objs["ClusterRoleBinding"]["subjects"] == [subject] == objs["RoleBinding"]["subjects"]
    assert objs["ClusterRoleBinding"]["roleRef"]["name"] == objs["ClusterRole"]["metadata"]["name"]
    assert objs["ClusterRole"]["rules"] == c.CLUSTER_RULES and objs["Role"]["rules"] == c.NAMESPACE_RULES
    assert objs["ClusterRole"]["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "0"}
    assert "namespace" not in objs["ClusterRole"]["metadata"] and objs["Role"]["metadata"]["namespace"] == "ai-rhdh"
    no_wave = {o["kind"]: o for o in c.rbac_definitions(params(gitops_sync_wave=""))}
    assert no_wave["ClusterRole"]["metadata"]["annotations"] == {}


def test_registry_bindings_name_the_service_account_or_the_guides_group():
    own = c.registry_bindings(params(namespace="ai-rhdh"), ["prod", "dev"], "rhoai-model-registries")
    assert [b["metadata"]["name"] for b in own] == ["rhdh-rhoai-dashboard-permissions-prod", "rhdh-rhoai-dashboard-permissions-dev"]
    assert own[0]["roleRef"]["name"] == "registry-user-prod" and own[0]["metadata"]["namespace"] == "rhoai-model-registries"
    assert own[0]["subjects"] == [{"kind": "ServiceAccount", "name": "rhdh-rhoai-connector", "namespace": "ai-rhdh"}]
    group = c.registry_bindings(params(namespace="ai-rhdh", registry_subject="group"), ["prod"], "regs")
    assert group[0]["subjects"] == [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:ai-rhdh"}]
    assert c.registry_bindings(params(), ["prod"], None) == []


def test_removal_names_the_objects_in_reverse_order_and_nothing_else():
    defs = c.rbac_definitions(params()) + c.registry_bindings(params(), ["prod"], "regs")
    removal = c.bare(defs)
    assert [o["kind"] for o in removal] == ["RoleBinding", "RoleBinding", "Role", "ClusterRoleBinding", "ClusterRole", "ServiceAccount"]
    assert all(set(o) == {"apiVersion", "kind", "metadata"} and set(o["metadata"]) <= {"name", "namespace"} for o in removal)
    assert removal[0]["metadata"] == {"name": "rhdh-rhoai-dashboard-permissions-prod", "namespace": "regs"}


def test_legacy_objects_are_the_guides_first_names_token_first():
    legacy = c.legacy_definitions("rhdh-rhoai-bridge", "ai-rhdh")
    assert legacy[0] == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "rhdh-rhoai-bridge-token", "namespace": "ai-rhdh"}}
    assert {o["kind"] for o in legacy} == {"Secret", "ServiceAccount", "RoleBinding", "Role", "ClusterRoleBinding", "ClusterRole"}


def test_helm_values_merge_mappings_and_replace_lists():
    sidecars = {"upstream": {"backstage": {"extraContainers": [{"name": "location"}]}}, "global": {"a": 1}}
    plugins = {"global": {"dynamic": {"plugins": [{"package": "p"}]}}}
    merged = objects.overlay(sidecars, plugins)
    assert merged == {"upstream": {"backstage": {"extraContainers": [{"name": "location"}]}},
                      "global": {"a": 1, "dynamic": {"plugins": [{"package": "p"}]}}}
    assert objects.overlay({"l": [1, 2]}, {"l": [3]}) == {"l": [3]}
    assert sidecars["global"] == {"a": 1}  # inputs untouched


def test_change_lines_say_what_each_step_did():
    p = params(namespace="ns")
    rbac = {"changed": True, "results": [{"object": "ServiceAccount ns/sa", "action": "created"},
                                         {"object": "Role ns/r", "action": "unchanged"}, {"object": "RoleBinding ns/r", "action": "kept"}]}
    assert c.change_lines("rbac", rbac, p) == ["ServiceAccount ns/sa created"]
    assert c.change_lines("token", {"changed": True, "created": True}, p) == ["Secret ns/rhdh-rhoai-connector-token created"]
    assert c.change_lines("token", {"changed": True}, dict(p, state="absent")) == ["Secret ns/rhdh-rhoai-connector-token deleted"]
    assert c.change_lines("sidecars", {"changed": True, "changes": ["added container location"]}, p) == ["added container location"]
    assert c.change_lines("sidecars", {"changed": False, "changes": ["x"]}, p) == []


def test_polls_start_fast_and_slow_down_to_a_ceiling():
    from itertools import islice

    from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import backoff

    pauses = list(islice(backoff(0.1, 5.0), 14))
    assert pauses[0] == 0.1 and pauses[1] == pytest.approx(0.15)
    assert all(b >= a for a, b in zip(pauses, pauses[1:]))
    assert max(pauses) == 5.0 and pauses[-1] == 5.0
    assert sum(pauses[:5]) < 1.5  # a rollout of a second is seen within about a second


def _deployment(containers, generation=2, observed=2, replicas=1, total=1):
    return {"metadata": {"generation": generation},
            "spec": {"replicas": 1, "template": {"spec": {"containers": containers}}},
            "status": {"observedGeneration": observed, "updatedReplicas": replicas, "readyReplicas": replicas,
                       "availableReplicas": replicas, "replicas": total}}


def test_a_rollout_counts_only_once_the_template_holds_the_sidecars_as_written():
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc

    new = sc.build_sidecars("tok", sc.image_refs(sc.DEFAULT_REGISTRY, {}, {"location": "quay.io/x/location@sha256:new"}),
                            sc.DEFAULT_METRICS_PORT, {}, "IfNotPresent", {"location": {"limits": {"cpu": "1000m"}}})
    old = [dict(c, image="quay.io/x/location@sha256:old") if c["name"] == "location" else c for c in new]
    backend = {"name": "backstage-backend", "image": "rhdh"}
    # An upgrade before the operator re-rendered the Deployment: the old sidecars look rolled out.
    assert rhdh.rollout_missing(_deployment([backend] + old), "present") is None
    assert "new location" in rhdh.rollout_missing(_deployment([backend] + old), "present", new)
    # Rendered, defaulted by the API server (quantities rewritten, fields added): done.
    rendered = [dict(c, terminationMessagePath="/dev/termination-log") for c in new]
    rendered = [dict(c, resources={"limits": {"cpu": "1"}}) if c["name"] == "location" else c for c in rendered]
    assert rhdh.rollout_missing(_deployment([backend] + rendered), "present", new) is None
    assert "terminating" in rhdh.rollout_missing(_deployment([backend] + rendered, total=2), "present", new)
