"""Every scenario loads into a fresh cluster, shows what it promises, and loading it again writes
nothing (checked on the server side, in the audit log)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import yaml

from testbed import Cluster, TestbedError, rendered
from testbed.__main__ import main
from testbed.scenarios import RHOAI_CRD_NAMES, SCENARIOS, ensure_rhdh_operator_csv, remove_rhdh_operator_csv

LOADER = "rhdh-testbed"


def _get(cluster: Cluster, *args: str) -> Any:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def _crds(cluster: Cluster) -> set[str]:
    return {c["metadata"]["name"] for c in _get(cluster, "crd")["items"]}


def _check_rhoai(
    cluster: Cluster,
    release: str,
    version: str,
    mr_state: str,
    registries_ns: str,
    registries: set[str],
    apps_ns: str,
    csv: tuple[str, str],
    route_host: str = "{registry}-https-{namespace}.apps.example.test",
    catalog_role: str = "model-catalog-user",
) -> None:
    dsc = _get(cluster, "datasciencecluster", "default-dsc")
    assert dsc["status"]["release"] == {"name": release, "version": version}
    assert dsc["status"]["phase"] == "Ready"
    assert dsc["spec"]["components"]["modelregistry"] == {
        "managementState": mr_state,
        "registriesNamespace": registries_ns,
    }
    assert dsc["spec"]["components"]["dashboard"]["managementState"] == "Managed"
    dsci = _get(cluster, "dscinitialization", "default-dsci")
    assert dsci["status"]["release"]["version"] == version
    assert dsci["spec"]["applicationsNamespace"] == apps_ns
    flags = _get(cluster, "odhdashboardconfig", "odh-dashboard-config", "-n", apps_ns)
    disabled = mr_state != "Managed"
    assert flags["spec"]["dashboardConfig"]["disableModelRegistry"] is disabled
    assert flags["spec"]["dashboardConfig"]["disableModelCatalog"] is disabled
    found = _get(cluster, "clusterserviceversion", csv[1], "-n", csv[0])
    assert found["status"]["phase"] == "Succeeded"
    assert found["spec"]["version"] == version
    if not registries:
        assert cluster.kubectl("get", "namespace", registries_ns, check=False).returncode != 0
        return
    assert {m["metadata"]["name"] for m in _get(cluster, "modelregistry", "-n", registries_ns)["items"]} == registries
    routes = {r["metadata"]["name"]: r for r in _get(cluster, "route", "-n", registries_ns)["items"]}
    assert set(routes) == {f"{r}-https" for r in registries} | {"model-catalog-https"}
    for registry in registries:
        route = routes[f"{registry}-https"]
        assert route["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "model-registry-operator"
        assert route["status"]["ingress"][0]["host"] == route_host.format(registry=registry, namespace=registries_ns)
        role = _get(cluster, "role", f"registry-user-{registry}", "-n", registries_ns)
        assert role["rules"][0] == (
            {"apiGroups": [""], "resources": ["services"], "resourceNames": [registry], "verbs": ["get"]}
        )
        assert _get(cluster, "service", registry, "-n", registries_ns)["metadata"]["name"] == registry
    assert "modelregistry-public" not in registries
    binding = _get(cluster, "rolebinding", "model-catalog-authenticated", "-n", registries_ns)
    assert binding["subjects"][0]["name"] == "system:authenticated"
    assert binding["roleRef"]["name"] == catalog_role
    assert routes["model-catalog-https"]["status"]["ingress"]


def _versions(cluster: Cluster, group: str) -> tuple[str, list[str]]:
    """The version the API server prefers for ``group``, and every version it serves."""
    doc = json.loads(cluster.kubectl("get", "--raw", f"/apis/{group}").stdout)
    return doc["preferredVersion"]["version"], sorted(v["version"] for v in doc["versions"])


def _storage(cluster: Cluster, crd: str) -> list[str]:
    return [v["name"] for v in _get(cluster, "crd", crd)["spec"]["versions"] if v["storage"]]


def _check_rhoai_3x(cluster: Cluster) -> None:
    """OpenShift AI 3.4: what 2.x users find where they found it (release, model registry, registries,
    catalog), and what 3.x changed - DataScienceCluster and DSCInitialization stored at v2 with v1 still
    served, aipipelines, KServe without Serverless settings, LLMInferenceService v1alpha2 stored and
    v1alpha1 served, the registries' Routes at <name>-rest. With no conversion webhook, v1 answers
    v2's object relabelled: what both versions share reads alike, aipipelines is dropped, not renamed."""
    _check_rhoai(cluster, **RHOAI_3X)
    for group in ("datasciencecluster.opendatahub.io", "dscinitialization.opendatahub.io"):
        assert _versions(cluster, group) == ("v2", ["v1", "v2"])
    assert _storage(cluster, "datascienceclusters.datasciencecluster.opendatahub.io") == ["v2"]
    assert _storage(cluster, "dscinitializations.dscinitialization.opendatahub.io") == ["v2"]
    assert _versions(cluster, "serving.kserve.io")[1] == ["v1alpha1", "v1alpha2", "v1beta1"]
    assert _storage(cluster, "llminferenceservices.serving.kserve.io") == ["v1alpha2"]
    assert _storage(cluster, KSERVE) == ["v1beta1"]
    for version in ("v1alpha1", "v1alpha2"):
        resources = json.loads(cluster.kubectl("get", "--raw", f"/apis/serving.kserve.io/{version}").stdout)["resources"]
        assert "llminferenceservices" in {r["name"] for r in resources}
    v2 = _get(cluster, "datascienceclusters.v2.datasciencecluster.opendatahub.io", "default-dsc")
    v1 = _get(cluster, "datascienceclusters.v1.datasciencecluster.opendatahub.io", "default-dsc")
    components = v2["spec"]["components"]
    assert components["aipipelines"] == {"managementState": "Managed"}
    assert not {"datasciencepipelines", "codeflare", "modelmeshserving"} & set(components)
    assert not {"serving", "defaultDeploymentMode"} & set(components["kserve"])
    assert "installedComponents" not in v2["status"]
    assert v1["apiVersion"] == "datasciencecluster.opendatahub.io/v1"
    for read in (v1, v2):
        assert read["spec"]["components"]["modelregistry"] == components["modelregistry"]
        assert read["status"]["release"] == {"name": "OpenShift AI Self-Managed", "version": "3.4.0"}
    assert "aipipelines" not in v1["spec"]["components"]  # the real webhook gives datasciencepipelines
    dsci = _get(cluster, "dscinitializations.v2.dscinitialization.opendatahub.io", "default-dsci")
    assert "serviceMesh" not in dsci["spec"]
    role = _get(cluster, "role", "model-catalog", "-n", "rhoai-model-registries")
    assert [r["resources"] for r in role["rules"]] == [["services"], ["endpoints"]]


def _user_plugins(cluster: Cluster, configmap: str) -> list[str]:
    data = _get(cluster, "configmap", configmap, "-n", "ai-rhdh")["data"]["dynamic-plugins.yaml"]
    parsed = yaml.safe_load(data)
    assert parsed["includes"] == ["dynamic-plugins.default.yaml"]
    return [p["package"] for p in parsed["plugins"]]


def _workload(cluster: Cluster, kind: str, name: str) -> dict[str, Any]:
    return _get(cluster, kind.lower(), name, "-n", "ai-rhdh")


def _check_rhdh_operator(cluster: Cluster, api: str, plugins_cm: bool, lightspeed: bool,
                         kind: str = "Deployment") -> None:
    """What the real operator rendered from the user's CR: their env, their sidecar and its volume,
    both app-config ConfigMaps mounted at /opt/app-root/src/<key> and passed with --config, its own
    default.app-config.yaml, no name or path twice; lightspeed-core on 1.10."""
    cr = _get(cluster, f"backstages.{api}.rhdh.redhat.com", "developer-hub", "-n", "ai-rhdh")
    app = cr["spec"]["application"]
    assert app["appConfig"]["configMaps"] == [{"name": "app-config-rhdh"}, {"name": "app-config-rhdh-auth"}]
    if plugins_cm:
        assert app["dynamicPluginsConfigMapName"] == "dynamic-plugins-rhdh"
        assert _user_plugins(cluster, "dynamic-plugins-rhdh") == [
            "./dynamic-plugins/dist/backstage-community-plugin-github-issues",
            "oci://quay.io/example/my-plugin:1.0.0!my-plugin",
        ]
    else:
        assert "dynamicPluginsConfigMapName" not in app
    workload = _workload(cluster, kind, "backstage-developer-hub")
    assert workload["metadata"]["ownerReferences"][0]["kind"] == "Backstage"
    containers = {c["name"]: c for c in rendered.pod_spec(workload)["containers"]}
    assert {"name": "NODE_OPTIONS", "value": "--max-old-space-size=2048"} in containers["backstage-backend"]["env"]
    assert containers["log-shipper"]["volumeMounts"] == [{"name": "log-shipper-config", "mountPath": "/fluent-bit/etc"}]
    assert ("lightspeed-core" in containers) is lightspeed
    assert rendered.duplicates(workload) == []
    files = rendered.user_app_configs(workload)
    assert files["/opt/app-root/src/app-config.yaml"] == ("app-config-rhdh", "app-config.yaml")
    assert files["/opt/app-root/src/app-config-auth.yaml"] == ("app-config-rhdh-auth", "app-config-auth.yaml")
    assert any(path.endswith("/default.app-config.yaml") for path in rendered.config_files(workload))
    status = workload["status"]
    assert status["readyReplicas"] == status["replicas"] == 1
    app_config = _get(cluster, "configmap", "app-config-rhdh", "-n", "ai-rhdh")["data"]["app-config.yaml"]
    assert yaml.safe_load(app_config)["app"]["title"] == "Example Developer Hub"


def _check_rhdh_helm(cluster: Cluster, release: str) -> None:
    """What the real chart rendered from the user's values: the Deployment's name and labels, the
    plugin installer, the user's plugins, both app-configs mounted and passed with --config."""
    name = release if "developer-hub" in release else f"{release}-developer-hub"
    deployment = _workload(cluster, "Deployment", name)
    meta = deployment["metadata"]
    assert meta["labels"]["app.kubernetes.io/instance"] == release
    assert meta["labels"]["app.kubernetes.io/name"] == "developer-hub"
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert meta["annotations"]["meta.helm.sh/release-name"] == release
    assert meta["annotations"]["meta.helm.sh/release-namespace"] == "ai-rhdh"
    pod = deployment["spec"]["template"]
    assert [c["name"] for c in pod["spec"]["containers"]] == ["backstage-backend"]
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["install-dynamic-plugins"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert "ephemeral" in volumes["dynamic-plugins-root"]
    assert volumes["dynamic-plugins"]["configMap"]["name"] == f"{release}-dynamic-plugins"
    assert rendered.duplicates(deployment) == []
    files = rendered.user_app_configs(deployment)
    assert files["/opt/app-root/src/app-config-rhdh.yaml"] == ("app-config-rhdh", "app-config-rhdh.yaml")
    assert "/opt/app-root/src/app-config-from-configmap.yaml" in files
    env = {e["name"] for e in pod["spec"]["containers"][0]["env"]}
    assert {"BACKEND_SECRET", "POSTGRESQL_ADMIN_PASSWORD", "LOG_LEVEL"} <= env
    assert deployment["status"]["readyReplicas"] == 1
    assert _user_plugins(cluster, f"{release}-dynamic-plugins")[1] == "oci://quay.io/example/my-plugin:1.0.0!my-plugin"
    secrets = _get(cluster, "secret", "-n", "ai-rhdh", "-l", f"owner=helm,name={release}")["items"]
    assert [s["metadata"]["name"] for s in secrets] == [f"sh.helm.release.v1.{release}.v1"]


def _check_rhdh_operator_20(cluster: Cluster) -> None:
    """The 2.0 operator renders the user's CR as 1.10 does, without a flavour switched on by default, from
    its default image rhdh:next (a tag that names no release)."""
    _check_rhdh_operator(cluster, "v1alpha5", True, False)
    containers = {c["name"]: c for c in rendered.pod_spec(_workload(cluster, "Deployment", "backstage-developer-hub"))["containers"]}
    assert containers["backstage-backend"]["image"] == "quay.io/rhdh-community/rhdh:next"
    served = {v["name"] for v in _get(cluster, "crd", "backstages.rhdh.redhat.com")["spec"]["versions"] if v["served"]}
    assert served == {"v1alpha4", "v1alpha5"}  # as 1.10's: the served versions tell the two apart no more


RHOAI_2_25 = dict(
    release="OpenShift AI Self-Managed",
    version="2.25.0",
    mr_state="Managed",
    registries_ns="rhoai-model-registries",
    registries={"registry-prod", "team-a-registry"},
    apps_ns="redhat-ods-applications",
    csv=("redhat-ods-operator", "rhods-operator.v2.25.0"),
)
RHOAI_3X = dict(
    RHOAI_2_25,
    version="3.4.0",
    csv=("redhat-ods-operator", "rhods-operator.v3.4.0"),
    route_host="{registry}-rest.apps.example.test",
    catalog_role="model-catalog",
)
CHECKS = {
    "rhoai-2.25": lambda c: _check_rhoai(c, **RHOAI_2_25),
    "rhoai-3.x": _check_rhoai_3x,
    "rhoai-2.22-upgraded": lambda c: _check_rhoai(
        c, **{**RHOAI_2_25, "mr_state": "Removed", "registries": set()}
    ),
    "odh": lambda c: _check_rhoai(
        c,
        release="Open Data Hub",
        version="2.33.0",
        mr_state="Managed",
        registries_ns="odh-model-registries",
        registries={"odh-registry"},
        apps_ns="opendatahub",
        csv=("openshift-operators", "opendatahub-operator.v2.33.0"),
    ),
    "rhoai-2.19": lambda c: _check_rhoai(
        c,
        **{**RHOAI_2_25, "version": "2.19.0", "csv": ("redhat-ods-operator", "rhods-operator.v2.19.0")},
    ),
    "no-rhoai": lambda c: None,
    "rhoai-no-kserve": lambda c: _check_rhoai(c, **RHOAI_2_25),
    "rhdh-operator-1.8": lambda c: _check_rhdh_operator(c, "v1alpha4", True, False),
    "rhdh-operator-1.10": lambda c: _check_rhdh_operator(c, "v1alpha5", True, True),
    "rhdh-operator-2.0": lambda c: _check_rhdh_operator_20(c),
    "rhdh-operator-1.10-statefulset": lambda c: _check_rhdh_operator(c, "v1alpha5", True, True, "StatefulSet"),
    "rhdh-operator-1.8-no-plugins-cm": lambda c: _check_rhdh_operator(c, "v1alpha4", False, False),
    "rhdh-helm": lambda c: _check_rhdh_helm(c, "rhdh"),
    "rhdh-helm-developer-hub": lambda c: _check_rhdh_helm(c, "developer-hub"),
}
KSERVE = "inferenceservices.serving.kserve.io"


def test_every_scenario_has_a_check() -> None:
    assert set(CHECKS) == set(SCENARIOS)
    assert all(SCENARIOS.values())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_scenario_loads_and_reloading_writes_nothing(cluster_factory, scenario: str) -> None:
    cluster = cluster_factory(scenario)
    CHECKS[scenario](cluster)
    crds = _crds(cluster)
    if scenario == "no-rhoai":
        assert not crds.intersection(RHOAI_CRD_NAMES)
    if scenario.startswith(("rhoai", "odh")):
        assert (KSERVE in crds) is (scenario != "rhoai-no-kserve")
    since = time.time()
    cluster.load(scenario)
    assert cluster.write_requests(since=since, user_agent=LOADER) == []
    CHECKS[scenario](cluster)
    if scenario == "rhoai-2.25":  # scenarios that need a CRD absent refuse this cluster
        for other in ("no-rhoai", "rhoai-no-kserve"):
            with pytest.raises(TestbedError, match=KSERVE):
                cluster.load(other)


def test_the_rhdh_operator_csv_is_made_once_as_olm_names_it_and_removed(cluster_factory, capsys) -> None:
    """What tests and molecule use to tell the collection the RHDH operator's release: a second call
    sends nothing, the CLI says so, and removing it leaves no ClusterServiceVersion."""
    cluster = cluster_factory()  # no scenario: the CRD comes with the first call
    assert ensure_rhdh_operator_csv(cluster, "2.0.0")
    csv = _get(cluster, "clusterserviceversion", "rhdh-operator.v2.0.0", "-n", "rhdh-operator")
    assert (csv["spec"]["version"], csv["spec"]["displayName"], csv["status"]["phase"]) == (
        "2.0.0", "Red Hat Developer Hub Operator", "Succeeded")
    since = time.time()
    assert not ensure_rhdh_operator_csv(cluster, "2.0.0")
    assert main(["-q", "rhdh-operator-csv", cluster.name, "2.0.0"]) == 0
    assert "rhdh-operator/rhdh-operator.v2.0.0 of " + cluster.name + ": present, unchanged" in capsys.readouterr().out
    assert cluster.write_requests(since=since, user_agent=LOADER) == []
    assert main(["-q", "rhdh-operator-csv", cluster.name, "2.0.0", "--remove"]) == 0
    assert ": removed" in capsys.readouterr().out
    assert _get(cluster, "clusterserviceversion", "-n", "rhdh-operator")["items"] == []
    assert not remove_rhdh_operator_csv(cluster, "2.0.0")
    assert main(["-q", "rhdh-operator-csv", cluster.name, "2.0"]) == 1
    assert "X.Y.Z" in capsys.readouterr().err
