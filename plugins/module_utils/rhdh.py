# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding an RHDH instance: the Backstage CR (operator install) or the Helm release's Deployment."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import json
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import catalog_rules, rules, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.sidecars import BACKEND_CONTAINER, SIDECAR_NAMES, is_subset

BACKSTAGE_GROUP = "rhdh.redhat.com"
HELM_NAME_LABEL = "app.kubernetes.io/name"
HELM_INSTANCE_LABEL = "app.kubernetes.io/instance"
RHDH_CSV_PREFIX = "rhdh-operator."
#: Where the RHDH operator's ClusterServiceVersion is found, besides RHDH's own namespace (OLM copies
#: the CSV into every namespace the operator watches).
RHDH_OPERATOR_NAMESPACES = ("rhdh-operator", "openshift-operators")


def backstage_api_version(mod, given: Optional[str] = None) -> Optional[str]:
    """``rhdh.redhat.com/<storage version>``: ``given`` (what rhdh_info found, passed on by the role:
    no discovery), else the preferred version, which is the newest served one.

    There is no conversion webhook between Backstage versions, so reading and writing through an
    older version would prune the fields only newer schemas know.
    """
    if given:
        return given
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


def find(mod, namespace: str, name: Optional[str] = None, install_type: str = "auto",
         rhdh_version: Optional[str] = None) -> Dict[str, Any]:
    """Everything the connector needs to know about the RHDH instance in ``namespace``.

    ``rhdh_version`` is the release the user gave (checked before any request); without it the
    release is read from the workload's image tag, then the RHDH operator's ClusterServiceVersion and
    the served Backstage versions (operator installs) or the RHDH chart's version (Helm installs).
    ``rhdh_version_source`` says which decided.
    """
    given = rules.normalize_rhdh_version(rhdh_version)
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
            return _operator_info(mod, api_version, crs[0], given)
    if install_type == "operator":
        missing_namespace(mod, namespace)
        raise ConnectorError(
            "no Backstage{0} in namespace {1}{2}".format(
                " " + name if name else "", namespace, "" if api_version else " (the API server does not serve rhdh.redhat.com)"),
            fix="check the namespace and name, or set the install type to helm",
        )
    return _helm_info(mod, namespace, name, given)


def missing_namespace(mod, namespace: str) -> None:
    """Refuse a namespace that does not exist, naming it as missing (not as a namespace without RHDH)."""
    try:
        found = mod.get("v1", "Namespace", namespace)
    except ConnectorError:
        return  # may not be read by this identity: the caller's own message stands
    if found is None:
        raise ConnectorError(
            "namespace {0} does not exist".format(namespace),
            fix="set rhoai_connector_rhdh_namespace (the namespace option) to the namespace RHDH runs in",
        )


def operator_csvs(mod, namespace: str) -> List[Tuple[str, str]]:
    """(namespace, name) of the RHDH operator's ClusterServiceVersions that this identity may read."""
    if not mod.served_versions("operators.coreos.com"):
        return []
    for where in (namespace,) + RHDH_OPERATOR_NAMESPACES:
        try:
            csvs = mod.list("operators.coreos.com/v1alpha1", "ClusterServiceVersion", where)
        except ConnectorError:
            continue  # optional: a namespace this identity may not read
        found = [(where, c["metadata"]["name"]) for c in csvs if c["metadata"]["name"].startswith(RHDH_CSV_PREFIX)]
        if found:
            return found
    return []


def helm_release_chart(secret: Dict[str, Any]) -> Optional[str]:
    """``<chart name>-<chart version>`` of a Helm release Secret (``sh.helm.release.v1.<release>.v<N>``).

    Helm stores the release as base64 of gzipped JSON in ``data.release`` (itself base64 in the
    Secret). That is the RHDH chart's own version; the ``helm.sh/chart`` label of the Deployment is the
    ``upstream`` subchart's (``backstage-2.6.1``), which says nothing about the RHDH release.
    """
    try:
        raw = base64.b64decode(base64.b64decode((secret.get("data") or {}).get("release") or ""))
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        meta = (json.loads(raw.decode("utf-8")).get("chart") or {}).get("metadata") or {}
    except (ValueError, TypeError, OSError, AttributeError):
        return None
    if not meta.get("name") or not meta.get("version"):
        return None
    return "{0}-{1}".format(meta["name"], meta["version"])


def helm_chart(mod, namespace: str, release: str) -> Optional[Tuple[str, str]]:
    """(RHDH chart name-version, where it was read) from the deployed Helm release, if readable."""
    try:
        secrets = mod.list("v1", "Secret", namespace, label_selector="owner=helm,name={0},status=deployed".format(release))
    except ConnectorError:
        return None  # optional: listing Secrets may be forbidden; the image tag or the given version decide
    for secret in secrets:
        chart = helm_release_chart(secret)
        if chart:
            return chart, "Secret {0}/{1}".format(namespace, secret["metadata"]["name"])
    return None


def release_info(given: Optional[str], image: Any = None, csvs: Any = (), served: Any = None,
                 chart: Any = None) -> Dict[str, Any]:
    """The release facts of rhdh_info's result: ``rhdh_version`` (None when no source tells it, or when
    the given release contradicts the cluster), ``rhdh_version_source`` (which source decided, or what
    was read), ``rhdh_connector`` (the connector that release needs) and ``rhdh_version_error`` (the
    refusal when the given release and the cluster's need different connectors)."""
    try:
        version, source = rules.detect_rhdh_version(given, image, csvs, served, chart)
        error = None
    except ConnectorError as err:
        version, source, error = None, err.msg, str(err)
    return {"rhdh_version": version, "rhdh_version_source": source, "rhdh_connector": rules.connector_of(version),
            "rhdh_version_error": error}


def _operator_info(mod, api_version: str, cr: Dict[str, Any], given: Optional[str] = None) -> Dict[str, Any]:
    name, namespace = cr["metadata"]["name"], cr["metadata"]["namespace"]
    app = (cr.get("spec") or {}).get("application") or {}
    workload = workload_of_cr(mod, cr)
    image = app.get("image") or _backend_image(workload)
    csvs, served = (), None
    if rules.rhdh_version_from(image=image) is None:
        # OLM installs pin the image by digest: the operator's CSV names the release, the served
        # Backstage versions narrow it down where only one release serves them (read only when needed).
        csvs, served = operator_csvs(mod, namespace), mod.served_versions(BACKSTAGE_GROUP)
    release = release_info(given, image, csvs, served)
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
        "helm_release": None,
        **release
    }


def _helm_info(mod, namespace: str, name: Optional[str], given: Optional[str] = None) -> Dict[str, Any]:
    deployments = mod.list("apps/v1", "Deployment", namespace)
    candidates = [d for d in deployments if BACKEND_CONTAINER in [c.get("name") for c in pod_spec(d).get("containers") or []]]
    if name:
        wanted = {name, helm_deployment_name(name)}
        candidates = [d for d in candidates if d["metadata"]["name"] in wanted]
    if not candidates:
        missing_namespace(mod, namespace)
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
    image = _backend_image(deployment)
    chart = None
    if rules.rhdh_version_from(image=image) is None:
        chart = helm_chart(mod, namespace, release)
    found = release_info(given, image, chart=chart)
    return {
        "install_type": "helm",
        "namespace": namespace,
        "name": release,
        "backstage": None,
        "workload": summarize_workload(deployment),
        "dynamic_plugins_configmap": "{0}-dynamic-plugins".format(release),
        "operator_plugins_configmap": None,
        "app_config_configmaps": app_configs,
        "helm_release": release,
        **found
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


def plugin_config_document(mod, namespace: str, configmap: Optional[str]) -> Dict[str, Any]:
    """The app-config RHDH's plugin installer writes from the ``pluginConfig`` of the plugins enabled in
    the user's plugin ConfigMap (``app-config.dynamic-plugins.yaml``), merged in their order."""
    live = mod.get("v1", "ConfigMap", configmap, namespace) if configmap else None
    doc = yaml_text.load(((live or {}).get("data") or {}).get(dp.CONFIG_KEY, ""),
                         "ConfigMap {0}/{1} key {2}".format(namespace, configmap, dp.CONFIG_KEY)) if live else None
    merged = {}  # type: Dict[str, Any]
    for entry in (doc or {}).get("plugins") or [] if isinstance(doc, dict) else []:
        if isinstance(entry, dict) and not entry.get("disabled") and isinstance(entry.get("pluginConfig"), dict):
            merged = ac.deep_merge(merged, entry["pluginConfig"])
    return merged


def app_config_documents(mod, workload: Optional[Dict[str, Any]], plugins_configmap: Optional[str],
                         ours: Tuple[str, str]) -> Dict[str, Any]:
    """The app-config files backstage-backend of ``workload`` starts with, in order, as ``files`` =
    [(name, document)] (those mounted from a ConfigMap, and the plugins' own file), the name of the
    connector's file (``ours``: ConfigMap and key) and its place among them (``ours_at``, None when the
    pod does not read it yet), and ``problems``: files that could not be parsed."""
    pod = pod_spec(workload)
    namespace = ((workload or {}).get("metadata") or {}).get("namespace")
    backend = next((c for c in pod.get("containers") or [] if c.get("name") == BACKEND_CONTAINER), {})
    ours_name = "ConfigMap {0}/{1} key {2} (the connector's)".format(namespace, ours[0], ours[1])
    out = {"files": [], "ours": ours_name, "ours_at": None, "problems": []}  # type: Dict[str, Any]
    for path, source in catalog_rules.config_sources(pod, backend, sc.config_files(backend)):
        if source == tuple(ours):
            out["ours_at"] = len(out["files"])
            out["files"].append((ours_name, None))
            continue
        try:
            if source:
                name = "ConfigMap {0}/{1} key {2}".format(namespace, source[0], source[1])
                live = mod.get("v1", "ConfigMap", source[0], namespace)
                doc = yaml_text.load(((live or {}).get("data") or {}).get(source[1], ""), name)
            elif path.endswith("/" + catalog_rules.DYNAMIC_PLUGINS_FILE):
                name = "the pluginConfig of the plugins in ConfigMap {0}/{1}".format(namespace, plugins_configmap)
                doc = plugin_config_document(mod, namespace, plugins_configmap)
            else:
                continue  # a file of the image: RHDH's own rules stand for them (catalog_rules.DEFAULT_RULES)
        except ConnectorError as err:
            out["problems"].append(err)
            continue
        out["files"].append((name, doc))
    return out
