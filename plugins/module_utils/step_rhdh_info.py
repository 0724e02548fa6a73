# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_info's work: find RHDH, its install type, version and the plugin tags that fit it;
with ``preflight``, every check that a later step of the connector could refuse on, read-only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import hub as hub_rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh, rules, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhoai_info
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import StepResult, describe
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService
from ansible_collections.rhdh.ai_connector.plugins.module_utils import catalog_rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.step_rhdh_sidecar_patch import (
    HELM_HUB, HELM_HUB_FIX, HELM_PLUGIN_ONLY, HELM_PLUGIN_ONLY_FIX, app_config_problems, patch_containers, pod_problems)

#: Helm installs: a pod annotation that changes with the plugin list (the chart's checksum does not).
PLUGINS_ANNOTATION = "rhdh.ai-connector/plugins"


def plugins_annotation(packages):
    # type: (List[str]) -> str
    return hashlib.sha256(",".join(packages).encode("utf-8")).hexdigest()[:16]


def plugin_identities(registry):
    # type: (str) -> List[str]
    """Both connectors' plugins by their tag-less identity (any release's tags match them): what is
    disabled or removed when the release, and so its tags, is not known."""
    return ["oci://{0}/red-hat-developer-hub-backstage-plugin-{1}:latest!red-hat-developer-hub-backstage-plugin-{1}".format(
        registry, name) for name in dp.ALL_CONNECTOR_PLUGINS]


def catalog_rules_plan(mod, info, workload, app_config):
    # type: (Any, Dict[str, Any], Any, Tuple[str, str, str]) -> Tuple[Any, List[ConnectorError]]
    """The ``catalog.rules`` the plugin-only connector's file must set, and the refusals: a file that
    cannot be read, or one read after the connector's that sets rules without its kind."""
    found = rhdh.app_config_documents(mod, workload, info["plugins_configmap"], app_config[:2])
    rules_wanted, source, blocking = catalog_rules.plan(found["files"], found["ours"], found["ours_at"])
    problems = list(found["problems"])
    for name, _rules in blocking:
        problems.append(ConnectorError(
            "{0} is read after the connector's app-config and sets catalog.rules without kind {1}, which the "
            "connector's model servers are; with it the catalog would drop them".format(name, catalog_rules.KIND),
            fix="add {0} to that catalog.rules (- allow: [{0}]), or remove catalog.rules from it: the connector's "
                "file keeps the rules found before it".format(catalog_rules.KIND)))
    info["catalog_rules_source"] = source
    return yaml_text.plain(rules_wanted), problems


def plugins_configmap_of(info, given):
    # type: (Dict[str, Any], str | None) -> str
    """The user's plugin ConfigMap: the one the CR names, else the one to create (operator installs);
    ``<release>-dynamic-plugins`` (Helm installs)."""
    if info["install_type"] == "operator":
        return info["dynamic_plugins_configmap"] or given or "{0}-dynamic-plugins".format(info["name"])
    return info["dynamic_plugins_configmap"]


def plugin_document_problems(mod, namespace, name, key):
    # type: (Any, str, str, str) -> List[ConnectorError]
    live = mod.get("v1", "ConfigMap", name, namespace)
    where = describe("ConfigMap", name, namespace)
    if live is None:
        return []
    try:
        dp.validate(yaml_text.load((live.get("data") or {}).get(key, ""), "{0} key {1}".format(where, key)),
                    "{0} key {1}".format(where, key))
    except ConnectorError as err:
        return [err]
    return []


def operator_problems(mod, info, state, metrics_port, app_config):
    # type: (Any, Dict[str, Any], str, int, Tuple[str, str, str]) -> List[ConnectorError]
    plugin_only = info["rhdh_connector"] == rules.PLUGIN_ONLY_CONNECTOR
    ns, name = info["namespace"], info["name"]
    where = describe("Backstage", name, ns)
    cr = mod.get(info["backstage"]["api_version"], "Backstage", name, ns)
    problems = []  # type: List[ConnectorError]
    plugins = info["plugins_configmap"]
    if plugins == info["operator_plugins_configmap"]:
        problems.append(ConnectorError(
            "{0} names the operator-owned ConfigMap {1} as its user plugin ConfigMap".format(where, plugins),
            fix="point spec.application.dynamicPluginsConfigMapName at a ConfigMap of your own; the operator overwrites {0}".format(plugins)))
    else:
        problems += plugin_document_problems(mod, ns, plugins, dp.CONFIG_KEY)
    deployment = (cr.get("spec") or {}).get("deployment")
    if deployment is not None and not isinstance(deployment, dict):
        problems.append(ConnectorError("{0}: spec.deployment must be a mapping, found a {1}".format(
            where, type(deployment).__name__), fix="make spec.deployment a mapping (kind, patch)"))
        return problems
    try:
        sc.apply_operator_patch((deployment or {}).get("patch"), [], "present" if state == "present" else "absent", where)
    except ConnectorError as err:
        problems.append(err)
        return problems
    if state == "present":
        workload = rhdh.workload_of_cr(mod, cr)
        on = describe(workload["kind"], workload["metadata"]["name"], ns) if workload else where
        if plugin_only:  # no sidecars: only the app-config file must find its place
            problems += app_config_problems(on, rhdh.pod_spec(workload), app_config)
            info["catalog_rules"], more = catalog_rules_plan(mod, info, workload, app_config)
            problems += more
        else:
            problems += pod_problems(on, rhdh.pod_spec(workload), patch_containers(cr), metrics_port, app_config)
    return problems


def helm_problems(mod, info, state, metrics_port, app_config):
    # type: (Any, Dict[str, Any], str, int, Tuple[str, str, str]) -> List[ConnectorError]
    ns = info["namespace"]
    name = info["plugins_configmap"]
    problems = []  # type: List[ConnectorError]
    if state == "present" and info["rhdh_connector"] == rules.PLUGIN_ONLY_CONNECTOR:
        where = describe("Deployment", info["workload"]["name"], ns)
        problems.append(ConnectorError(HELM_PLUGIN_ONLY.format(where), fix=HELM_PLUGIN_ONLY_FIX))
    if mod.get("v1", "ConfigMap", name, ns) is None:
        if state == "present":
            problems.append(ConnectorError("{0} not found".format(describe("ConfigMap", name, ns)),
                                           fix="check the Helm release: its chart makes <release>-dynamic-plugins"))
    else:
        problems += plugin_document_problems(mod, ns, name, dp.CONFIG_KEY)
    if state == "present":
        workload = info["workload"]
        live = mod.get("apps/v1", "Deployment", workload["name"], ns)
        problems += pod_problems(describe("Deployment", workload["name"], ns), rhdh.pod_spec(live), [], metrics_port,
                                 app_config)
    return problems


def refusals(mod, info, state, metrics_port, app_config):
    # type: (Any, Dict[str, Any], str, int, Tuple[str, str, str]) -> List[str]
    """Every reason the connector could not be set to ``state`` on this RHDH, each naming the object and
    the fix; read-only (what a later step would refuse on, asked before any step writes). ``app_config``
    is the connector's app-config ConfigMap, key and volume name."""
    problems = []  # type: List[Any]
    if state == "present" and info["plugin_tags"] is None:
        problems.append(info["plugin_tags_error"])
    if info["install_type"] == "operator":
        problems += operator_problems(mod, info, state, metrics_port, app_config)
    else:
        problems += helm_problems(mod, info, state, metrics_port, app_config)
    return [str(problem) for problem in problems]


def hub_refusals(mod, info, state, hub):
    # type: (Any, Dict[str, Any], str, Dict[str, Any]) -> List[str]
    """Hub and spoke (OpenShift AI on another cluster): the URL RHDH's pod is to read it at, the install (the sidecar
    connector reads another cluster on operator installs only here), and a second OpenShift AI cluster for this RHDH
    (the collection's copy of the token records the first one's URL)."""
    if state == "absent":
        return []
    problems = [str(p) for p in hub_rules.url_problems(hub["rhoai_url"], hub["rhoai_url_reachable"])]
    if info["rhdh_connector"] == rules.SIDECAR_CONNECTOR and info["install_type"] != "operator":
        where = describe("Deployment", (info.get("workload") or {}).get("name", ""), info["namespace"])
        problems.append(str(ConnectorError(HELM_HUB.format(where), fix=HELM_HUB_FIX)))
    if state == "present":
        copy = mod.get("v1", "Secret", hub["token_secret"], info["namespace"])
        second = hub_rules.second_spoke_problem(copy, hub["rhoai_url"])
        if second is not None:
            problems.append(str(second))
    return problems


def rhdh_info(svc: K8sService, *, namespace: str, name: Optional[str], install_type: str, rhdh_version: Optional[str],
              plugin_tags: Optional[Dict[str, str]], plugin_registry: str, plugins_configmap: Optional[str],
              preflight: Optional[str], metrics_port: int, app_config_configmap: str, app_config_key: str,
              rhoai: Optional[Dict[str, Any]], hub: Optional[Dict[str, Any]]) -> StepResult:
    """Find RHDH, its release and the plugin tags that fit it; with ``preflight``, every refusal of the
    connector's steps for that state; with ``rhoai``, OpenShift AI's facts and verdicts too (``rhoai_info``
    in this process: the role's preflight is one task)."""
    rules.normalize_rhdh_version(rhdh_version)  # a bad version is refused before any request
    facts = None if rhoai is None else step_rhoai_info.gather(
        svc, rhoai.get("datasciencecluster"), rhoai.get("registries_namespace"))
    try:
        info = rhdh.find(svc, namespace, name, install_type, rhdh_version)
    except ConnectorError as err:
        if facts is not None:  # the report still shows what was found of OpenShift AI
            err.partial = {"rhoai": facts}
        raise
    if facts is not None:
        info["rhoai"] = facts
    try:
        if info["rhdh_version_error"]:
            raise ConnectorError(info["rhdh_version_error"])
        info["plugin_tags"] = rules.plugin_tags(info["rhdh_version"], plugin_tags, info["rhdh_version_source"])
        info["plugin_packages"] = dp.connector_packages(info["plugin_tags"], plugin_registry)
    except ConnectorError as err:
        info["plugin_tags"] = None
        info["plugin_packages"] = []
        info["plugin_tags_error"] = str(err)
    info["sidecar_digests"] = rules.sidecar_digests(info["rhdh_version"])
    info["catalog_rules"] = None
    info["plugin_identities"] = plugin_identities(plugin_registry)
    info["plugins_configmap"] = plugins_configmap_of(info, plugins_configmap)
    info["pod_annotations"] = {} if info["install_type"] == "operator" else {
        PLUGINS_ANNOTATION: plugins_annotation(info["plugin_packages"] or info["plugin_identities"])}
    app_config = (app_config_configmap, app_config_key, app_config_configmap)
    info["refusals"] = refusals(svc, info, preflight, metrics_port, app_config) if preflight else []
    if preflight and hub:
        info["refusals"] += hub_refusals(svc, info, preflight, hub)
    return StepResult(**info)


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    name=dict(type="str"),
    install_type=dict(type="str", choices=["auto", "operator", "helm"], default="auto"),
    rhdh_version=dict(type="str"),
    plugin_tags=dict(type="dict"),
    plugin_registry=dict(type="str", default=dp.EXPORT_OVERLAYS),
    plugins_configmap=dict(type="str"),
    preflight=dict(type="str", choices=["present", "disabled", "absent"]),
    metrics_port=dict(type="int", default=sc.DEFAULT_METRICS_PORT),
    app_config_configmap=dict(type="str", default="rhdh-rhoai-connector-app-config"),
    app_config_key=dict(type="str", default=ac.CONFIG_KEY, no_log=False),
    rhoai=dict(type="dict", options=dict(
        datasciencecluster=dict(type="str"),
        registries_namespace=dict(type="str"),
    )),
    hub=dict(type="dict", options=dict(
        rhoai_url=dict(type="str", required=True),
        rhoai_url_reachable=dict(type="bool", default=False),
        token_secret=dict(type="str", required=True, no_log=False),
    )),
)
MODULE_OPTIONS = {}  # type: dict
