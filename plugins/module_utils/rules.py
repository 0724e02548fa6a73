# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version and prerequisite rules: pure functions of facts read from the cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.sidecars import DEFAULT_DIGESTS, MAINTAINERS_DIGESTS

#: What differs per RHDH release, one row each (a new release is a new row; the steps read it):
#: - ``connector``: the connector the release needs. RHDH 1.11 was renamed 2.0: from 2.0 on, the
#:   kserve-kubeflow-connector-backend plugin replaces the three sidecars, and the model-catalog plugin
#:   has no ``baseUrl`` any more (plugin 0.11);
#: - ``served``: the Backstage CRD versions its operator serves (no conversion webhook between them);
#: - ``plugin_tags``: {plugin: tag} of the release's connector; 1.8 from Red Hat's guide, 1.9 and 1.10
#:   from the connector maintainers' demo repository, 2.0 from the export overlays' main branch
#:   (Backstage 1.52; ai-model-server 0.3.0 at least: older versions reject the built-in kinds and break
#:   sign-in);
#: - ``sidecar_digests``: the sidecars' images (module sidecars: where each set was read);
#: - ``cluster_rules``/``namespace_rules``: what the connector's ServiceAccount may do (module rbac).
SIDECAR_CONNECTOR = "sidecar"
PLUGIN_ONLY_CONNECTOR = "plugin-only"


def _tags(*pairs):
    # type: (*Tuple[str, str]) -> Dict[str, str]
    return dict(pairs)


_SIDECAR_RBAC = {"cluster_rules": rbac.CLUSTER_RULES, "namespace_rules": rbac.NAMESPACE_RULES}
_PLUGIN_ONLY_RBAC = {"cluster_rules": rbac.KSERVE_CLUSTER_RULES, "namespace_rules": []}
RELEASES = {
    "1.8": dict(_SIDECAR_RBAC, connector=SIDECAR_CONNECTOR, served=("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"),
                plugin_tags=_tags(("catalog-backend-module-model-catalog", "bs_1.42.5__0.7.0"),
                                  ("catalog-techdoc-url-reader-backend", "bs_1.42.5__0.3.0")),
                sidecar_digests=DEFAULT_DIGESTS),
    "1.9": dict(_SIDECAR_RBAC, connector=SIDECAR_CONNECTOR, served=("v1alpha3", "v1alpha4", "v1alpha5"),
                plugin_tags=_tags(("catalog-backend-module-model-catalog", "bs_1.45.3__0.9.0"),
                                  ("catalog-techdoc-url-reader-backend", "bs_1.45.3__0.5.0")),
                sidecar_digests=MAINTAINERS_DIGESTS),
    "1.10": dict(_SIDECAR_RBAC, connector=SIDECAR_CONNECTOR, served=("v1alpha4", "v1alpha5"),
                 plugin_tags=_tags(("catalog-backend-module-model-catalog", "bs_1.49.4__0.9.0"),
                                   ("catalog-techdoc-url-reader-backend", "bs_1.49.4__0.5.0")),
                 sidecar_digests=MAINTAINERS_DIGESTS),
    "2.0": dict(_PLUGIN_ONLY_RBAC, connector=PLUGIN_ONLY_CONNECTOR, served=("v1alpha4", "v1alpha5"),
                plugin_tags=_tags(("kserve-kubeflow-connector-backend", "bs_1.52.0__0.1.2"),
                                  ("catalog-backend-module-ai-model-server", "bs_1.52.0__0.3.0"),
                                  ("catalog-backend-module-model-catalog", "bs_1.52.0__1.0.1"),
                                  ("catalog-techdoc-url-reader-backend", "bs_1.52.0__0.6.1")),
                sidecar_digests={}),
}  # type: Dict[str, Dict[str, Any]]
PLUGIN_TAGS = {release: row["plugin_tags"] for release, row in RELEASES.items() if row.get("plugin_tags")}
SERVED_BACKSTAGE_VERSIONS = {release: row["served"] for release, row in RELEASES.items()}
#: Each connector's plugins, by short name.
CONNECTOR_PLUGINS = {SIDECAR_CONNECTOR: dp.CONNECTOR_PLUGINS, PLUGIN_ONLY_CONNECTOR: dp.PLUGIN_ONLY_PLUGINS}

MIN_RHOAI = (2, 20)
TECHDOCS_RHOAI = (2, 25)
PLATFORMS = {
    "OpenShift AI Self-Managed": "rhoai-self-managed",
    "OpenShift AI Cloud Service": "rhoai-cloud-service",
    "Open Data Hub": "odh",
}
DEFAULT_REGISTRIES_NAMESPACE = {"odh": "odh-model-registries"}
DEFAULT_APPLICATIONS_NAMESPACE = {"odh": "opendatahub"}
#: The releases whose plugin tags are known, oldest first.
KNOWN_RHDH = tuple(sorted(PLUGIN_TAGS, key=lambda v: tuple(int(p) for p in v.split("."))))
#: The releases of the sidecar connector, oldest first.
SIDECAR_MODE_RHDH = tuple(r for r in KNOWN_RHDH if RELEASES[r]["connector"] == SIDECAR_CONNECTOR)


def parse_version(text: Any) -> Optional[Tuple[int, ...]]:
    """``"2.25.0"``, ``"v2.25"``, ``"rhods-operator.v2.25.0"`` -> (2, 25, 0); None when there is none."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", str(text or ""))
    if not match:
        return None
    return tuple(int(p) for p in match.groups() if p is not None)


def platform_of(release_name: Any) -> str:
    """The platform key for a DSC/DSCI ``status.release.name``."""
    return PLATFORMS.get(str(release_name or ""), "unknown" if release_name else "none")


def is_rhoai(platform: str) -> bool:
    return platform.startswith("rhoai")


def verdict(check: str, status: str, msg: str) -> Dict[str, str]:
    return {"check": check, "status": status, "msg": msg}


def preflight_verdicts(facts: Dict[str, Any]) -> List[Dict[str, str]]:
    """Prerequisite verdicts (``ok``/``warn``/``fail``), each naming the object and the fix.

    ``facts`` is what ``rhoai_info`` gathers: platform, version, dsc (name), modelregistry_state,
    registries_namespace, registries (list of {name, route_hosts}), kserve, dashboard (dict or None),
    applications_namespace.
    """
    out = []  # type: List[Dict[str, str]]
    platform = facts.get("platform", "none")
    if platform == "none":
        return [verdict(
            "platform", "fail",
            "no DataScienceCluster or DSCInitialization with status.release found: Red Hat OpenShift AI 2.20+ "
            "(or Open Data Hub) must be installed before the connector; install the operator and create a "
            "DataScienceCluster",
        )]
    version = parse_version(facts.get("version"))
    label = "{0} {1}".format(facts.get("release_name") or platform, facts.get("version") or "(version unknown)")
    if platform == "unknown":
        out.append(verdict("platform", "warn", "unknown platform {0}; the checks below assume RHOAI".format(label)))
    else:
        out.append(verdict("platform", "ok", "{0} found".format(label)))
    if is_rhoai(platform) or platform == "unknown":
        if version is None:
            out.append(verdict("version", "warn", "the RHOAI version could not be read from status.release.version of "
                                                  "DataScienceCluster {0}".format(facts.get("dsc") or "")))
        elif version[:2] < MIN_RHOAI:
            out.append(verdict(
                "version", "fail",
                "{0} is older than {1}.{2}, the first release the connector supports; upgrade OpenShift AI to "
                "{1}.{2} or later".format(label, MIN_RHOAI[0], MIN_RHOAI[1]),
            ))
        elif version[:2] < TECHDOCS_RHOAI:
            out.append(verdict(
                "version", "warn",
                "{0} is older than {1}.{2}: models and servers reach the catalog, model cards do not reach "
                "TechDocs; upgrade to {1}.{2} for them".format(label, TECHDOCS_RHOAI[0], TECHDOCS_RHOAI[1]),
            ))
        else:
            out.append(verdict("version", "ok", "{0} supports every feature of the connector".format(label)))
    else:
        out.append(verdict("version", "ok", "{0}: version rules apply to RHOAI only".format(label)))
    out.append(_registry_verdict(facts))
    out.extend(_dashboard_verdicts(facts))
    if facts.get("kserve"):
        out.append(verdict("kserve", "ok", "CRD inferenceservices.serving.kserve.io exists"))
    else:
        out.append(verdict(
            "kserve", "fail",
            "CRD inferenceservices.serving.kserve.io is missing, so the rhoai-normalizer sidecar would crash-loop; "
            "set spec.components.kserve.managementState: Managed in the DataScienceCluster {0}".format(
                facts.get("dsc") or "default-dsc"),
        ))
    out.append(_registries_verdict(facts))
    return out


def _registry_verdict(facts: Dict[str, Any]) -> Dict[str, str]:
    state = facts.get("modelregistry_state")
    dsc = facts.get("dsc") or "default-dsc"
    if state == "Managed":
        return verdict("model_registry", "ok", "model registry component is Managed (registries in namespace {0})".format(
            facts.get("registries_namespace")))
    return verdict(
        "model_registry", "fail",
        "the model registry component of DataScienceCluster {0} is {1}, not Managed (clusters upgraded to 2.25 "
        "keep their old state); run: oc patch datasciencecluster {0} --type merge -p "
        "'{{\"spec\":{{\"components\":{{\"modelregistry\":{{\"managementState\":\"Managed\"}}}}}}}}'".format(
            dsc, state or "not set"),
    )


def _dashboard_verdicts(facts: Dict[str, Any]) -> List[Dict[str, str]]:
    dashboard = facts.get("dashboard")
    ns = facts.get("applications_namespace") or "redhat-ods-applications"
    where = "OdhDashboardConfig {0}/odh-dashboard-config".format(ns)
    if dashboard is None:
        return [verdict("dashboard", "warn", "{0} not found; the dashboard flags could not be checked".format(where))]
    out = []
    for flag in ("disableModelRegistry", "disableModelCatalog"):
        if dashboard.get(flag):
            out.append(verdict(
                "dashboard_" + flag, "warn",
                "{0} has spec.dashboardConfig.{1}: true, which hides model registries and the catalog in the "
                "dashboard; set it to false (the operator does not reconcile this object, so the change sticks)".format(
                    where, flag),
            ))
        else:
            out.append(verdict("dashboard_" + flag, "ok", "{0}: {1} is false".format(where, flag)))
    return out


def _registries_verdict(facts: Dict[str, Any]) -> Dict[str, str]:
    registries = facts.get("registries") or []
    ns = facts.get("registries_namespace")
    if not registries:
        return verdict("registries", "warn",
                       "no ModelRegistry in namespace {0}: nothing but the model catalog reaches RHDH until a registry "
                       "is created; re-run the collection afterwards to grant access to it".format(ns))
    without = [r["name"] for r in registries if not r.get("route_hosts")]
    if without:
        return verdict("registries", "warn",
                       "ModelRegistry {0} in namespace {1} has no Route with status.ingress, so the normalizer ignores "
                       "it; check its Route <name>-https".format(", ".join(without), ns))
    return verdict("registries", "ok", "{0} registr{1} in namespace {2}: {3}".format(
        len(registries), "y" if len(registries) == 1 else "ies", ns, ", ".join(r["name"] for r in registries)))


#: The guide's registry RoleBinding name, and its Open Data Hub spelling ("if using ODH then change
#: rhoai to odh in the name and namespace").
REGISTRY_BINDING = "rhdh-rhoai-dashboard-permissions"
ODH_REGISTRY_BINDING = "rhdh-odh-dashboard-permissions"


def registry_binding_prefix(prefix: str, platform: str) -> str:
    """The registry RoleBindings' name prefix: the guide's, spelt for the platform unless the user chose one."""
    if prefix == REGISTRY_BINDING and platform == "odh":
        return ODH_REGISTRY_BINDING
    return prefix


def failed(verdicts: List[Dict[str, str]]) -> List[Dict[str, str]]:
    return [v for v in verdicts if v["status"] == "fail"]


#: Version lines of Red Hat's RHDH chart (``backstage`` from rhdh-chart) by RHDH release. The chart
#: published on charts.openshift.io (``redhat-developer-hub``) follows the RHDH version itself. A line
#: not listed here names no release: it is not guessed.
RHDH_CHART_LINES = {(4, 5): "1.8"}
FIRST_CONNECTOR_RHDH = (1, 8)
_GIVEN_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][\w.]*)?$")
FIX_GIVE_VERSION = ("set rhoai_connector_rhdh_version to the RHDH release this cluster runs, quoted "
                    "(e.g. '1.10'; the rhdh_version option of the modules)")


def _release_key(version: Tuple[int, ...]) -> Tuple[int, int]:
    return version[0], version[1]


def connector_of(release: Optional[str]) -> Optional[str]:
    """The connector an RHDH release needs (``sidecar`` or ``plugin-only``); None for no release.

    A release missing from ``RELEASES`` is placed by its number: newer than the last sidecar release
    means the plugin-only connector (RHDH 2.x), which is all that is known of releases to come."""
    if not release:
        return None
    if release in RELEASES:
        return RELEASES[release]["connector"]
    version = parse_version(release)
    last_sidecar = max(parse_version(r) for r, row in RELEASES.items() if row["connector"] == SIDECAR_CONNECTOR)
    if version and _release_key(version) > _release_key(last_sidecar):
        return PLUGIN_ONLY_CONNECTOR
    return SIDECAR_CONNECTOR


def normalize_rhdh_version(value: Any) -> Optional[str]:
    """A given RHDH release as ``major.minor`` (``1.8.2`` -> ``1.8``, ``1.10.0`` -> ``1.10``); None when unset.

    A number is refused: an unquoted ``1.10`` in YAML is the float 1.1, and RHDH 1.1 is older than
    any release the connector supports, so ``1.1`` is refused with the hint to quote the value.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    match = _GIVEN_VERSION.match(text)
    if not match:
        raise ConnectorError(
            "the RHDH version {0!r} is not a release number".format(value),
            fix="set rhoai_connector_rhdh_version to one of {0} (quoted), or leave it empty to detect it".format(
                ", ".join(KNOWN_RHDH)))
    major, minor = int(match.group(1)), int(match.group(2))
    if (major, minor) < FIRST_CONNECTOR_RHDH:
        hint = ""
        if minor < 10 and (major, minor * 10) >= FIRST_CONNECTOR_RHDH:
            hint = ("; an unquoted {0}.{1}0 in YAML is read as the number {0}.{1}: quote it "
                    "(rhoai_connector_rhdh_version: '{0}.{1}0')".format(major, minor))
        raise ConnectorError(
            "the RHDH version {0} is older than {1}.{2}, the first release the connector supports{3}".format(
                text, FIRST_CONNECTOR_RHDH[0], FIRST_CONNECTOR_RHDH[1], hint),
            fix="give the release as a quoted string: one of {0}".format(", ".join(KNOWN_RHDH)))
    return "{0}.{1}".format(major, minor)


def _release_of(text: Any) -> Optional[str]:
    """``major.minor`` of the first version number in ``text``, any major (1.10, 2.0, 3.1); None for none."""
    version = parse_version(text)
    return "{0}.{1}".format(version[0], version[1]) if version else None


def rhdh_version_from(image: Any = None, chart: Any = None, csv: Any = None) -> Optional[str]:
    """The release (``"1.8"``, ``"2.0"``) from an RHDH image tag (``rhdh-hub-rhel9:1.8``,
    ``rhdh:next-1.10``, ``rhdh:2.0``), the RHDH chart's name-version (``backstage-4.5.16``,
    ``redhat-developer-hub-2.0.0``) or an operator CSV name (``rhdh-operator.v2.0.0``); None when the
    source names no release: an image pinned by digest has no tag, ``next`` or ``latest`` move from
    release to release, and a ``backstage`` chart line not in ``RHDH_CHART_LINES`` is not guessed."""
    if image:
        tag = str(image).split("@", 1)[0].rpartition("/")[2].partition(":")[2]
        release = _release_of(tag)
        if release:
            return release
    if chart:
        name, _sep, number = str(chart).rpartition("-")
        version = parse_version(number)
        if version and name == "backstage":
            return RHDH_CHART_LINES.get(version[:2])
        if version and name == "redhat-developer-hub":
            return _release_of(number)
    if csv:
        return _release_of(csv)
    return None


def releases_serving(served: Any) -> List[str]:
    """The RHDH releases whose Backstage CRD serves exactly ``served`` (v1alpha4+v1alpha5: 1.10 and 2.0)."""
    have = set(served or [])
    return [release for release, versions in SERVED_BACKSTAGE_VERSIONS.items() if have and have == set(versions)]


def rhdh_version_from_served(served: Any) -> Optional[str]:
    """The one RHDH release whose Backstage CRD serves exactly ``served``; None when none or several do
    (a set that fits two releases tells neither)."""
    fits = releases_serving(served)
    return fits[0] if len(fits) == 1 else None


def _csv_releases(csvs: Any) -> List[Tuple[str, str]]:
    """(release, "ClusterServiceVersion ns/name") of each RHDH operator CSV whose name has a version."""
    out = []  # type: List[Tuple[str, str]]
    for namespace, name in csvs or ():
        release = rhdh_version_from(csv=name)
        if release:
            out.append((release, "ClusterServiceVersion {0}/{1}".format(namespace, name)))
    return out


def read_rhdh_version(image: Any = None, csvs: Any = (), served: Any = None,
                      chart: Any = None) -> Tuple[Optional[str], str]:
    """(release, the source that decided it) from what the cluster says, in order: the workload image's
    tag, the RHDH operator's ClusterServiceVersion, the served Backstage versions (only when exactly one
    release serves them), the RHDH chart's version (Helm). A source that cannot tell is no source: the
    release is None when none tells it, and the text then lists what was read and why it did not tell.

    ``csvs`` are ``(namespace, name)`` pairs; ``chart`` is ``(name-version, where)`` of the RHDH chart.
    """
    tried = []
    if image:
        release = rhdh_version_from(image=image)
        if release:
            return release, "the tag of image {0}".format(image)
        tried.append("image {0} has no release tag".format(image))
    found = _csv_releases(csvs)
    if len({release for release, _where in found}) == 1:
        return found[0][0], found[0][1]
    if found:
        tried.append("the RHDH operator's ClusterServiceVersions disagree ({0})".format(
            ", ".join("{0} says {1}".format(where, release) for release, where in found)))
    if served is not None:
        fits = releases_serving(served)
        listed = ", ".join(served) or "none"
        if len(fits) == 1:
            return fits[0], "the served Backstage versions ({0})".format(listed)
        if not found:
            tried.append("no RHDH operator ClusterServiceVersion readable")
        if fits:
            tried.append("the served Backstage versions {0} fit RHDH {1} alike".format(listed, " and ".join(fits)))
        else:
            tried.append("the served Backstage versions {0} fit no known release".format(listed))
    if chart:
        release = rhdh_version_from(chart=chart[0])
        if release:
            return release, "the RHDH chart {0} ({1})".format(chart[0], chart[1])
        tried.append("chart {0} names no RHDH release this collection knows".format(chart[0]))
    return None, "; ".join(tried) or "nothing to read it from"


def detect_rhdh_version(given: Any = None, image: Any = None, csvs: Any = (), served: Any = None,
                        chart: Any = None) -> Tuple[Optional[str], str]:
    """(release, where it came from): the given release (``rhoai_connector_rhdh_version``) where the
    cluster's own sources agree with it or cannot tell, else what the cluster says (``read_rhdh_version``).

    The user's word stands over a source of the same connector (a mirrored image with a tag of its
    own, say); a given release whose connector differs from the one the cluster's release needs is a
    mistake that would install the wrong connector, so it is refused (ConnectorError naming both).
    """
    version = normalize_rhdh_version(given)
    read, source = read_rhdh_version(image, csvs, served, chart)
    if not version:
        return read, source
    said = "given (rhoai_connector_rhdh_version {0})".format(given)
    if read is None or read == version:
        return version, said
    if connector_of(read) != connector_of(version):
        raise ConnectorError(
            "rhoai_connector_rhdh_version says RHDH {0}, which takes the {1} connector, but {2} says RHDH {3}, "
            "which takes the {4} connector".format(version, connector_of(version), source, read, connector_of(read)),
            fix="leave rhoai_connector_rhdh_version empty to use the release the cluster names, or correct it "
                "(or the source that is wrong)")
    return version, "{0}; {1} says {2}".format(said, source, read)


def plugin_tags(rhdh_version: Optional[str], explicit: Optional[Dict[str, str]] = None,
                source: Optional[str] = None) -> Dict[str, str]:
    """{plugin: tag} of the connector an RHDH release needs (``RELEASES``), or the explicit ones, which
    must name every plugin of that connector; a clear error when neither fits. Tags alone do not say
    which connector a release needs, so no release is refused whatever the tags."""
    if not rhdh_version:
        raise ConnectorError(
            "the RHDH release could not be told ({0})".format(source or "from the workload's image, the operator or the chart"),
            fix=FIX_GIVE_VERSION)
    connector = connector_of(rhdh_version)
    plugins = CONNECTOR_PLUGINS[connector]
    if explicit:
        missing = [name for name in plugins if not explicit.get(name)]
        if missing:
            raise ConnectorError(
                "plugin tags given for {0} but not for {1}, which the {2} connector of RHDH {3} needs".format(
                    ", ".join(sorted(set(explicit) - set(missing))) or "no plugin", ", ".join(missing), connector,
                    rhdh_version),
                fix="give a tag for each of {0} in rhoai_connector_plugin_tags".format(", ".join(plugins)),
            )
        return {name: explicit[name] for name in plugins}
    if rhdh_version not in PLUGIN_TAGS:
        raise ConnectorError(
            "RHDH {0} ({1}) takes the {2} connector, but its plugin tags are not known to this version of the "
            "collection (known: {3})".format(rhdh_version, source or "given", connector, ", ".join(KNOWN_RHDH)),
            fix="give a tag for each of {0} in rhoai_connector_plugin_tags (the tags of the rhdh-plugin-export-overlays "
                "branch of that release)".format(", ".join(plugins)))
    return dict(PLUGIN_TAGS[rhdh_version])


def release_rbac(rhdh_version: Optional[str], connector: Optional[str] = None) -> Dict[str, List[Dict[str, Any]]]:
    """The connector's RBAC rules for a release (``cluster_rules``, ``namespace_rules``); by connector
    when the release is not in the table."""
    row = RELEASES.get(rhdh_version or "")
    if row is None:
        row = _PLUGIN_ONLY_RBAC if (connector or connector_of(rhdh_version)) == PLUGIN_ONLY_CONNECTOR else _SIDECAR_RBAC
    return {"cluster_rules": row["cluster_rules"], "namespace_rules": row["namespace_rules"]}


def sidecar_digests(rhdh_version: Optional[str]) -> Dict[str, str]:
    """The sidecars' image digests for an RHDH release of the sidecar connector ({} for any other)."""
    return dict((RELEASES.get(rhdh_version or "") or {}).get("sidecar_digests") or {})
