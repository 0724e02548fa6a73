"""rhoai_info reads the DataScienceCluster and DSCInitialization at v2 where served (OpenShift AI 3.x
stores v2, serves v1 through a conversion webhook), else at v1 (2.x), choosing from the discovery
the service asks anyway; OpenShift AI 3.x passes every prerequisite."""

import copy

import pytest

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhoai_info
from ansible_collections.rhdh.ai_connector.plugins.module_utils.step_rhoai_info import read_version

DSC = "datasciencecluster.opendatahub.io"
DSCI = "dscinitialization.opendatahub.io"
REGISTRY = "modelregistry.opendatahub.io"


@pytest.mark.parametrize("served, expected", [
    (["v2", "v1"], "v2"),  # OpenShift AI 3.x: v2 stored and preferred
    (["v1", "v2"], "v2"),  # whatever the server prefers, v2 is read where served
    (["v1"], "v1"),  # OpenShift AI 2.x
    (["v3", "v2", "v1"], "v2"),  # a version not known to the collection is not read while a known one is served
    (["v3"], "v3"),  # none known: the one the API server prefers
    ([], None),  # not installed
])
def test_the_version_read_is_v2_where_served_else_v1(served, expected):
    assert read_version(served) == expected


def _dsc(api, components, release_version):
    return {"apiVersion": "{0}/{1}".format(DSC, api), "kind": "DataScienceCluster", "metadata": {"name": "default-dsc"},
            "spec": {"components": components},
            "status": {"phase": "Ready", "release": {"name": "OpenShift AI Self-Managed", "version": release_version}}}


REGISTRY_COMPONENT = {"managementState": "Managed", "registriesNamespace": "rhoai-model-registries"}
#: What a 3.4 cluster answers at v2, and at v1 through the operator's webhook (pipelines renamed back).
DSC_3X = {
    "v2": _dsc("v2", {"aipipelines": {"managementState": "Managed"}, "kserve": {"managementState": "Managed"},
                      "modelregistry": REGISTRY_COMPONENT}, "3.4.0"),
    "v1": _dsc("v1", {"datasciencepipelines": {"managementState": "Managed"}, "kserve": {"managementState": "Managed"},
                      "modelregistry": REGISTRY_COMPONENT}, "3.4.0"),
}
DSC_2X = {"v1": _dsc("v1", {"kserve": {"managementState": "Managed", "defaultDeploymentMode": "RawDeployment"},
                            "modelregistry": REGISTRY_COMPONENT}, "2.25.0")}


class Cluster:
    """Just enough of K8sService for rhoai_info: discovery and reads, each one recorded."""

    def __init__(self, served, dscs):
        self.served = served
        self.dscs = dscs
        self.requests = []

    def served_versions(self, group):
        self.requests.append(("discover", group))
        return list(self.served.get(group, []))

    def group_has(self, group, version, plural):
        self.requests.append(("discover", "{0}/{1}".format(group, version)))
        return version in self.served.get(group, []) and plural == "inferenceservices"

    def list(self, api_version, kind, namespace=None, label_selector=None):
        self.requests.append(("list", api_version, kind))
        group, version = api_version.rpartition("/")[::2]
        if kind == "DataScienceCluster":
            return [copy.deepcopy(self.dscs[version])]
        if kind == "DSCInitialization":
            return [{"metadata": {"name": "default-dsci"}, "spec": {"applicationsNamespace": "redhat-ods-applications"},
                     "status": {"release": self.dscs[version]["status"]["release"]}}]
        if kind == "ModelRegistry":
            return [{"metadata": {"name": "registry-prod", "namespace": namespace}}]
        if kind == "Route":
            return [{"metadata": {"name": "registry-prod-https"}, "spec": {"to": {"name": "registry-prod"}},
                     "status": {"ingress": [{"host": "registry-prod-rest.apps.example.test"}]}}]
        if kind == "Role":
            return [{"metadata": {"name": "registry-user-registry-prod"}}]
        if kind == "ClusterServiceVersion":
            return []
        raise AssertionError("unexpected list of {0} {1}".format(api_version, kind))

    def get(self, api_version, kind, name, namespace=None):
        self.requests.append(("get", api_version, kind))
        if kind == "OdhDashboardConfig":
            return {"spec": {"dashboardConfig": {"disableModelRegistry": False, "disableModelCatalog": False}}}
        return None


def _served(platform):
    return {DSC: platform, DSCI: platform, REGISTRY: ["v1beta1", "v1alpha1"], "route.openshift.io": ["v1"],
            "opendatahub.io": ["v1alpha"], "operators.coreos.com": ["v1alpha1"], "serving.kserve.io": ["v1beta1"]}


def test_openshift_ai_3x_is_read_at_v2_and_passes_every_prerequisite():
    cluster = Cluster(_served(["v2", "v1"]), DSC_3X)
    facts = step_rhoai_info.gather(cluster, None, None)
    lists = [r[1] for r in cluster.requests if r[0] == "list" and r[2] in ("DataScienceCluster", "DSCInitialization")]
    assert lists == [DSC + "/v2", DSCI + "/v2"]
    assert (facts["platform"], facts["version"], facts["modelregistry_state"]) == ("rhoai-self-managed", "3.4.0", "Managed")
    assert facts["registries_namespace"] == "rhoai-model-registries"
    assert [v for v in facts["verdicts"] if v["status"] != "ok"] == [], facts["verdicts"]
    version = [v for v in facts["verdicts"] if v["check"] == "version"]
    assert version == [{"check": "version", "status": "ok",
                        "msg": "OpenShift AI Self-Managed 3.4.0 supports every feature of the connector"}]
    assert facts["failed_checks"] == []


def test_openshift_ai_2x_is_read_at_v1_with_no_request_more_than_before():
    """The choice comes from the group discovery rhoai_info asked before it chose versions at all."""
    cluster = Cluster(_served(["v1"]), DSC_2X)
    facts = step_rhoai_info.gather(cluster, None, None)
    lists = [r[1] for r in cluster.requests if r[0] == "list" and r[2] in ("DataScienceCluster", "DSCInitialization")]
    assert lists == [DSC + "/v1", DSCI + "/v1"]
    assert cluster.requests[:2] == [("discover", DSC), ("discover", DSCI)]
    discovered = [r[1] for r in cluster.requests if r[0] == "discover"]
    assert discovered.count(DSC) == 1 and discovered.count(DSCI) == 1
    assert facts["version"] == "2.25.0" and facts["failed_checks"] == []


def test_without_openshift_ai_nothing_is_listed():
    cluster = Cluster({}, {})
    facts = step_rhoai_info.gather(cluster, None, None)
    assert facts["platform"] == "none"
    assert not [r for r in cluster.requests if r[0] == "list"]
