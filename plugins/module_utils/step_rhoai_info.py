# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhoai_info's work: read OpenShift AI (or ODH) and judge the prerequisites."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, Optional, Sequence

from ansible_collections.rhdh.ai_connector.plugins.module_utils import rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import StepResult
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService

DSC_GROUP = "datasciencecluster.opendatahub.io"
DSCI_GROUP = "dscinitialization.opendatahub.io"
MR_GROUP = "modelregistry.opendatahub.io"
ROUTE_GROUP = "route.openshift.io"
REGISTRY_LABEL = "app.kubernetes.io/managed-by=model-registry-operator"
CATALOG_ROUTE = "model-catalog-https"
OPERATOR_NAMESPACES = {"odh": ["openshift-operators", "opendatahub-operators"]}
CSV_PREFIX = {"odh": "opendatahub-operator."}
#: The DataScienceCluster and DSCInitialization versions read, preferred first: OpenShift AI 3.x stores
#: v2 and still serves v1 (converted by the operator's webhook), 2.x serves v1 only. What is read here
#: (status.release, spec.components.modelregistry, spec.applicationsNamespace) is alike in both.
PLATFORM_VERSIONS = ("v2", "v1")


def _pick(items, name, what):
    if name:
        found = [i for i in items if i["metadata"]["name"] == name]
        if not found:
            raise ConnectorError("{0} {1} not found".format(what, name), fix="check the name, or leave it unset to use the only one")
        return found[0]
    if len(items) > 1:
        raise ConnectorError(
            "{0} objects found: {1}".format(what, ", ".join(i["metadata"]["name"] for i in items)),
            fix="name the one to use with the datasciencecluster option",
        )
    return items[0] if items else None


def read_version(served: Sequence[str], known: Sequence[str] = PLATFORM_VERSIONS) -> Optional[str]:
    """The version to read a group at: the first of ``known`` that is ``served``, else the one the API
    server prefers (``served`` names it first, as ``K8sService.served_versions`` does); None when the
    group is not served."""
    for version in known:
        if version in served:
            return version
    return served[0] if served else None


def _hosts(route):
    return [i.get("host") for i in (route.get("status") or {}).get("ingress") or [] if i.get("host")]


def gather(mod: K8sService, datasciencecluster: Optional[str], registries_namespace: Optional[str]) -> Dict[str, Any]:
    """What OpenShift AI (or ODH) is, where its registries are, and the prerequisite verdicts."""
    facts = {"platform": "none", "release_name": None, "version": None, "datasciencecluster": None,
             "applications_namespace": None, "modelregistry_state": None, "registries_namespace": None,
             "registries": [], "catalog_route": None, "kserve": False, "dashboard": None, "operator_csv": None}
    dsc_version = read_version(mod.served_versions(DSC_GROUP))  # discovery the service asks once anyway
    dsci_version = read_version(mod.served_versions(DSCI_GROUP))
    dsc = dsci = None
    if dsc_version:
        dsc = _pick(mod.list("{0}/{1}".format(DSC_GROUP, dsc_version), "DataScienceCluster"),
                    datasciencecluster, "DataScienceCluster")
    if dsci_version:
        dsci = _pick(mod.list("{0}/{1}".format(DSCI_GROUP, dsci_version), "DSCInitialization"), None, "DSCInitialization")
    release = ((dsc or {}).get("status") or {}).get("release") or ((dsci or {}).get("status") or {}).get("release") or {}
    if dsc or dsci:
        facts["release_name"] = release.get("name")
        facts["version"] = release.get("version")
        facts["platform"] = rules.platform_of(release.get("name")) if release.get("name") else "unknown"
    platform = facts["platform"]
    facts["datasciencecluster"] = (dsc or {}).get("metadata", {}).get("name")
    facts["applications_namespace"] = ((dsci or {}).get("spec") or {}).get("applicationsNamespace") or (
        rules.DEFAULT_APPLICATIONS_NAMESPACE.get(platform, "redhat-ods-applications") if platform != "none" else None)
    registry = (((dsc or {}).get("spec") or {}).get("components") or {}).get("modelregistry") or {}
    facts["modelregistry_state"] = registry.get("managementState")
    facts["registries_namespace"] = registries_namespace or registry.get("registriesNamespace") or (
        rules.DEFAULT_REGISTRIES_NAMESPACE.get(platform, "rhoai-model-registries") if platform != "none" else None)
    facts["kserve"] = mod.group_has("serving.kserve.io", "v1beta1", "inferenceservices")
    if platform != "none":
        facts["registries"], facts["catalog_route"] = registries(mod, facts["registries_namespace"])
        facts["dashboard"] = dashboard(mod, facts["applications_namespace"])
        facts["operator_csv"] = operator_csv(mod, platform)
    facts["dsc"] = facts["datasciencecluster"]
    verdicts = rules.preflight_verdicts(facts)
    del facts["dsc"]
    facts["verdicts"] = verdicts
    facts["failed_checks"] = rules.failed(verdicts)
    return facts


def registries(mod, namespace):
    versions = mod.served_versions(MR_GROUP)
    items = mod.list("{0}/{1}".format(MR_GROUP, versions[0]), "ModelRegistry", namespace) if versions else []
    routes = []
    if mod.served_versions(ROUTE_GROUP):
        routes = mod.list("route.openshift.io/v1", "Route", namespace, label_selector=REGISTRY_LABEL)
        catalog = mod.get("route.openshift.io/v1", "Route", CATALOG_ROUTE, namespace)
    else:
        catalog = None
    roles = {r["metadata"]["name"] for r in mod.list("rbac.authorization.k8s.io/v1", "Role", namespace)}
    out = []
    for item in items:
        name = item["metadata"]["name"]
        own = [r for r in routes if r["metadata"]["name"] in (name + "-https", name + "-http")
               or (r.get("spec", {}).get("to") or {}).get("name") == name]
        out.append({
            "name": name,
            "namespace": namespace,
            "role": "registry-user-" + name,
            "role_exists": "registry-user-" + name in roles,
            "routes": [r["metadata"]["name"] for r in own],
            "route_hosts": [h for r in own for h in _hosts(r)],
        })
    catalog_route = {"name": CATALOG_ROUTE, "hosts": _hosts(catalog)} if catalog else None
    return out, catalog_route


def dashboard(mod, namespace):
    if not namespace or not mod.served_versions("opendatahub.io"):
        return None
    config = mod.get("opendatahub.io/v1alpha", "OdhDashboardConfig", "odh-dashboard-config", namespace)
    if config is None:
        return None
    return dict(((config.get("spec") or {}).get("dashboardConfig") or {}))


def operator_csv(mod, platform):
    if not mod.served_versions("operators.coreos.com"):
        return None
    prefix = CSV_PREFIX.get(platform, "rhods-operator.")
    for namespace in OPERATOR_NAMESPACES.get(platform, ["redhat-ods-operator"]):
        try:
            csvs = mod.list("operators.coreos.com/v1alpha1", "ClusterServiceVersion", namespace)
        except ConnectorError:
            continue  # reading CSVs is optional: the version comes from the DataScienceCluster
        for csv in csvs:
            if csv["metadata"]["name"].startswith(prefix):
                return csv["metadata"]["name"]
    return None


ARGUMENT_SPEC = dict(
    datasciencecluster=dict(type="str"),
    registries_namespace=dict(type="str"),
)
MODULE_OPTIONS = {}  # type: dict


def rhoai_info(svc: K8sService, *, datasciencecluster: Optional[str], registries_namespace: Optional[str]) -> StepResult:
    """Read-only: the facts and verdicts of ``gather``, and the API server they were read at."""
    facts = gather(svc, datasciencecluster, registries_namespace)
    return StepResult(api_server=svc.api_server(), **facts)
