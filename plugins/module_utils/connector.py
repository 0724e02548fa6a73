# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole connector in one process: preflight, RBAC, token, plugins, app-config, sidecars,
legacy clean-up, verification (or the uninstall), as module ``connector`` and role
``rhoai_connector`` run it.

Each step is the work of one of the collection's modules (``step_*``), given the parameters that
module would get. The steps share one client and what it read: a run pays for Python and the
kubernetes client once, and reads each object once until it writes (see ``k8s_io``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import (
    step_rhdh_app_config,
    step_rhdh_connector_objects,
    step_rhdh_connector_token,
    step_rhdh_connector_verify,
    step_rhdh_dynamic_plugins,
    step_rhdh_info,
    step_rhdh_sidecar_patch,
    step_rhoai_info,
)
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.report import report_lines
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import LABELS, MANAGED_BY, StepModule, describe, owned

RBAC = "rbac.authorization.k8s.io/v1"
PLUGIN_NAMES = ("catalog-backend-module-model-catalog", "catalog-techdoc-url-reader-backend")
PLUGINS_ANNOTATION = "rhdh.ai-connector/plugins"
#: The guide's registry RoleBinding: Role registry-user-<registry> bound to every ServiceAccount of RHDH's namespace.
GUIDE_REGISTRY_BINDING = "rhdh-rhoai-dashboard-permissions"
REGISTRY_ROLE_PREFIX = "registry-user-"
STORAGE_CACHE = "bac-import-model"

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

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["present", "disabled", "absent"], default="present"),
    report_only=dict(type="bool", default=False),
    namespace=dict(type="str", default="ai-rhdh"),
    name=dict(type="str"),
    install_type=dict(type="str", choices=["auto", "operator", "helm"], default="auto"),
    rhdh_version=dict(type="str"),
    plugin_tags=dict(type="dict"),
    plugin_registry=dict(type="str", default=dp.EXPORT_OVERLAYS),
    plugins_configmap=dict(type="str"),
    datasciencecluster=dict(type="str"),
    registries_namespace=dict(type="str"),
    registries=dict(type="list", elements="str", default=[]),
    registry_subject=dict(type="str", choices=["serviceaccount", "group"], default="serviceaccount"),
    service_account=dict(type="str", default="rhdh-rhoai-connector"),
    token_secret=dict(type="str", default="rhdh-rhoai-connector-token", no_log=False),
    cluster_role=dict(type="str", default="rhdh-rhoai-connector"),
    role=dict(type="str", default="rhdh-rhoai-connector"),
    registry_rolebinding=dict(type="str", default="rhdh-rhoai-dashboard-permissions"),
    cluster_rules=dict(type="list", elements="dict"),
    namespace_rules=dict(type="list", elements="dict"),
    gitops_sync_wave=dict(type="str", default="0"),
    labels=dict(type="dict", default={}),
    app_config_configmap=dict(type="str", default="rhdh-rhoai-connector-app-config"),
    provider_id=dict(type="str", default="development"),
    base_url=dict(type="str", default="http://localhost:9090"),
    image_registry=dict(type="str", default=sc.DEFAULT_REGISTRY),
    image_digests=dict(type="dict", default={}),
    images=dict(type="dict", default={}),
    image_pull_policy=dict(type="str", default="IfNotPresent", choices=["Always", "IfNotPresent", "Never"]),
    metrics_port=dict(type="int", default=sc.DEFAULT_METRICS_PORT),
    sidecar_env=dict(type="dict", default={}),
    sidecar_resources=dict(type="dict", default={}),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=300),
    verify=dict(type="bool", default=True),
    migrate_legacy=dict(type="bool", default=True),
    legacy_name=dict(type="str", default="rhdh-rhoai-bridge"),
    remove_storage_cache=dict(type="bool", default=False),
)


# ----- pure helpers: what the steps are given -----
def step_params(spec: Dict[str, Any], **given: Any) -> Dict[str, Any]:
    """A step's parameters as its module would see them: the defaults of ``spec``, then ``given``."""
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise ValueError("not options of the step: {0}".format(", ".join(unknown)))
    params = {key: copy.deepcopy(option.get("default")) for key, option in spec.items()}
    params.update(given)
    return params


def default_packages(registry: str) -> List[str]:
    """The connector's plugins by their tag-less identity (any release's tags match them)."""
    return ["oci://{0}/red-hat-developer-hub-backstage-plugin-{1}:latest!red-hat-developer-hub-backstage-plugin-{1}".format(
        registry, name) for name in PLUGIN_NAMES]


def plugins_annotation(packages: List[str]) -> str:
    """Helm installs: a pod annotation that changes with the plugin list (the chart's checksum does not)."""
    return hashlib.sha256(",".join(packages).encode("utf-8")).hexdigest()[:16]


def rbac_definitions(p: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The connector's ServiceAccount, ClusterRole/Binding and Role/Binding."""
    ns = p["namespace"]
    subjects = [{"kind": "ServiceAccount", "name": p["service_account"], "namespace": ns}]
    wave = {"argocd.argoproj.io/sync-wave": p["gitops_sync_wave"]} if p["gitops_sync_wave"] else {}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": p["service_account"], "namespace": ns}},
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": p["cluster_role"], "annotations": wave},
         "rules": p["cluster_rules"]},
        {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": p["cluster_role"]},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": p["cluster_role"]},
         "subjects": copy.deepcopy(subjects)},
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": p["role"], "namespace": ns}, "rules": p["namespace_rules"]},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": p["role"], "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": p["role"]},
         "subjects": copy.deepcopy(subjects)},
    ]


def registry_bindings(p: Dict[str, Any], registries: List[str], namespace: Optional[str]) -> List[Dict[str, Any]]:
    """One RoleBinding per model registry to the registry operator's ``registry-user-<name>`` Role."""
    if not namespace:
        return []
    if p["registry_subject"] == "group":
        subjects = [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:" + p["namespace"]}]
    else:
        subjects = [{"kind": "ServiceAccount", "name": p["service_account"], "namespace": p["namespace"]}]
    return [{"apiVersion": RBAC, "kind": "RoleBinding",
             "metadata": {"name": "{0}-{1}".format(p["registry_rolebinding"], name), "namespace": namespace},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "registry-user-" + name},
             "subjects": copy.deepcopy(subjects)} for name in registries]


def namespace_group(namespace: str) -> str:
    """The Group of every ServiceAccount of ``namespace`` (what the guide binds the registry Role to)."""
    return "system:serviceaccounts:" + namespace


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


def group_wide_binding(live: Optional[Dict[str, Any]], namespace: str) -> bool:
    """Whether ``live`` is the guide's binding made by hand: a registry Role for the whole Group of ``namespace``."""
    if live is None or owned(live) or not binds_registry_for(live, namespace):
        return False
    return any(s.get("kind") == "Group" and s.get("name") == namespace_group(namespace) for s in live.get("subjects") or [])


def bare(definitions: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Only what names each object (for removal), in the reverse order of creation."""
    return [{"apiVersion": d["apiVersion"], "kind": d["kind"],
             "metadata": {k: v for k, v in d["metadata"].items() if k in ("name", "namespace")}}
            for d in reversed(definitions)]


def legacy_definitions(name: str, namespace: str) -> List[Dict[str, Any]]:
    """The objects of the guide's first edition (rhdh-rhoai-bridge), token first: nothing uses them now."""
    return [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name + "-token", "namespace": namespace}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": name}},
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}},
    ]


def change_lines(step: str, result: Dict[str, Any], p: Dict[str, Any]) -> List[str]:
    """What a step changed, one line each (``rhoai_connector_result.changes``)."""
    if not result.get("changed"):
        return []
    if "results" in result:
        return ["{0} {1}".format(r["object"], r["action"]) for r in result["results"] if r["action"] not in ("unchanged", "kept", "absent")]
    if step == "token":
        verb = "created" if result.get("created") else ("deleted" if p["state"] == "absent" else "changed")
        return ["Secret {0}/{1} {2}".format(p["namespace"], p["token_secret"], verb)]
    return list(result.get("changes") or [])


# ----- the run -----
class Run:
    """One run of the connector: the steps in order, what each returned, the diffs."""

    def __init__(self, mod: Any) -> None:
        self.mod = mod
        self.p = p = dict(mod.params)
        p["cluster_rules"] = CLUSTER_RULES if p["cluster_rules"] is None else p["cluster_rules"]
        p["namespace_rules"] = NAMESPACE_RULES if p["namespace_rules"] is None else p["namespace_rules"]
        p["labels"] = dict(LABELS, **(p["labels"] or {}))
        self.out = {"changed": False, "stopped": None, "rhoai": {}, "rhdh": {}, "steps": {}, "changes": [],
                    "helm_values": {}, "verify": {}}  # type: Dict[str, Any]
        self.diffs = []  # type: List[Dict[str, Any]]

    def step(self, step_name: str, module: Any, **given: Any) -> Dict[str, Any]:
        """Run one step; a change is recorded under ``step_name`` (its diff too, in diff mode)."""
        result = module.run(StepModule(self.mod, step_params(module.ARGUMENT_SPEC, **given)))
        diff = result.pop("diff", None)
        if diff:
            diff = dict(diff, before_header=step_name, after_header=step_name)
            self.diffs.append(diff)
        if result.get("changed"):
            self.out["changed"] = True
            self.out["changes"].append({"step": step_name, "changes": change_lines(step_name, result, self.p)})
        return result

    def read(self, module: Any, **given: Any) -> Dict[str, Any]:
        """Run a step that only reads (preflight, RHDH, verification); its result without ``changed``."""
        result = module.run(StepModule(self.mod, step_params(module.ARGUMENT_SPEC, **given)))
        result.pop("changed", None)
        return result

    def finish(self) -> Dict[str, Any]:
        out = dict(self.out)
        out["report"] = report_lines(self.out["rhoai"].get("verdicts"), self.out["rhdh"],
                                     self.out["verify"].get("checks"), bool(self.mod.check_mode), self.out["changes"])
        if self.diffs:
            out["diff"] = self.diffs
        return out

    # -- the phases ---------------------------------------------------------------------------
    def __call__(self) -> Dict[str, Any]:
        try:
            self.converge()
        except ConnectorError as err:
            err.partial = self.finish()  # type: ignore[attr-defined]
            raise
        return self.finish()

    def converge(self) -> None:
        p = self.p
        applying = not p["report_only"]
        rhoai = self.out["rhoai"] = self.read(step_rhoai_info, datasciencecluster=p["datasciencecluster"],
                                              registries_namespace=p["registries_namespace"])
        if p["state"] == "present" and applying and rhoai["failed_checks"]:
            self.out["stopped"] = "preflight"
            return
        # The guide spells the registry RoleBinding for the platform (rhdh-odh-... on Open Data Hub);
        # bindings of the other spelling carry the collection's label and go as stale ones.
        p["registry_rolebinding"] = rules.registry_binding_prefix(p["registry_rolebinding"], rhoai["platform"])
        rhdh = self.out["rhdh"] = self.read(
            step_rhdh_info, namespace=p["namespace"], name=p["name"], install_type=p["install_type"],
            rhdh_version=p["rhdh_version"], plugin_tags=p["plugin_tags"], plugin_registry=p["plugin_registry"])
        if p["state"] == "present" and rhdh["plugin_tags"] is None:
            self.out["stopped"] = "plugin_tags"
            return
        self.operator = rhdh["install_type"] == "operator"
        self.packages = rhdh["plugin_packages"] or default_packages(p["plugin_registry"])
        self.registries = p["registries"] or [r["name"] for r in rhoai["registries"]]
        self.registries_namespace = rhoai["registries_namespace"]
        self.plugins_configmap = None  # type: Optional[str]
        if applying:
            if p["state"] == "absent":
                self.uninstall()
            else:
                self.install()
        if p["verify"] and p["state"] != "absent":
            self.verify()

    def workload(self) -> Dict[str, Any]:
        if self.operator:
            return {"backstage": self.out["rhdh"]["name"]}
        return {"deployment": self.out["rhdh"]["workload"]["name"]}

    def plugins_target(self) -> Dict[str, Any]:
        if self.operator:
            return {"backstage": self.out["rhdh"]["name"], "configmap": self.p["plugins_configmap"] or None}
        return {"configmap": self.out["rhdh"]["dynamic_plugins_configmap"]}

    def registry_bindings_found(self) -> List[Dict[str, Any]]:
        """The collection's RoleBindings by its label, in every namespace: the registries, their
        namespace or RHOAI itself may be gone. An identity that may list RoleBindings only in the
        registries' namespace is asked there."""
        selector = "app.kubernetes.io/managed-by=" + MANAGED_BY
        try:
            return self.mod.list(RBAC, "RoleBinding", None, label_selector=selector)
        except ConnectorError:
            if not self.registries_namespace:
                raise
            return self.mod.list(RBAC, "RoleBinding", self.registries_namespace, label_selector=selector)

    def guide_binding(self, desired: List[Dict[str, Any]]) -> None:
        """Report the guide's group-wide registry binding; with ``migrate_legacy``, replace it by the
        connector's own bindings (deleted once those bind the same Role)."""
        p, ns = self.p, self.registries_namespace
        live = self.mod.get(RBAC, "RoleBinding", GUIDE_REGISTRY_BINDING, ns) if ns else None
        if not group_wide_binding(live, p["namespace"]):
            return
        role = live["roleRef"]["name"]
        where = describe("RoleBinding", GUIDE_REGISTRY_BINDING, ns)
        replace = (p["migrate_legacy"] and p["registry_subject"] == "serviceaccount"
                   and role in {d["roleRef"]["name"] for d in desired})
        self.out["steps"]["guide_binding"] = {"object": where, "role": role, "replaced": bool(replace)}
        message = ("{0} (the guide's) grants Role {1} to every ServiceAccount of namespace {2} (Group {3})".format(
            where, role, p["namespace"], namespace_group(p["namespace"])))
        if replace:
            self.mod.module.warn(message + "; it was replaced by the connector's binding for its own ServiceAccount "
                                 "(migrate_legacy)")
            self.step("guide_binding", step_rhdh_connector_objects, state="absent", only_owned=False,
                      definitions=bare([live]))
        else:
            self.mod.module.warn(message + "; the connector does not need it: delete it, or run with migrate_legacy "
                                 "and registry_subject serviceaccount to have it replaced by least-privilege bindings")

    def install(self) -> None:
        p, ns, state = self.p, self.p["namespace"], self.p["state"]
        labels = p["labels"]
        service_account = self.mod.get("v1", "ServiceAccount", p["service_account"], ns)
        # An install by a version that kept no record of the plugin entries it found: its entries are its own.
        earlier_install = owned(service_account) and not objects.adopted(service_account)
        bindings = registry_bindings(p, self.registries, self.registries_namespace)
        self.out["steps"]["rbac"] = self.step("rbac", step_rhdh_connector_objects, labels=labels, definitions=(
            rbac_definitions(p) + bindings))
        self.out["steps"]["registry_bindings"] = self.step(
            "registry_bindings", step_rhdh_connector_objects, state="absent",
            definitions=stale_registry_bindings(self.registry_bindings_found(), bindings, ns))
        self.guide_binding(bindings)
        self.out["steps"]["token"] = self.step("token", step_rhdh_connector_token, namespace=ns, name=p["token_secret"],
                                               service_account=p["service_account"], labels=labels)
        plugins = self.out["steps"]["dynamic_plugins"] = self.step(
            "dynamic_plugins", step_rhdh_dynamic_plugins, namespace=ns, packages=self.packages, state=state, labels=labels,
            adopt_entries=not earlier_install, **self.plugins_target())
        self.plugins_configmap = plugins.get("configmap")
        if state == "present":
            self.out["steps"]["app_config"] = self.step(
                "app_config", step_rhdh_app_config, namespace=ns, configmap=p["app_config_configmap"],
                provider_id=p["provider_id"], base_url=p["base_url"], labels=labels)
        sidecars = self.out["steps"]["sidecars"] = self.step(
            "sidecars", step_rhdh_sidecar_patch, namespace=ns, token_secret=p["token_secret"],
            image_registry=p["image_registry"], image_digests=p["image_digests"], images=p["images"],
            image_pull_policy=p["image_pull_policy"], metrics_port=p["metrics_port"], env=p["sidecar_env"],
            resources=p["sidecar_resources"] or None,
            app_config_configmap=p["app_config_configmap"] if state == "present" else None,
            pod_annotations={} if self.operator else {PLUGINS_ANNOTATION: plugins_annotation(self.packages)},
            state="present" if state == "present" else "absent", wait=p["wait"], wait_timeout=p["wait_timeout"],
            **self.workload())
        if not self.operator and state == "present":
            self.out["helm_values"] = objects.overlay(sidecars.get("helm_values") or {}, plugins.get("helm_values") or {})
        if p["migrate_legacy"] and state == "present":
            self.out["steps"]["legacy"] = self.step(
                "legacy", step_rhdh_connector_objects, definitions=legacy_definitions(p["legacy_name"], ns),
                state="absent", only_owned=False)

    def uninstall(self) -> None:
        p, ns = self.p, self.p["namespace"]
        steps = self.out["steps"]
        steps["sidecars"] = self.step(
            "sidecars", step_rhdh_sidecar_patch, namespace=ns, token_secret=p["token_secret"],
            app_config_configmap=p["app_config_configmap"],
            pod_annotations={} if self.operator else {PLUGINS_ANNOTATION: ""},
            state="absent", wait=p["wait"], wait_timeout=p["wait_timeout"], **self.workload())
        steps["dynamic_plugins"] = self.step("dynamic_plugins", step_rhdh_dynamic_plugins, namespace=ns,
                                             packages=self.packages, state="absent", **self.plugins_target())
        steps["app_config"] = self.step("app_config", step_rhdh_app_config, namespace=ns, configmap=p["app_config_configmap"],
                                        provider_id=p["provider_id"], state="absent")
        steps["token"] = self.step("token", step_rhdh_connector_token, namespace=ns, name=p["token_secret"],
                                   service_account=p["service_account"], state="absent")
        # Every registry binding of the collection, found by its label: also those of registries that
        # are gone, and when RHOAI itself is gone (no DataScienceCluster, no ModelRegistry CRD).
        steps["rbac"] = self.step("rbac", step_rhdh_connector_objects, state="absent", definitions=(
            stale_registry_bindings(self.registry_bindings_found(), [], ns) + bare(rbac_definitions(p))))
        if p["remove_storage_cache"]:
            steps["storage_cache"] = self.step(
                "storage_cache", step_rhdh_connector_objects, state="absent", only_owned=False,
                definitions=[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": STORAGE_CACHE, "namespace": ns}}])

    def verify(self) -> None:
        p, rhdh = self.p, self.out["rhdh"]
        workload = rhdh.get("workload") or {}
        plugins_configmap = (self.plugins_configmap or rhdh.get("dynamic_plugins_configmap")
                             or p["plugins_configmap"] or "{0}-dynamic-plugins".format(rhdh["name"]))
        self.out["verify"] = self.read(
            step_rhdh_connector_verify, namespace=p["namespace"],
            workload_kind=workload.get("kind") or "Deployment", workload=workload.get("name") or "backstage-" + rhdh["name"],
            backstage=rhdh["name"] if self.operator else None, expect_sidecars=p["state"] == "present",
            plugins_configmap=plugins_configmap, packages=self.packages,
            expect_plugins="enabled" if p["state"] == "present" else "disabled",
            app_config_configmap=p["app_config_configmap"] if p["state"] == "present" else None,
            provider_id=p["provider_id"], base_url=p["base_url"], service_account=p["service_account"],
            token_secret=p["token_secret"], cluster_rules=p["cluster_rules"], namespace_rules=p["namespace_rules"],
            registries=self.registries, registries_namespace=self.registries_namespace)


def run(mod: Any) -> Dict[str, Any]:
    return Run(mod)()
