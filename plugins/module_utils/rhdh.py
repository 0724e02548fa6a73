# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding an RHDH instance: the Backstage CR (operator install) or the Helm release's Deployment."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.sidecars import BACKEND_CONTAINER, SIDECAR_NAMES, is_subset

BACKSTAGE_GROUP = "rhdh.redhat.com"
HELM_NAME_LABEL = "app.kubernetes.io/name"
HELM_INSTANCE_LABEL = "app.kubernetes.io/instance"


def backstage_api_version(mod) -> Optional[str]:
    """``rhdh.redhat.com/<storage version>``: the preferred version, which is the newest served one.

    There is no conversion webhook between Backstage versions, so reading and writing through an
    older version would prune the fields only newer schemas know.
    """
    versions = mod.served_versions(BACKSTAGE_GROUP)
    return "{0}/{1}".format(BACKSTAGE_GROUP, versions[0]) if versions else None


def helm_deployment_name(release: str) -> str:
    return release if "developer-hub" in release else "{0}-developer-hub".format(release)


def workload_of_cr(mod, cr: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    name = "backstage-" + cr["metadata"]["name"]
    ns = cr["metadata"]["namespace"]
    kind = ((cr.get("spec") or {}).get("deployment") or {}).get("kind") or "Deployment"
    return mod.get("apps/v1", kind, name, ns)


def _backend_image(workload: Optional[Dict[str, Any]]) -> Optional[str]:
    for cont in pod_spec(workload).get("containers") or []:
        if cont.get("name") == BACKEND_CONTAINER:
            return cont.get("image")
    return None


def pod_spec(workload: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return (((workload or {}).get("spec") or {}).get("template") or {}).get("spec") or {}


def summarize_workload(workload: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if workload is None:
        return None
    spec = pod_spec(workload)
    status = workload.get("status") or {}
    return {
        "kind": workload["kind"],
        "name": workload["metadata"]["name"],
        "namespace": workload["metadata"]["namespace"],
        "containers": [c["name"] for c in spec.get("containers") or []],
        "init_containers": [c["name"] for c in spec.get("initContainers") or []],
        "volumes": [v["name"] for v in spec.get("volumes") or []],
        "ports": [{"container": c["name"], "port": p.get("containerPort")}
                  for c in spec.get("containers") or [] for p in c.get("ports") or []],
        "image": _backend_image(workload),
        "replicas": (workload.get("spec") or {}).get("replicas"),
        "ready_replicas": status.get("readyReplicas", 0),
        "generation": workload["metadata"].get("generation"),
        "observed_generation": status.get("observedGeneration"),
    }


def find(mod, namespace: str, name: Optional[str] = None, install_type: str = "auto") -> Dict[str, Any]:
    """Everything the connector needs to know about the RHDH instance in ``namespace``."""
    api_version = backstage_api_version(mod)
    if install_type in ("auto", "operator") and api_version:
        crs = mod.list(api_version, "Backstage", namespace)
        if name:
            crs = [c for c in crs if c["metadata"]["name"] == name]
        if len(crs) > 1:
            raise ConnectorError(
                "Backstage objects in namespace {0}: {1}".format(namespace, ", ".join(c["metadata"]["name"] for c in crs)),
                fix="name the one to connect (rhoai_connector_rhdh_name / the name option)",
            )
        if crs:
            return _operator_info(mod, api_version, crs[0])
    if install_type == "operator":
        raise ConnectorError(
            "no Backstage{0} in namespace {1}{2}".format(
                " " + name if name else "", namespace, "" if api_version else " (the API server does not serve rhdh.redhat.com)"),
            fix="check the namespace and name, or set the install type to helm",
        )
    return _helm_info(mod, namespace, name)


def _operator_info(mod, api_version: str, cr: Dict[str, Any]) -> Dict[str, Any]:
    name, namespace = cr["metadata"]["name"], cr["metadata"]["namespace"]
    app = (cr.get("spec") or {}).get("application") or {}
    workload = workload_of_cr(mod, cr)
    rhdh_version = rules.rhdh_version_from(image=app.get("image") or _backend_image(workload))
    return {
        "install_type": "operator",
        "namespace": namespace,
        "name": name,
        "backstage": {
            "name": name,
            "api_version": api_version,
            "served_versions": mod.served_versions(BACKSTAGE_GROUP),
            "has_deployment_patch": bool(((cr.get("spec") or {}).get("deployment") or {}).get("patch")),
        },
        "workload": summarize_workload(workload),
        "dynamic_plugins_configmap": app.get("dynamicPluginsConfigMapName"),
        "operator_plugins_configmap": "backstage-dynamic-plugins-" + name,
        "app_config_configmaps": [c.get("name") for c in (app.get("appConfig") or {}).get("configMaps") or []],
        "rhdh_version": rhdh_version,
        "helm_release": None,
    }


def _helm_info(mod, namespace: str, name: Optional[str]) -> Dict[str, Any]:
    deployments = mod.list("apps/v1", "Deployment", namespace)
    candidates = [d for d in deployments if BACKEND_CONTAINER in [c.get("name") for c in pod_spec(d).get("containers") or []]]
    if name:
        wanted = {name, helm_deployment_name(name)}
        candidates = [d for d in candidates if d["metadata"]["name"] in wanted]
    if not candidates:
        raise ConnectorError(
            "no RHDH found in namespace {0}{1}: no Backstage custom resource and no Deployment with a {2} container".format(
                namespace, " named " + name if name else "", BACKEND_CONTAINER),
            fix="check rhoai_connector_rhdh_namespace and rhoai_connector_rhdh_name",
        )
    if len(candidates) > 1:
        raise ConnectorError(
            "RHDH Deployments in namespace {0}: {1}".format(namespace, ", ".join(d["metadata"]["name"] for d in candidates)),
            fix="name the Helm release to connect (rhoai_connector_rhdh_name)",
        )
    deployment = candidates[0]
    meta = deployment["metadata"]
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    owners = [o.get("kind") for o in meta.get("ownerReferences") or []]
    if "Backstage" in owners:
        raise ConnectorError(
            "Deployment {0}/{1} belongs to a Backstage custom resource that this user cannot list".format(namespace, meta["name"]),
            fix="grant list on backstages.rhdh.redhat.com in {0}: edits must go to the custom resource".format(namespace),
        )
    release = annotations.get("meta.helm.sh/release-name") or labels.get(HELM_INSTANCE_LABEL)
    if labels.get("app.kubernetes.io/managed-by") != "Helm" or not release:
        raise ConnectorError(
            "Deployment {0}/{1} runs RHDH but is managed neither by the RHDH operator nor by Helm".format(namespace, meta["name"]),
            fix="connect RHDH installed by the operator (Backstage CR) or by the Helm chart; for other installs "
                "add the sidecars yourself with rhdh.ai_connector.rhdh_sidecar_patch and deployment",
        )
    app_configs = []  # type: List[str]
    for volume in pod_spec(deployment).get("volumes") or []:
        cm = (volume.get("configMap") or {}).get("name")
        if cm and "app-config" in cm:
            app_configs.append(cm)
    return {
        "install_type": "helm",
        "namespace": namespace,
        "name": release,
        "backstage": None,
        "workload": summarize_workload(deployment),
        "dynamic_plugins_configmap": "{0}-dynamic-plugins".format(release),
        "operator_plugins_configmap": None,
        "app_config_configmaps": app_configs,
        "rhdh_version": rules.rhdh_version_from(image=_backend_image(deployment), chart=labels.get("helm.sh/chart")),
        "helm_release": release,
    }


def rollout_missing(workload: Optional[Dict[str, Any]], state: str,
                    sidecars: Optional[List[Dict[str, Any]]] = None) -> Optional[str]:
    """What the workload still lacks to count as rolled out with the change (None when done).

    With ``sidecars`` (the containers just written), the pod template must hold them as written:
    an operator renders the Deployment from the custom resource a moment after the write, and until
    then the old template (with the old sidecars, on an upgrade) looks rolled out. Resources are
    left out of that comparison (the API server rewrites quantities, 1000m as 1).
    """
    if workload is None:
        return "the workload does not exist yet"
    containers = pod_spec(workload).get("containers") or []
    names = [c["name"] for c in containers]
    if state == "present" and not all(n in names for n in SIDECAR_NAMES):
        return "the pod template has no sidecars yet"
    if state == "present" and sidecars:
        have = {c["name"]: c for c in containers}
        for want in sidecars:
            if not is_subset({k: v for k, v in want.items() if k != "resources"}, have.get(want["name"])):
                return "the pod template does not have the new {0} container yet".format(want["name"])
    if state == "absent" and any(n in names for n in SIDECAR_NAMES):
        return "the pod template still has sidecars"
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    replicas = spec.get("replicas", 1)
    if status.get("observedGeneration", 0) < workload["metadata"].get("generation", 0):
        return "the controller has not seen the new template yet"
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        if status.get(field, 0) < replicas:
            return "{0} {1} of {2}".format(field, status.get(field, 0), replicas)
    if status.get("replicas", 0) > replicas:
        return "old pods are still terminating"
    return None
