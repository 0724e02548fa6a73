# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_connector_rbac's work: the connector's ServiceAccount, ClusterRole/Binding, Role/Binding
and one RoleBinding per model registry; stale registry bindings pruned; the guide's group-wide
binding reported (and replaced with ``migrate_legacy``). ``state=absent`` removes them all."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List

from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_objects as objects_step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import LABELS, MANAGED_BY, StepModule, describe, owned


def apply_objects(mod, definitions, state="present", labels=None, only_owned=True):
    # type: (Any, List[Dict[str, Any]], str, Dict[str, str] | None, bool) -> Dict[str, Any]
    """Step rhdh_connector_objects on ``definitions``, in this module's process."""
    return objects_step.run(StepModule(mod, dict(definitions=definitions, labels=labels or {}, state=state,
                                                 only_owned=only_owned)))


def labelled_bindings(mod, registries_namespace):
    """The collection's RoleBindings by its label, in every namespace: the registries, their
    namespace or RHOAI itself may be gone. An identity that may list RoleBindings only in the
    registries' namespace is asked there."""
    selector = "app.kubernetes.io/managed-by=" + MANAGED_BY
    try:
        return mod.list(rbac.RBAC, "RoleBinding", None, label_selector=selector)
    except ConnectorError:
        if not registries_namespace:
            raise
        return mod.list(rbac.RBAC, "RoleBinding", registries_namespace, label_selector=selector)


def guide_binding(mod, p, desired, out):
    """Report the guide's group-wide registry binding; with ``migrate_legacy``, replace it by the
    connector's own bindings (deleted once those bind the same Role)."""
    ns = p["registries_namespace"]
    live = mod.get(rbac.RBAC, "RoleBinding", rbac.GUIDE_REGISTRY_BINDING, ns) if ns else None
    if not rbac.group_wide_binding(live, p["namespace"], MANAGED_BY):
        return
    role = live["roleRef"]["name"]
    where = describe("RoleBinding", rbac.GUIDE_REGISTRY_BINDING, ns)
    replace = (p["migrate_legacy"] and p["registry_subject"] == "serviceaccount"
               and role in {d["roleRef"]["name"] for d in desired})
    out["guide_binding"] = {"object": where, "role": role, "replaced": bool(replace)}
    message = "{0} (the guide's) grants Role {1} to every ServiceAccount of namespace {2} (Group {3})".format(
        where, role, p["namespace"], rbac.namespace_group(p["namespace"]))
    if replace:
        mod.module.warn(message + "; it was replaced by the connector's binding for its own ServiceAccount (migrate_legacy)")
        merge(out, apply_objects(mod, rbac.bare([live]), state="absent", only_owned=False))
    else:
        mod.module.warn(message + "; the connector does not need it: delete it, or run with migrate_legacy "
                        "and registry_subject serviceaccount to have it replaced by least-privilege bindings")


def merge(out, more):
    # type: (Dict[str, Any], Dict[str, Any]) -> None
    """Add the results (and diff) of another objects step to ``out``."""
    out["results"] += more["results"]
    if more.get("diff"):
        diff = out.setdefault("diff", {"before": {}, "after": {}})
        diff["before"].update(more["diff"]["before"])
        diff["after"].update(more["diff"]["after"])


def run(mod):
    p = mod.params
    ns = p["namespace"]
    prefix = rules.registry_binding_prefix(p["registry_rolebinding"], p["platform"])
    own = rbac.connector_objects(ns, p["service_account"], p["cluster_role"], p["role"], p["cluster_rules"],
                                 p["namespace_rules"], p["gitops_sync_wave"] or "")
    bindings = rbac.registry_bindings(ns, p["service_account"], prefix, p["registries"], p["registries_namespace"],
                                      p["registry_subject"])
    if p["state"] == "absent":
        # Every registry binding of the collection, found by its label: also those of registries that
        # are gone, and when RHOAI itself is gone (no DataScienceCluster, no ModelRegistry CRD).
        stale = rbac.stale_registry_bindings(labelled_bindings(mod, p["registries_namespace"]), [], ns)
        out = apply_objects(mod, stale + rbac.bare(own), state="absent")
        return finish(out, earlier_install=False)
    service_account = mod.get("v1", "ServiceAccount", p["service_account"], ns)
    # An install by a version that kept no record of the plugin entries it found: its entries are its own.
    earlier_install = owned(service_account) and not objects.adopted(service_account)
    # The labelled list comes first: it also answers the reads of the labelled RoleBindings that exist
    # (the registry bindings and the connector's own), so the comparison below sends no GET for them.
    stale = rbac.stale_registry_bindings(labelled_bindings(mod, p["registries_namespace"]), bindings, ns)
    out = apply_objects(mod, own + bindings, labels=dict(LABELS, **(p["labels"] or {})))
    if stale:
        merge(out, apply_objects(mod, stale, state="absent"))
    guide_binding(mod, p, bindings, out)
    return finish(out, earlier_install=earlier_install)


def finish(out, earlier_install):
    # type: (Dict[str, Any], bool) -> Dict[str, Any]
    changes = ["{0} {1}".format(r["object"], r["action"]) for r in out["results"]
               if r["action"] not in ("unchanged", "kept", "absent")]
    return dict(out, changed=bool(changes), changes=changes, earlier_install=earlier_install)


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    service_account=dict(type="str", default="rhdh-rhoai-connector"),
    cluster_role=dict(type="str", default="rhdh-rhoai-connector"),
    role=dict(type="str", default="rhdh-rhoai-connector"),
    cluster_rules=dict(type="list", elements="dict"),
    namespace_rules=dict(type="list", elements="dict"),
    gitops_sync_wave=dict(type="str", default="0"),
    registries=dict(type="list", elements="str", default=[]),
    registries_namespace=dict(type="str"),
    registry_subject=dict(type="str", choices=["serviceaccount", "group"], default="serviceaccount"),
    registry_rolebinding=dict(type="str", default=rbac.GUIDE_REGISTRY_BINDING),
    platform=dict(type="str", default="rhoai"),
    migrate_legacy=dict(type="bool", default=True),
    labels=dict(type="dict", default={}),
)
MODULE_OPTIONS = {}  # type: dict
