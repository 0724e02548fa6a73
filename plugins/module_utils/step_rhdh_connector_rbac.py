# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_connector_rbac's work, the RBAC step of the role: the connector's ServiceAccount,
ClusterRole/Binding, Role/Binding and one RoleBinding per model registry; stale registry bindings
pruned; the guide's group-wide binding reported (and replaced with ``migrate_legacy``); the
ServiceAccount's token Secret, waited for until filled in; the objects of the guide's older names
removed. ``state=absent`` removes them all. One process does it all: the token and the clean-up are
called as functions of the same service (their reads shared), not as modules of their own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects, rbac, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, MANAGED_BY, StepResult, describe, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService
from ansible_collections.rhdh.ai_connector.plugins.module_utils.step_rhdh_connector_objects import apply
from ansible_collections.rhdh.ai_connector.plugins.module_utils.step_rhdh_connector_token import ensure_token


def labelled_bindings(svc: K8sService, registries_namespace: Optional[str]) -> List[Dict[str, Any]]:
    """The collection's RoleBindings by its label, in every namespace: the registries, their
    namespace or RHOAI itself may be gone. An identity that may list RoleBindings only in the
    registries' namespace is asked there."""
    selector = "app.kubernetes.io/managed-by=" + MANAGED_BY
    try:
        return svc.list(rbac.RBAC, "RoleBinding", None, label_selector=selector)
    except ConnectorError:
        if not registries_namespace:
            raise
        return svc.list(rbac.RBAC, "RoleBinding", registries_namespace, label_selector=selector)


def guide_binding(svc: K8sService, namespace: str, registries_namespace: Optional[str], desired: List[Dict[str, Any]],
                  replace_it: bool, out: StepResult) -> None:
    """Report the guide's group-wide registry binding; with ``replace_it``, replace it by the
    connector's own bindings (deleted once those bind the same Role)."""
    live = svc.get(rbac.RBAC, "RoleBinding", rbac.GUIDE_REGISTRY_BINDING, registries_namespace) if registries_namespace else None
    if not rbac.group_wide_binding(live, namespace, MANAGED_BY):
        return
    role = live["roleRef"]["name"]
    where = describe("RoleBinding", rbac.GUIDE_REGISTRY_BINDING, registries_namespace)
    replace = replace_it and role in {d["roleRef"]["name"] for d in desired}
    out.values["guide_binding"] = {"object": where, "role": role, "replaced": bool(replace)}
    message = "{0} (the guide's) grants Role {1} to every ServiceAccount of namespace {2} (Group {3})".format(
        where, role, namespace, rbac.namespace_group(namespace))
    if replace:
        out.warnings.append(message + "; it was replaced by the connector's binding for its own ServiceAccount (migrate_legacy)")
        merge(out, apply(svc, definitions=rbac.bare([live]), labels=None, state="absent", only_owned=False))
    else:
        out.warnings.append(message + "; the connector does not need it: delete it, or run with migrate_legacy "
                            "and registry_subject serviceaccount to have it replaced by least-privilege bindings")


def merge(out: StepResult, more: StepResult) -> None:
    """Add the results, changes and diff of another objects step to ``out``."""
    out.values["results"] += more.values["results"]
    out.changes += more.changes
    out.changed = out.changed or more.changed
    if more.diff:
        diff = out.diff = out.diff or {"before": {}, "after": {}}
        diff["before"].update(more.diff["before"])
        diff["after"].update(more.diff["after"])


STORAGE_CACHE = "bac-import-model"
#: Where the RBAC step runs: one cluster for both, or (hub and spoke, sidecar connector) one side of two.
SIDE_BOTH, SIDE_RHOAI, SIDE_RHDH = "both", "rhoai", "rhdh"


def served_kserve_resources(svc: K8sService) -> List[str]:
    """The resources of serving.kserve.io the cluster serves, in any version (discovery, no RBAC needed)."""
    return [plural for plural in ("inferenceservices", rbac.LLM_INFERENCE_SERVICES)
            if any(svc.group_has("serving.kserve.io", v, plural) for v in svc.served_versions("serving.kserve.io"))]


def remove_other(svc: K8sService, namespace: str, other: Optional[Dict[str, Any]], out: StepResult) -> None:
    """Remove the objects of the other connector named in ``other`` (service_account, cluster_role,
    role, token_secret): only those the collection made; an adopted one is given back, not deleted."""
    if not other or not other.get("service_account"):
        return
    if other.get("token_secret"):
        out.nest("other_token", ensure_token(svc, namespace=namespace, name=other["token_secret"],
                                             service_account=other["service_account"], labels=None, state="absent",
                                             wait_timeout=0))
    objs = rbac.connector_objects(namespace, other["service_account"], other.get("cluster_role") or other["service_account"],
                                  other.get("role") or "", [], None if other.get("role") else [])
    merge(out, apply(svc, definitions=rbac.bare(objs), labels=None, state="absent", only_owned=True))
    if other.get("storage_cache"):
        # the sidecars' cache of catalog entries (storage-rest made it, so it is nobody's to keep)
        merge(out, apply(svc, definitions=[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": STORAGE_CACHE, "namespace": namespace}}], labels=None, state="absent", only_owned=False))


def ensure_rbac(svc: K8sService, *, namespace: str, state: str, connector: str, service_account: str, cluster_role: str,
                role: str, cluster_rules: Optional[List[Dict[str, Any]]], namespace_rules: Optional[List[Dict[str, Any]]],
                gitops_sync_wave: Optional[str], registries: List[str], registries_namespace: Optional[str],
                registry_subject: str, registry_rolebinding: str, platform: str, migrate_legacy: bool,
                labels: Dict[str, str], token_secret: Optional[str], wait_timeout: int,
                legacy_name: Optional[str], remove: Optional[Dict[str, Any]], side: str = SIDE_BOTH) -> StepResult:
    """The RBAC step: see the module's description. ``token_secret`` empty leaves the token alone;
    ``legacy_name`` empty (or ``migrate_legacy`` off) leaves the objects of the guide's older names;
    ``remove`` names the other connector's objects, removed in either state (the move between them).
    ``side`` (hub and spoke, sidecar connector): ``rhoai`` makes the OpenShift AI cluster's part (no Role:
    storage-rest's cache is on the RHDH cluster), ``rhdh`` the RHDH cluster's (ServiceAccount, Role with
    ``HUB_NAMESPACE_RULES`` and token for storage-rest and location; no ClusterRole, no registry bindings)."""
    prefix = rules.registry_binding_prefix(registry_rolebinding, platform)
    plugin_only = connector == rules.PLUGIN_ONLY_CONNECTOR
    if side == SIDE_RHOAI:
        role = ""
    elif side == SIDE_RHDH:
        cluster_role, registries = "", []
        namespace_rules = rbac.HUB_NAMESPACE_RULES if namespace_rules is None else namespace_rules
    if plugin_only:
        # RHDH 2.x: read-only cluster-wide, no Role, no registry bindings (the plugin asks the registries
        # through the model catalog, not the model registry's API)
        if cluster_rules is None and state == "present":
            cluster_rules = rbac.with_served_resources(rbac.KSERVE_CLUSTER_RULES, served_kserve_resources(svc))
        namespace_rules = [] if namespace_rules is None else namespace_rules
        registries = []
    own = rbac.connector_objects(namespace, service_account, cluster_role, role, cluster_rules, namespace_rules,
                                 gitops_sync_wave or "")
    bindings = rbac.registry_bindings(namespace, service_account, prefix, registries, registries_namespace, registry_subject)
    labels = dict(LABELS, **(labels or {}))
    if state == "absent":
        out = StepResult(results=[], earlier_install=False)
        if token_secret:
            out.nest("token", ensure_token(svc, namespace=namespace, name=token_secret, service_account=service_account,
                                           labels=labels, state="absent", wait_timeout=wait_timeout))
        # Every registry binding of the collection, found by its label: also those of registries that
        # are gone, and when RHOAI itself is gone (no DataScienceCluster, no ModelRegistry CRD).
        stale = [] if side == SIDE_RHDH else rbac.stale_registry_bindings(
            labelled_bindings(svc, registries_namespace), [], namespace)
        own = rbac.connector_objects(namespace, service_account, cluster_role, role, [], None)  # the Role too, if any
        merge(out, apply(svc, definitions=stale + rbac.bare(own), labels=None, state="absent", only_owned=True))
        remove_other(svc, namespace, remove, out)
        return out
    live_account = svc.get("v1", "ServiceAccount", service_account, namespace)
    # An install by a version that kept no record of the plugin entries it found: its entries are its own.
    earlier_install = owned(live_account) and not objects.adopted(live_account)
    # The labelled list comes first: it also answers the reads of the labelled RoleBindings that exist
    # (the registry bindings and the connector's own), so the comparison below sends no GET for them.
    stale = [] if side == SIDE_RHDH else rbac.stale_registry_bindings(
        labelled_bindings(svc, registries_namespace), bindings, namespace)
    out = StepResult(results=[], earlier_install=earlier_install)
    merge(out, apply(svc, definitions=own + bindings, labels=labels, state="present", only_owned=True))
    if stale:
        merge(out, apply(svc, definitions=stale, labels=None, state="absent", only_owned=True))
    if not plugin_only and side != SIDE_RHDH:
        guide_binding(svc, namespace, registries_namespace, bindings, migrate_legacy and registry_subject == "serviceaccount", out)
    if token_secret:
        out.nest("token", ensure_token(svc, namespace=namespace, name=token_secret, service_account=service_account,
                                       labels=labels, state="present", wait_timeout=wait_timeout))
    out.values["cluster_rules"] = own[1]["rules"] if cluster_role else []
    remove_other(svc, namespace, remove, out)
    if migrate_legacy and legacy_name:
        # Objects of the guide's first edition: nothing of the connector uses them any more.
        out.nest("legacy", apply(svc, definitions=rbac.legacy_objects(legacy_name, namespace), labels=None,
                                 state="absent", only_owned=False))
    return out


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    connector=dict(type="str", choices=["sidecar", "plugin-only"], default="sidecar"),
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
    token_secret=dict(type="str", default="rhdh-rhoai-connector-token", no_log=False),
    wait_timeout=dict(type="int", default=60),
    legacy_name=dict(type="str", default="rhdh-rhoai-bridge"),
    remove=dict(type="dict", options=dict(
        service_account=dict(type="str"),
        cluster_role=dict(type="str"),
        role=dict(type="str"),
        token_secret=dict(type="str", no_log=False),
        storage_cache=dict(type="bool", default=False),
    )),
    side=dict(type="str", choices=[SIDE_BOTH, SIDE_RHOAI, SIDE_RHDH], default=SIDE_BOTH),
)
MODULE_OPTIONS = {}  # type: dict
