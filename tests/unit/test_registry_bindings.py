"""Registry RoleBindings that leak (issue 11, item 4): found by label, stale ones named for removal,
the guide's group-wide binding told apart."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_rbac as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, MANAGED_BY

NS = "ai-rhdh"
REG_NS = "rhoai-model-registries"


def params(**over):
    p = {k: v.get("default") for k, v in step.ARGUMENT_SPEC.items()}
    p.update(namespace=NS)
    p.update(over)
    return p


def registry_bindings(p, registries, registries_namespace):
    return rbac.registry_bindings(p["namespace"], p["service_account"], p["registry_rolebinding"], registries,
                                  registries_namespace, p["registry_subject"])


def group_wide_binding(live, namespace):
    return rbac.group_wide_binding(live, namespace, MANAGED_BY)


def labelled(bindings):
    out = copy.deepcopy(bindings)
    for b in out:
        b["metadata"]["labels"] = dict(LABELS)
    return out


def names(definitions):
    return sorted((d["metadata"]["namespace"], d["metadata"]["name"]) for d in definitions)


def test_bindings_of_registries_that_are_gone_are_stale():
    found = labelled(registry_bindings(params(), ["prod", "gone"], REG_NS)
                     + registry_bindings(params(), ["moved"], "old-registries"))
    desired = registry_bindings(params(), ["prod", "new"], REG_NS)
    stale = rbac.stale_registry_bindings(found, desired, NS)
    assert names(stale) == [("old-registries", "rhdh-rhoai-dashboard-permissions-moved"),
                            (REG_NS, "rhdh-rhoai-dashboard-permissions-gone")]
    assert all(set(d) == {"apiVersion", "kind", "metadata"} and d["kind"] == "RoleBinding" for d in stale)


def test_absent_names_every_registry_binding_of_the_namespace_and_no_other():
    ours = registry_bindings(params(), ["a", "b"], REG_NS) + registry_bindings(params(registry_subject="group"), ["c"], REG_NS)
    other_rhdh = registry_bindings(params(namespace="other-rhdh"), ["a"], REG_NS)
    other_rhdh[0]["metadata"]["name"] = "other"
    not_registry = [dict(rbac.connector_objects(NS, "sa", "cr", "r")[4], metadata={"name": "x", "namespace": NS})]
    stale = rbac.stale_registry_bindings(labelled(ours + other_rhdh + not_registry), [], NS)
    assert names(stale) == names(ours)


def test_the_guides_group_wide_binding_is_told_from_the_collections():
    guide = {"apiVersion": rbac.RBAC, "kind": "RoleBinding",
             "metadata": {"name": rbac.GUIDE_REGISTRY_BINDING, "namespace": REG_NS},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "registry-user-modelregistry-public"},
             "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:" + NS}]}
    assert group_wide_binding(guide, NS)
    assert not group_wide_binding(guide, "other")
    assert not group_wide_binding(labelled([guide])[0], NS)  # the collection's own (registry_subject group)
    assert not group_wide_binding(registry_bindings(params(), ["x"], REG_NS)[0], NS)  # the ServiceAccount only
    assert not group_wide_binding(None, NS)


registries = st.lists(st.sampled_from(["a", "b", "c", "prod", "team-a"]), unique=True, max_size=4)


@settings(max_examples=100, deadline=None)
@given(registries, registries)
def test_after_the_cleanup_exactly_the_desired_bindings_are_left(before, now):
    """Removal undoes addition: bindings made for ``before``, cleaned up for ``now``, leave ``now``'s."""
    found = labelled(registry_bindings(params(), before, REG_NS))
    desired = registry_bindings(params(), now, REG_NS)
    stale = {n for _ns, n in names(rbac.stale_registry_bindings(found, desired, NS))}
    left = {b["metadata"]["name"] for b in found} - stale
    assert left == {b["metadata"]["name"] for b in desired} & {b["metadata"]["name"] for b in found}
    assert rbac.stale_registry_bindings(labelled(desired), desired, NS) == []  # cleaning twice equals once
