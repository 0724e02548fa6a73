# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connector's RBAC as objects: the ServiceAccount, ClusterRole/Binding, Role/Binding, one
RoleBinding per model registry, and the objects of the guide's first edition. Pure, no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from typing import Any, Dict, List, Optional

RBAC = "rbac.authorization.k8s.io/v1"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
#: The guide's registry RoleBinding: Role registry-user-<registry> bound to every ServiceAccount of RHDH's namespace.
GUIDE_REGISTRY_BINDING = "rhdh-rhoai-dashboard-permissions"
REGISTRY_ROLE_PREFIX = "registry-user-"

# What the connector's ServiceAccount may do, cluster-wide (the guide's ClusterRole) ...
CLUSTER_RULES = [
    {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["get"]},
    {"apiGroups": ["route.openshift.io"], "resources": ["routes"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["serviceaccounts", "services"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"], "verbs": ["get", "list", "watch"]},
]
# ... and in the RHDH namespace (storage-rest keeps its cache in a ConfigMap there).
NAMESPACE_RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch", "create", "update", "patch"]},
]
#: Hub and spoke, sidecar connector: the RHDH cluster's part. storage-rest keeps its cache there and looks
#: up Backstage's Route in its own namespace (on one cluster the ClusterRole grants that); the
#: rhoai-normalizer reads the OpenShift AI cluster with the kubeconfig of that cluster's ServiceAccount.
HUB_NAMESPACE_RULES = NAMESPACE_RULES + [
    {"apiGroups": ["route.openshift.io"], "resources": ["routes"], "verbs": ["get", "list", "watch"]},
]
#: The plugin-only connector's (RHDH 2.x) ClusterRole: read-only, cluster-wide; no Role, no registry
#: bindings. ``llminferenceservices`` (OpenShift AI 3.x) is added where the cluster serves it
#: (``kserve_cluster_rules``).
KSERVE_CLUSTER_RULES = [
    {"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["route.openshift.io"], "resources": ["routes"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "watch"]},
]
LLM_INFERENCE_SERVICES = "llminferenceservices"


def with_served_resources(cluster_rules: List[Dict[str, Any]], served: List[str]) -> List[Dict[str, Any]]:
    """``cluster_rules`` with ``llminferenceservices`` added to the kserve rule when the cluster serves it
    (``served``: the resources of serving.kserve.io the cluster serves)."""
    out = copy.deepcopy(cluster_rules)
    if LLM_INFERENCE_SERVICES not in served:
        return out
    for rule in out:
        if rule.get("apiGroups") == ["serving.kserve.io"] and LLM_INFERENCE_SERVICES not in rule["resources"]:
            rule["resources"] = list(rule["resources"]) + [LLM_INFERENCE_SERVICES]
    return out


def connector_objects(namespace: str, service_account: str, cluster_role: str, role: str,
                      cluster_rules: Optional[List[Dict[str, Any]]] = None,
                      namespace_rules: Optional[List[Dict[str, Any]]] = None,
                      sync_wave: str = "") -> List[Dict[str, Any]]:
    """The connector's ServiceAccount, ClusterRole/Binding (none when ``cluster_role`` is empty) and
    Role/Binding (none when ``role`` is empty or has no rules), in the order of creation."""
    subjects = [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}]
    wave = {"argocd.argoproj.io/sync-wave": sync_wave} if sync_wave else {}
    rules = NAMESPACE_RULES if namespace_rules is None else namespace_rules
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": service_account, "namespace": namespace}},
    ] + ([
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": cluster_role, "annotations": wave},
         "rules": copy.deepcopy(CLUSTER_RULES if cluster_rules is None else cluster_rules)},
        {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": cluster_role},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
         "subjects": copy.deepcopy(subjects)},
    ] if cluster_role else []) + ([
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": role, "namespace": namespace},
         "rules": copy.deepcopy(rules)},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": role, "namespace": namespace},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
         "subjects": copy.deepcopy(subjects)},
    ] if role and rules else [])


def namespace_group(namespace: str) -> str:
    """The Group of every ServiceAccount of ``namespace`` (what the guide binds the registry Role to)."""
    return "system:serviceaccounts:" + namespace


def registry_bindings(namespace: str, service_account: str, prefix: str, registries: List[str],
                      registries_namespace: Optional[str], subject: str = "serviceaccount") -> List[Dict[str, Any]]:
    """One RoleBinding per model registry to the registry operator's ``registry-user-<name>`` Role, for the
    connector's ServiceAccount (``subject=serviceaccount``) or every ServiceAccount of ``namespace`` (``group``)."""
    if not registries_namespace:
        return []
    if subject == "group":
        subjects = [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": namespace_group(namespace)}]
    else:
        subjects = [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}]
    return [{"apiVersion": RBAC, "kind": "RoleBinding",
             "metadata": {"name": "{0}-{1}".format(prefix, name), "namespace": registries_namespace},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": REGISTRY_ROLE_PREFIX + name},
             "subjects": copy.deepcopy(subjects)} for name in registries]


def binds_registry_for(binding: Dict[str, Any], namespace: str) -> bool:
    """Whether ``binding`` grants a registry's ``registry-user-<name>`` Role to a ServiceAccount of
    ``namespace`` (the connector's, or all of them through the namespace's Group)."""
    ref = binding.get("roleRef") or {}
    if ref.get("kind") != "Role" or not str(ref.get("name") or "").startswith(REGISTRY_ROLE_PREFIX):
        return False
    return any((s.get("kind") == "ServiceAccount" and s.get("namespace") == namespace)
               or (s.get("kind") == "Group" and s.get("name") == namespace_group(namespace))
               for s in binding.get("subjects") or [])


def stale_registry_bindings(found: List[Dict[str, Any]], desired: List[Dict[str, Any]], namespace: str) -> List[Dict[str, Any]]:
    """Of the collection's RoleBindings ``found`` (by its label, anywhere), the registry bindings of
    RHDH's ``namespace`` that ``desired`` no longer holds (the registry is gone, or was left out),
    named for removal."""
    keep = {(d["metadata"].get("namespace"), d["metadata"]["name"]) for d in desired}
    return [{"apiVersion": RBAC, "kind": "RoleBinding",
             "metadata": {"name": b["metadata"]["name"], "namespace": b["metadata"].get("namespace")}}
            for b in found if binds_registry_for(b, namespace)
            and (b["metadata"].get("namespace"), b["metadata"]["name"]) not in keep]


def group_wide_binding(live: Optional[Dict[str, Any]], namespace: str, managed_by: str) -> bool:
    """Whether ``live`` is the guide's binding made by hand (not labelled ``managed_by``): a registry
    Role for the whole Group of ``namespace``."""
    if live is None or ((live.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY_LABEL) == managed_by:
        return False
    if not binds_registry_for(live, namespace):
        return False
    return any(s.get("kind") == "Group" and s.get("name") == namespace_group(namespace) for s in live.get("subjects") or [])


def bare(definitions: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Only what names each object (for removal), in the reverse order of creation."""
    return [{"apiVersion": d["apiVersion"], "kind": d["kind"],
             "metadata": {k: v for k, v in d["metadata"].items() if k in ("name", "namespace")}}
            for d in reversed(definitions)]


def legacy_objects(name: str, namespace: str) -> List[Dict[str, Any]]:
    """The objects of the guide's first edition (rhdh-rhoai-bridge), token first: nothing uses them now."""
    return [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name + "-token", "namespace": namespace}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": name}},
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}},
    ]
