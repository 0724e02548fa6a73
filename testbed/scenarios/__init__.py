"""Named cluster states ("scenarios") the collection's tests start from.

A scenario is a list of CRD files (``testbed/crds``) and data files (``data/``, YAML with
``${VAR}`` placeholders filled per scenario), plus what to wait for. Loading applies every object
with server-side apply (field manager ``testbed``) and sends nothing for objects that already
match, so loading twice writes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import TestbedError
from ..kube import Kube, crd_established, rolled_out, wait_for
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
RHOAI_CRD_NAMES = (
    "dscinitializations.dscinitialization.opendatahub.io",
    "datascienceclusters.datasciencecluster.opendatahub.io",
    "modelregistries.modelregistry.opendatahub.io",
    "odhdashboardconfigs.opendatahub.io",
    "inferenceservices.serving.kserve.io",
)
KSERVE_CRD = "inferenceservices.serving.kserve.io"


@dataclass(frozen=True)
class Part:
    """One data file and the values of its ``${VAR}`` placeholders."""

    file: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """What a scenario loads and waits for."""

    name: str
    description: str
    crds: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    absent_crds: tuple[str, ...] = ()
    operator: str | None = None
    rollouts: tuple[tuple[str, str], ...] = ()


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
    **overrides: str,
) -> Scenario:
    values = _rhoai_values(**overrides)
    parts = [Part("rhoai-platform.yaml", values)]
    if registries:
        parts.append(Part("model-registries-namespace.yaml", values))
        parts += [Part("model-registry.yaml", {**values, "REGISTRY": r}) for r in registries]
    crds = RHOAI_CRDS + (("inferenceservice.yaml",) if kserve else ())
    return Scenario(
        name=name,
        description=description,
        crds=crds,
        parts=tuple(parts),
        absent_crds=() if kserve else (KSERVE_CRD,),
    )


def _fill_plugins_checksum(docs: list[dict[str, Any]]) -> None:
    """Set the pod annotation checksum/dynamic-plugins as the Helm chart does (sha256 of the
    rendered plugin configuration), where a document asks for it with ${PLUGINS_CHECKSUM}."""
    plugins = [
        d["data"]["dynamic-plugins.yaml"]
        for d in docs
        if d["kind"] == "ConfigMap" and "dynamic-plugins.yaml" in d.get("data", {})
    ]
    for doc in docs:
        annotations = (
            doc.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {})
        )
        if annotations.get("checksum/dynamic-plugins") == "${PLUGINS_CHECKSUM}" and plugins:
            annotations["checksum/dynamic-plugins"] = hashlib.sha256(plugins[0].encode()).hexdigest()


def _rhdh_operator(name: str, description: str, release: str, plugins_cm: bool = True) -> Scenario:
    api = {"1.8": "v1alpha4", "1.10": "v1alpha5"}[release]
    parts = [Part("rhdh-operator-user.yaml")]
    if plugins_cm:
        parts.append(Part("rhdh-operator-plugins.yaml"))
    cr = "backstage-cr.yaml" if plugins_cm else "backstage-cr-no-plugins-cm.yaml"
    parts.append(Part(cr, {"BACKSTAGE_API": api}))
    return Scenario(
        name=name,
        description=description,
        crds=(f"backstage-rhdh-{release}.yaml",),
        parts=tuple(parts),
        operator=release,
        rollouts=(("ai-rhdh", "backstage-developer-hub"),),
    )


_ALL = (
    _rhoai(
        "rhoai-2.25",
        "RHOAI 2.25 self-managed, healthy: model registry Managed with two registries, catalog, KServe",
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
        "RHDH 1.8 operator (stand-in) with Backstage CR developer-hub (v1alpha4) and user content",
        "1.8",
    ),
    _rhdh_operator(
        "rhdh-operator-1.10",
        "RHDH 1.10 operator (stand-in, adds lightspeed-core) with CR developer-hub (v1alpha5)",
        "1.10",
    ),
    _rhdh_operator(
        "rhdh-operator-1.8-no-plugins-cm",
        "RHDH 1.8 operator (stand-in), CR developer-hub names no dynamic-plugins ConfigMap",
        "1.8",
        plugins_cm=False,
    ),
    Scenario(
        name="rhdh-helm",
        description="RHDH 1.8 installed by Helm: release rhdh in ai-rhdh, Deployment rhdh-developer-hub",
        parts=(Part("rhdh-helm.yaml"),),
        rollouts=(("ai-rhdh", "rhdh-developer-hub"),),
    ),
)
DEFINITIONS: dict[str, Scenario] = {s.name: s for s in _ALL}
SCENARIOS: dict[str, str] = {s.name: s.description for s in _ALL}


def _render(part: Part) -> list[dict[str, Any]]:
    text = (DATA / part.file).read_text(encoding="utf-8")
    docs = [d for d in yaml.safe_load_all(Template(text).safe_substitute(part.values)) if d]
    _fill_plugins_checksum(docs)
    return docs


def objects(name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The CRDs and the other objects of scenario ``name`` (namespaces first)."""
    scenario = _definition(name)
    crds = []
    for file in scenario.crds:
        crds += [d for d in yaml.safe_load_all((CRDS / file).read_text(encoding="utf-8")) if d]
    objs = [obj for part in scenario.parts for obj in _render(part)]
    objs.sort(key=lambda o: 0 if o["kind"] == "Namespace" else 1)
    return crds, objs


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
            cluster.start_operator(scenario.operator)
        for namespace, deployment in scenario.rollouts:
            with step(f"wait for {namespace}/{deployment} to roll out"):
                wait_for(
                    f"Deployment {namespace}/{deployment} to roll out"
                    + (f" (stand-in log: {cluster.operator_log()})" if scenario.operator else ""),
                    lambda ns=namespace, d=deployment: rolled_out(kube, ns, d),
                    ROLLOUT_TIMEOUT,
                )
    LOG.info("scenario %s: %d object(s) written", name, written)
    return written


def load(cluster: Cluster, *names: str) -> None:
    """Load every scenario in ``names`` (validated first) into ``cluster``."""
    for name in names:
        _definition(name)
    for name in names:
        load_one(cluster, name)
