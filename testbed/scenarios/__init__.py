"""Named cluster states ("scenarios") the collection's tests start from.

A scenario is a list of CRD files (``testbed/crds``) and data files (``data/``, YAML with
``${VAR}`` placeholders filled per scenario), plus what to wait for. Loading applies every object
with server-side apply (field manager ``testbed``) and sends nothing for objects that already
match, so loading twice writes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import yaml
from kubernetes.client.exceptions import ApiException

from ..build import operator_home, rhdh_chart
from ..errors import TestbedError
from ..kube import Kube, Obj, crd_established, rolled_out, wait_for
from ..paths import PACKAGE_DIR
from ..timing import step

if TYPE_CHECKING:
    from ..cluster import Cluster

LOG = logging.getLogger("testbed.scenarios")
DATA = Path(__file__).resolve().parent / "data"
CRDS = PACKAGE_DIR / "crds"
ROLLOUT_TIMEOUT = 180.0

RHOAI_CRDS = (
    "dscinitialization.yaml",
    "datasciencecluster.yaml",
    "modelregistry.yaml",
    "route.yaml",
    "odhdashboardconfig.yaml",
    "clusterserviceversion.yaml",
)
#: OpenShift AI 3.x: DataScienceCluster and DSCInitialization store v2 and still serve v1; KServe adds
#: LLMInferenceService (v1alpha2 stored, v1alpha1 served, from 3.4). The real operators convert between
#: versions with webhooks; the testbed has none (see the CRD files): an object reads the same at every
#: version, only its apiVersion relabelled and fields the version read does not know pruned.
RHOAI_3_CRDS = (
    "dscinitialization-rhoai-3.yaml",
    "datasciencecluster-rhoai-3.yaml",
    "modelregistry.yaml",
    "route.yaml",
    "odhdashboardconfig.yaml",
    "clusterserviceversion.yaml",
)
RHOAI_CRD_NAMES = (
    "dscinitializations.dscinitialization.opendatahub.io",
    "datascienceclusters.datasciencecluster.opendatahub.io",
    "modelregistries.modelregistry.opendatahub.io",
    "odhdashboardconfigs.opendatahub.io",
    "inferenceservices.serving.kserve.io",
    "llminferenceservices.serving.kserve.io",
)
KSERVE_CRD = "inferenceservices.serving.kserve.io"
#: Per OpenShift AI major release: its CRD files, KServe's, and the data files of its DataScienceCluster,
#: its registries' namespace (with the model catalog) and one registry.
GENERATIONS = {
    2: (RHOAI_CRDS, ("inferenceservice.yaml",),
        "rhoai-2-datasciencecluster.yaml", "model-registries-namespace.yaml", "model-registry.yaml"),
    3: (RHOAI_3_CRDS, ("inferenceservice.yaml", "llminferenceservice.yaml"),
        "rhoai-3-datasciencecluster.yaml", "model-registries-namespace-3.yaml", "model-registry-3.yaml"),
}


@dataclass(frozen=True)
class Part:
    """One data file and the values of its ``${VAR}`` placeholders."""

    file: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HelmRelease:
    """A release of the real RHDH chart: ``helm install <release> <chart> -n <namespace> -f <values>``."""

    release: str
    namespace: str
    values: str


@dataclass(frozen=True)
class Scenario:
    """What a scenario loads and waits for."""

    name: str
    description: str
    crds: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    absent_crds: tuple[str, ...] = ()
    operator: str | None = None
    #: The operator's RELATED_IMAGE_* variables, as an OLM install sets them (RHDH's image pinned).
    operator_images: Mapping[str, str] = field(default_factory=dict)
    helm: HelmRelease | None = None
    rollouts: tuple[tuple[str, str, str], ...] = ()


def _rhoai_values(**overrides: str) -> dict[str, str]:
    values = {
        "RELEASE_NAME": "OpenShift AI Self-Managed",
        "RELEASE_VERSION": "2.25.0",
        "OPERATOR_NS": "redhat-ods-operator",
        "OPERATOR_PACKAGE": "rhods-operator",
        "CSV_NAME": "rhods-operator.v2.25.0",
        "CSV_DISPLAY_NAME": "Red Hat OpenShift AI",
        "CSV_REPLACES": "rhods-operator.v2.24.0",
        "CSV_PROVIDER": "Red Hat",
        "APPS_NS": "redhat-ods-applications",
        "MONITORING_NS": "redhat-ods-monitoring",
        "WORKBENCH_NS": "rhods-notebooks",
        "REGISTRIES_NS": "rhoai-model-registries",
        "DASHBOARD_HOST": "rhods-dashboard-redhat-ods-applications.apps.example.test",
        "DASHBOARD_PART_OF": "rhods-dashboard",
        "ADMIN_GROUP": "rhods-admins",
        "MR_STATE": "Managed",
        "MR_READY": "True",
        "MR_REASON": "ReconcileCompleted",
        "MR_INSTALLED": "true",
        "DISABLE_MODEL_REGISTRY": "false",
        "DISABLE_MODEL_CATALOG": "false",
    }
    values.update(overrides)
    return values


def _rhoai(
    name: str,
    description: str,
    registries: tuple[str, ...] = ("registry-prod", "team-a-registry"),
    kserve: bool = True,
    generation: int = 2,
    **overrides: str,
) -> Scenario:
    values = _rhoai_values(**overrides)
    crd_files, kserve_files, dsc, registries_namespace, registry = GENERATIONS[generation]
    parts = [Part("rhoai-platform.yaml", values), Part(dsc, values)]
    if registries:
        parts.append(Part(registries_namespace, values))
        parts += [Part(registry, {**values, "REGISTRY": r}) for r in registries]
    crds = crd_files + (kserve_files if kserve else ())
    return Scenario(
        name=name,
        description=description,
        crds=crds,
        parts=tuple(parts),
        absent_crds=() if kserve else (KSERVE_CRD,),
    )


def _rhdh_operator(
    name: str,
    description: str,
    release: str,
    plugins_cm: bool = True,
    statefulset: bool = False,
) -> Scenario:
    """The real RHDH operator ``release`` with its own Backstage CRD, and the user's CR and content.
    The Route CRD comes first: the operator decides at start whether it runs on OpenShift."""
    api = {"1.8": "v1alpha4", "1.10": "v1alpha5", "2.0": "v1alpha5"}[release]
    parts = [Part("rhdh-operator-user.yaml")]
    if plugins_cm:
        parts.append(Part("rhdh-operator-plugins.yaml"))
    cr = "backstage-cr.yaml" if plugins_cm else "backstage-cr-no-plugins-cm.yaml"
    parts.append(Part(cr, {"BACKSTAGE_API": api}))
    kind = "Deployment"
    if statefulset:
        parts.append(Part("backstage-cr-statefulset.yaml", {"BACKSTAGE_API": api}))
        kind = "StatefulSet"
    crds = ("route.yaml",)
    if release in OPENSHIFT_CONFIG_RELEASES:  # it watches OpenShift's APIServer settings
        crds += ("apiserver.yaml",)
        parts.append(Part("openshift-apiserver.yaml"))
    return Scenario(
        name=name,
        description=description,
        crds=crds,
        parts=tuple(parts),
        operator=release,
        rollouts=(("ai-rhdh", "backstage-developer-hub", kind),),
    )


#: RHDH operator releases that, on OpenShift, watch config.openshift.io APIServer (its TLS profile) and
#: exit when that kind is not served: the testbed serves it to them (crds/apiserver.yaml).
OPENSHIFT_CONFIG_RELEASES = ("2.0",)


def _rhdh_helm(name: str, description: str, release: str, namespace: str = "ai-rhdh") -> Scenario:
    """The real RHDH 1.8 chart installed as ``release`` with the user's values and objects."""
    workload = release if "developer-hub" in release else f"{release}-developer-hub"
    return Scenario(
        name=name,
        description=description,
        crds=("route.yaml",),
        parts=(Part("rhdh-helm-user.yaml", {"NAMESPACE": namespace}),),
        helm=HelmRelease(release, namespace, "rhdh-helm-values.yaml"),
        rollouts=((namespace, workload, "Deployment"),),
    )


_ALL = (
    _rhoai(
        "rhoai-2.25",
        "RHOAI 2.25 self-managed, healthy: model registry Managed with two registries, catalog, KServe",
    ),
    # Unlike a real 3.x cluster, no conversion webhook (the CRDs say strategy None): v1 answers v2's
    # object relabelled, fields v1 does not know pruned instead of converted (no datasciencepipelines
    # for v2's aipipelines, no installedComponents); release and model registry settings read alike.
    _rhoai(
        "rhoai-3.x",
        "RHOAI 3.4 self-managed, healthy: DSC and DSCI stored at v2, v1 served (no conversion webhook), model "
        "registry Managed with two registries, catalog, KServe RawDeployment and LLMInferenceService",
        generation=3,
        RELEASE_VERSION="3.4.0",
        CSV_NAME="rhods-operator.v3.4.0",
        CSV_REPLACES="rhods-operator.v3.3.0",
    ),
    _rhoai(
        "rhoai-2.22-upgraded",
        "RHOAI upgraded to 2.25 keeping model registry Removed and the dashboard flags off, no registries",
        registries=(),
        MR_STATE="Removed",
        MR_READY="False",
        MR_REASON="Removed",
        MR_INSTALLED="false",
        DISABLE_MODEL_REGISTRY="true",
        DISABLE_MODEL_CATALOG="true",
    ),
    _rhoai(
        "odh",
        "Open Data Hub 2.33: registries in odh-model-registries (one registry), apps in opendatahub",
        registries=("odh-registry",),
        RELEASE_NAME="Open Data Hub",
        RELEASE_VERSION="2.33.0",
        OPERATOR_NS="openshift-operators",
        OPERATOR_PACKAGE="opendatahub-operator",
        CSV_NAME="opendatahub-operator.v2.33.0",
        CSV_DISPLAY_NAME="Open Data Hub Operator",
        CSV_REPLACES="opendatahub-operator.v2.32.0",
        CSV_PROVIDER="Open Data Hub",
        APPS_NS="opendatahub",
        MONITORING_NS="opendatahub",
        WORKBENCH_NS="opendatahub",
        REGISTRIES_NS="odh-model-registries",
        DASHBOARD_HOST="odh-dashboard-opendatahub.apps.example.test",
        DASHBOARD_PART_OF="odh-dashboard",
        ADMIN_GROUP="odh-admins",
    ),
    _rhoai(
        "rhoai-2.19",
        "RHOAI 2.19 (older than the connector supports), otherwise healthy",
        RELEASE_VERSION="2.19.0",
        CSV_NAME="rhods-operator.v2.19.0",
        CSV_REPLACES="rhods-operator.v2.18.0",
    ),
    Scenario(
        name="no-rhoai",
        description="No RHOAI or ODH at all: none of their CRDs",
        absent_crds=RHOAI_CRD_NAMES,
    ),
    _rhoai(
        "rhoai-no-kserve",
        "RHOAI 2.25 healthy but without KServe's InferenceService CRD",
        kserve=False,
    ),
    _rhdh_operator(
        "rhdh-operator-1.8",
        "the real RHDH 1.8 operator with Backstage CR developer-hub (v1alpha4) and user content",
        "1.8",
    ),
    _rhdh_operator(
        "rhdh-operator-1.10",
        "the real RHDH 1.10 operator (lightspeed flavour on: lightspeed-core) with CR developer-hub (v1alpha5)",
        "1.10",
    ),
    _rhdh_operator(
        "rhdh-operator-2.0",
        "the real RHDH 2.0 operator (main at VERSION 2.0.0; default image rhdh:next, which names no release) "
        "with CR developer-hub (v1alpha5); no ClusterServiceVersion",
        "2.0",
    ),
    _rhdh_operator(
        "rhdh-operator-1.10-statefulset",
        "the real RHDH 1.10 operator, CR developer-hub with spec.deployment.kind StatefulSet",
        "1.10",
        statefulset=True,
    ),
    _rhdh_operator(
        "rhdh-operator-1.8-no-plugins-cm",
        "the real RHDH 1.8 operator, CR developer-hub names no dynamic-plugins ConfigMap",
        "1.8",
        plugins_cm=False,
    ),
    _rhdh_helm(
        "rhdh-helm",
        "the real RHDH 1.8 chart: release rhdh in ai-rhdh (Deployment rhdh-developer-hub), user values",
        "rhdh",
    ),
    _rhdh_helm(
        "rhdh-helm-developer-hub",
        "the real RHDH 1.8 chart: release developer-hub in ai-rhdh (Deployment developer-hub), user values",
        "developer-hub",
    ),
)
DEFINITIONS: dict[str, Scenario] = {s.name: s for s in _ALL}
SCENARIOS: dict[str, str] = {s.name: s.description for s in _ALL}


def _render(part: Part) -> list[dict[str, Any]]:
    text = (DATA / part.file).read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(Template(text).safe_substitute(part.values)) if d]


def objects(name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The CRDs and the other objects of scenario ``name`` (namespaces first)."""
    scenario = _definition(name)
    crds = []
    files = [CRDS / file for file in scenario.crds]
    if scenario.operator:  # the CRD the operator ships, as an operator install applies it
        files.append(operator_home(scenario.operator) / "config" / "backstages.crd.yaml")
    for path in files:
        crds += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    objs: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for part in scenario.parts:  # a later part's object is merged over an earlier one's
        for obj in _render(part):
            meta = obj["metadata"]
            key = (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])
            objs[key] = _merged(objs[key], obj) if key in objs else obj
    return crds, sorted(objs.values(), key=lambda o: 0 if o["kind"] == "Namespace" else 1)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` deep-merged into a copy of ``base`` (mappings merged, anything else replaced)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _definition(name: str) -> Scenario:
    try:
        return DEFINITIONS[name]
    except KeyError:
        known = ", ".join(DEFINITIONS)
        raise TestbedError(f"unknown scenario {name!r}; known: {known}") from None


def _check_absent(kube: Kube, scenario: Scenario) -> None:
    present = [
        crd
        for crd in scenario.absent_crds
        if kube.get_or_none(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}")
    ]
    if present:
        raise TestbedError(
            f"scenario {scenario.name} needs a cluster without {', '.join(present)}: "
            "load it into a fresh cluster"
        )


def load_one(cluster: Cluster, name: str) -> int:
    """Load scenario ``name`` into ``cluster``; return how many objects were written."""
    scenario = _definition(name)
    kube = cluster.kube()
    written = 0
    with step(f"load scenario {name} into {cluster.name}"):
        _check_absent(kube, scenario)
        crds, objs = objects(name)
        for crd in crds:
            written += kube.ensure(crd)
        for crd in crds:
            crd_name = crd["metadata"]["name"]
            wait_for(f"CRD {crd_name}", lambda n=crd_name: crd_established(kube, n), 60)
        for obj in objs:
            written += kube.ensure(obj)
        if scenario.operator:
            cluster.start_operator(scenario.operator, scenario.operator_images)
        if scenario.helm:
            written += _helm_install(cluster, scenario.helm)
        for namespace, workload, kind in scenario.rollouts:
            with step(f"wait for {kind} {namespace}/{workload} to roll out"):
                wait_for(
                    f"{kind} {namespace}/{workload} to roll out"
                    + (f" (operator log: {cluster.operator_log()})" if scenario.operator else ""),
                    lambda ns=namespace, w=workload, k=kind: rolled_out(kube, ns, w, k),
                    ROLLOUT_TIMEOUT,
                )
    LOG.info("scenario %s: %d object(s) written", name, written)
    return written


def _helm_install(cluster: Cluster, release: HelmRelease) -> int:
    """``helm install`` the real chart unless the release is deployed already (so a second load
    writes nothing); returns 1 when it installed."""
    status = cluster.helm("status", release.release, "--namespace", release.namespace, check=False)
    if status.returncode == 0:
        return 0
    with step(f"helm install {release.release} into {cluster.name}"):
        cluster.helm(
            "install", release.release, str(rhdh_chart()), "--namespace", release.namespace,
            "--values", str(DATA / release.values),
        )
    return 1


def upgrade_operator(cluster: Cluster, version: str, related_images: Mapping[str, str] | None = None) -> None:
    """Move the cluster's RHDH operator to ``version`` the way an operator upgrade does: that
    version's Backstage CRD first, then its operator in place of the running one (with the
    ``RELATED_IMAGE_*`` variables an OLM install gives it), which re-renders every Backstage from
    the new defaults."""
    kube = cluster.kube()
    with step(f"upgrade the RHDH operator of {cluster.name} to {version}"):
        paths = [operator_home(version) / "config" / "backstages.crd.yaml"]
        if version in OPENSHIFT_CONFIG_RELEASES:
            paths.append(CRDS / "apiserver.yaml")
        for path in paths:
            for crd in [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]:
                kube.ensure(crd)
                name = crd["metadata"]["name"]
                wait_for(f"CRD {name}", lambda n=name: crd_established(kube, n), 60)
        if version in OPENSHIFT_CONFIG_RELEASES:
            for obj in _render(Part("openshift-apiserver.yaml")):
                kube.ensure(obj)
        cluster.start_operator(version, related_images)


#: Where OLM installs the RHDH operator, and so where its ClusterServiceVersion is.
RHDH_OPERATOR_NS = "rhdh-operator"
CSV_CRD = "clusterserviceversion.yaml"
CSV_CRD_NAME = "clusterserviceversions.operators.coreos.com"
_CSV_VERSION = re.compile(r"\d+\.\d+\.\d+")


def rhdh_operator_csv(version: str, namespace: str = RHDH_OPERATOR_NS) -> Obj:
    """The RHDH operator's ClusterServiceVersion for release ``version`` (``2.0.0``) as OLM makes it
    in ``namespace``: ``rhdh-operator.v<version>``, the name the collection reads the release from."""
    if not _CSV_VERSION.fullmatch(version):
        raise TestbedError(f"an RHDH operator version is X.Y.Z (like 2.0.0), not {version!r}")
    (csv,) = _render(Part("rhdh-operator-csv.yaml", {"VERSION": version, "OPERATOR_NS": namespace}))
    return csv


def ensure_rhdh_operator_csv(cluster: Cluster, version: str, namespace: str = RHDH_OPERATOR_NS) -> bool:
    """Make the RHDH operator's ClusterServiceVersion for ``version`` exist in ``namespace`` (and the
    namespace, and the CRD, which the RHOAI scenarios load already); True if anything was written.
    Sends nothing when all of it is there."""
    csv = rhdh_operator_csv(version, namespace)
    kube = cluster.kube()
    with step(f"ClusterServiceVersion {namespace}/{csv['metadata']['name']} in {cluster.name}"):
        written = False
        for crd in [d for d in yaml.safe_load_all((CRDS / CSV_CRD).read_text(encoding="utf-8")) if d]:
            written |= kube.ensure(crd)
            name = crd["metadata"]["name"]
            wait_for(f"CRD {name}", lambda n=name: crd_established(kube, n), 60)
        written |= kube.ensure({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        written |= kube.ensure(csv)
    return written


def remove_rhdh_operator_csv(cluster: Cluster, version: str, namespace: str = RHDH_OPERATOR_NS) -> bool:
    """Delete the RHDH operator's ClusterServiceVersion for ``version`` from ``namespace`` and wait
    until it is gone; True if there was one. The namespace stays."""
    csv = rhdh_operator_csv(version, namespace)
    kube = cluster.kube()
    if not crd_established(kube, CSV_CRD_NAME):  # no CRD, no CSV (and no discovery wait for the kind)
        return False
    path = kube.path_of(csv)
    if kube.get_or_none(path) is None:
        return False
    with step(f"delete ClusterServiceVersion {namespace}/{csv['metadata']['name']} from {cluster.name}"):
        try:
            kube.request("DELETE", path)
        except ApiException as err:
            if err.status != 404:
                raise
        wait_for(f"ClusterServiceVersion {namespace}/{csv['metadata']['name']} to be gone",
                 lambda: kube.get_or_none(path) is None, 60)
    return True


def load(cluster: Cluster, *names: str) -> None:
    """Load every scenario in ``names`` (validated first) into ``cluster``."""
    for name in names:
        _definition(name)
    for name in names:
        load_one(cluster, name)
