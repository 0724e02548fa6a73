# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_connector_verify's work: check the connector on the live objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import catalog_rules, hub, objects, rbac, rhdh, rules, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import Options, StepResult, describe
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService
from ansible_collections.rhdh.ai_connector.plugins.module_utils.step_rhdh_connector_rbac import served_kserve_resources


def check(name, ok, msg, warn=False):
    return {"check": name, "status": "ok" if ok else ("warn" if warn else "fail"), "msg": msg}


def read_release(mod, p):
    """The release facts (rhdh_info's ``rhdh_version``, ``rhdh_version_source``, ``rhdh_version_error``):
    ``p.release`` when the caller read them in this run (the role's preflight), else read now from the
    same sources."""
    if p.release is not None:
        return p.release
    info = rhdh.find(mod, p.namespace, p.backstage or p.workload, "operator" if p.backstage else "helm",
                     p.rhdh_version)
    return {key: info.get(key) for key in ("rhdh_version", "rhdh_version_source", "rhdh_version_error")}


def plugin_only(p):
    return p.connector == rules.PLUGIN_ONLY_CONNECTOR


def release_checks(mod, p):
    """The RHDH release takes the connector that was installed (``p.connector``): an operator upgraded to
    RHDH 2.x after the install leaves sidecars that no longer work, and a release no source can tell
    leaves the question open; both fail, naming what was read."""
    release = read_release(mod, p)
    version, source = release.get("rhdh_version"), release.get("rhdh_version_source")
    if release.get("rhdh_version_error"):
        return [check("release", False, release["rhdh_version_error"])]
    if not version:
        return [check("release", False, str(ConnectorError(
            "the RHDH release could not be told ({0}), so whether the {1} connector fits it is unknown".format(source, p.connector),
            fix=rules.FIX_GIVE_VERSION)))]
    connector = rules.connector_of(version)
    if connector == p.connector:
        return [check("release", True, "RHDH {0} ({1}) takes the {2} connector".format(version, source, connector))]
    live = mod.get("apps/v1", p.workload_kind, p.workload, p.namespace)
    left = [c.get("name") for c in rhdh.pod_spec(live).get("containers") or [] if c.get("name") in sc.SIDECAR_NAMES]
    where = describe(p.workload_kind, p.workload, p.namespace)
    return [check("release", False, "RHDH {0} ({1}) needs the {2} connector, not the {3} connector{4}. Fix: run the role "
                                    "with rhoai_connector_state: present, which installs the connector the release "
                                    "needs (and moves a cluster off the sidecars)".format(
                                        version, source, connector, p.connector,
                                        "; the sidecars {0} in {1} do not work there".format(", ".join(left), where)
                                        if left else ""))]


def workload_checks(mod, p):
    kind, name, ns = p.workload_kind, p.workload, p.namespace
    where = describe(kind, name, ns)
    live = mod.get("apps/v1", kind, name, ns)
    if live is None:
        return [check("workload", False, "{0} not found".format(where))]
    state = "present" if p.expect_sidecars else "absent"
    missing = rhdh.rollout_missing(live, state)
    out = [check("rollout", missing is None, "{0} rolled out".format(where) if missing is None else "{0}: {1}".format(where, missing))]
    if plugin_only(p) and p.app_config_configmap:
        out.append(token_env_check(live, p, where))
    if not p.expect_sidecars:
        return out
    if p.kubeconfig_secret:
        out.extend(kubeconfig_checks(mod, p, live, where))
    selector = ",".join("{0}={1}".format(k, v) for k, v in ((live["spec"].get("selector") or {}).get("matchLabels") or {}).items())
    pods = [pod for pod in mod.list("v1", "Pod", ns, label_selector=selector) if not pod["metadata"].get("deletionTimestamp")]
    ready = 0
    for pod in pods:
        statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or []}
        if all(statuses.get(n, {}).get("ready") for n in sc.SIDECAR_NAMES):
            ready += 1
    names = ", ".join(sc.SIDECAR_NAMES)
    out.append(check("sidecars_ready", bool(pods) and ready == len(pods),
                     "{0} Ready in {1}/{2} pod(s) of {3}".format(names, ready, len(pods), where)))
    return out


def token_env_check(live, p, where):
    """backstage-backend takes the token from the token Secret as the variable the provider entry names."""
    backend = next((c for c in rhdh.pod_spec(live).get("containers") or [] if c.get("name") == sc.BACKEND_CONTAINER), {})
    ref = next((((e.get("valueFrom") or {}).get("secretKeyRef") or {}) for e in backend.get("env") or []
                if e.get("name") == ac.TOKEN_ENV), None)
    ok = bool(ref) and ref.get("name") == p.token_secret and ref.get("key") == "token"
    return check("token_env", ok, "{0} of {1} {2} variable {3} from Secret {4} key token".format(
        sc.BACKEND_CONTAINER, where, "has" if ok else ("has another" if ref else "has no"), ac.TOKEN_ENV, p.token_secret))


def kubeconfig_checks(mod, p, live, where):
    """Hub and spoke, sidecar connector: the rhoai-normalizer of the rendered pod reads the OpenShift AI cluster through
    the kubeconfig in ``kubeconfig_secret`` (mounted, ``KUBECONFIG`` set, no token variable), and that kubeconfig names
    the OpenShift AI cluster the copy was made from."""
    pod = rhdh.pod_spec(live)
    normalizer = next((c for c in pod.get("containers") or [] if c.get("name") == "rhoai-normalizer"), {})
    problems = []
    if not any(e.get("name") == "KUBECONFIG" and e.get("value") == sc.KUBECONFIG_FILE for e in normalizer.get("env") or []):
        problems.append("rhoai-normalizer has no KUBECONFIG={0}".format(sc.KUBECONFIG_FILE))
    if normalizer.get("envFrom"):
        problems.append("rhoai-normalizer still takes variables from {0} (a token variable makes it read its own "
                        "cluster)".format(", ".join(str((e.get("secretRef") or {}).get("name")) for e in normalizer["envFrom"])))
    if not any(m.get("name") == sc.KUBECONFIG_VOLUME and m.get("mountPath") == sc.KUBECONFIG_DIR
               for m in normalizer.get("volumeMounts") or []):
        problems.append("rhoai-normalizer does not mount volume {0} at {1}".format(sc.KUBECONFIG_VOLUME, sc.KUBECONFIG_DIR))
    volume = next((v for v in pod.get("volumes") or [] if v.get("name") == sc.KUBECONFIG_VOLUME), {})
    if (volume.get("secret") or {}).get("secretName") != p.kubeconfig_secret:
        problems.append("the pod has no volume {0} from Secret {1}".format(sc.KUBECONFIG_VOLUME, p.kubeconfig_secret))
    copy_secret = mod.get("v1", "Secret", p.kubeconfig_secret, p.namespace)
    server = hub.kubeconfig_server(copy_secret)
    recorded = (((copy_secret or {}).get("metadata") or {}).get("annotations") or {}).get(hub.RHOAI_URL_ANNOTATION)
    if server is None:
        problems.append("{0} holds no kubeconfig".format(describe("Secret", p.kubeconfig_secret, p.namespace)))
    elif server != recorded:
        problems.append("the kubeconfig in {0} names {1}, not the OpenShift AI cluster it was copied from ({2})".format(
            describe("Secret", p.kubeconfig_secret, p.namespace), server, recorded))
    return [check("rhoai_kubeconfig", not problems, "; ".join(problems) if problems else
                  "rhoai-normalizer of {0} reads the OpenShift AI cluster at {1} through the kubeconfig in Secret {2}".format(
                      where, server, p.kubeconfig_secret))]


def plugin_checks(mod, p):
    if not p.plugins_configmap:
        return []
    ns = p.namespace
    where = "{0} key {1}".format(describe("ConfigMap", p.plugins_configmap, ns), p.plugins_key)
    live = mod.get("v1", "ConfigMap", p.plugins_configmap, ns)
    if live is None:
        return [check("plugins", p.expect_plugins == "absent", "{0} not found".format(where))]
    try:
        doc = dp.validate(yaml_text.load((live.get("data") or {}).get(p.plugins_key, ""), where), where)
    except ConnectorError as err:
        return [check("plugins", False, str(err))]
    out = []
    for package, entry in dp.find_plugins(doc, p.packages).items():
        short = package.rsplit("/", 1)[-1].split("!")[0]
        if p.expect_plugins == "absent":
            out.append(check("plugin " + short, entry is None, "{0} {1} in {2}".format(short, "absent" if entry is None else "still present", where)))
        elif entry is None:
            out.append(check("plugin " + short, False, "{0} missing from {1}".format(short, where)))
        elif entry["package"] != package and p.check_tags:
            out.append(check("plugin " + short, False, "{0} in {1} has tag {2}, expected {3}".format(
                short, where, entry["package"].split(":")[-1].split("!")[0], package.split(":")[-1].split("!")[0])))
        else:
            want_disabled = p.expect_plugins == "disabled"
            is_disabled = bool(entry.get("disabled"))
            out.append(check("plugin " + short, is_disabled == want_disabled, "{0} {1} in {2}".format(
                short, "disabled" if is_disabled else "enabled", where)))
    return out


def app_config_checks(mod, p):
    if not p.app_config_configmap:
        return []
    ns, name = p.namespace, p.app_config_configmap
    where = "{0} key {1}".format(describe("ConfigMap", name, ns), p.app_config_key)
    live = mod.get("v1", "ConfigMap", name, ns)
    value = doc = None
    if live is not None:
        try:
            doc = yaml_text.load((live.get("data") or {}).get(p.app_config_key, ""), where)
            value = ac.get_base_url(doc, p.provider_id)
        except ConnectorError as err:
            return [check("app_config", False, str(err))]
    if plugin_only(p):
        out = kserve_checks(doc, value, p, where) if live is not None else [check("app_config", False, "{0} not found".format(where))]
    else:
        out = [check("app_config", value == p.base_url, "catalog.providers.modelCatalog.{0}.baseUrl is {1} in {2}".format(
            p.provider_id, value, where) if live is not None else "{0} not found".format(where))]
    if p.backstage:
        api_version = rhdh.backstage_api_version(mod, p.backstage_api_version)
        cr = mod.get(api_version, "Backstage", p.backstage, ns) if api_version else None
        refs = [r.get("name") for r in ((((cr or {}).get("spec") or {}).get("application") or {}).get("appConfig") or {}).get("configMaps") or []]
        out.append(check("app_config_registered", name in refs, "Backstage {0}/{1} {2} {3} in spec.application.appConfig.configMaps".format(
            ns, p.backstage, "lists" if name in refs else "does not list", name)))
    return out


def kserve_checks(doc, base_url, p, where):
    """The plugin-only connector's provider entry: the cluster's URL and the token by reference; the
    sidecar connector's ``baseUrl`` entry gone."""
    entry = ac.get_kserve(doc, p.cluster_name) or {}
    key = "catalog.providers.modelCatalog.{0}.{1}".format(ac.KSERVE_PROVIDER, p.cluster_name)
    token_ref = "${%s}" % ac.TOKEN_ENV
    ok = bool(entry.get("url")) and entry.get("serviceAccountToken") == token_ref
    return [
        check("app_config", ok, "{0} in {1}: {2}".format(key, where, "url {0}, serviceAccountToken {1}".format(
            entry.get("url"), token_ref) if ok else ("missing" if not entry else "url {0}, serviceAccountToken not {1}".format(
                entry.get("url"), token_ref)))),
        check("app_config_no_base_url", base_url is None, "catalog.providers.modelCatalog.{0}.baseUrl (the sidecar "
              "connector's) is {1} in {2}".format(p.provider_id, "gone" if base_url is None else "still " + str(base_url), where)),
    ]


def catalog_rules_checks(mod, p):
    """The ``catalog.rules`` in effect over the pod's app-config files, in the order it reads them,
    allow the connector's kind and keep every rule the other files give (plugin-only connector)."""
    if not plugin_only(p) or not p.app_config_configmap:
        return []
    live = mod.get("apps/v1", p.workload_kind, p.workload, p.namespace)
    found = rhdh.app_config_documents(mod, live, p.plugins_configmap, (p.app_config_configmap, p.app_config_key))
    if found["problems"]:
        return [check("catalog_rules", False, "; ".join(str(e) for e in found["problems"]))]
    if found["ours_at"] is None:
        return [check("catalog_rules", False, "{0} is not among the files {1} starts with".format(found["ours"], p.workload))]
    ours = (p.app_config_configmap, p.app_config_key)
    cm = mod.get("v1", "ConfigMap", ours[0], p.namespace)
    files = [(name, yaml_text.load(((cm or {}).get("data") or {}).get(ours[1], ""), name) if name == found["ours"] else doc)
             for name, doc in found["files"]]
    rules_in_effect, source = catalog_rules.effective(files)
    kept = catalog_rules.effective([f for f in files if f[0] != found["ours"]])[0]
    lost = [r for r in yaml_text.plain(kept) if r not in yaml_text.plain(rules_in_effect)]
    ok = catalog_rules.allows(rules_in_effect) and not lost
    return [check("catalog_rules", ok, "catalog.rules in effect (from {0}) {1} kind {2}{3}".format(
        source, "allow" if catalog_rules.allows(rules_in_effect) else "do not allow", catalog_rules.KIND,
        "; rules of the other files lost: {0}".format(lost) if lost else ", and keep the rules of the other files"))]


def app_config_file_checks(mod, p):
    """Every app-config file RHDH should read is mounted once, from its ConfigMap, and passed with
    --config in the running workload: the user's own (operator installs: each key of each ConfigMap
    the CR lists) and the connector's. A file mounted twice hides the other one."""
    if not p.app_config_configmap or not (p.expect_sidecars or plugin_only(p)):
        return []
    ns = p.namespace
    live = mod.get("apps/v1", p.workload_kind, p.workload, ns)
    if live is None:
        return []
    expected = []
    if p.backstage:
        api_version = rhdh.backstage_api_version(mod, p.backstage_api_version)
        cr = mod.get(api_version, "Backstage", p.backstage, ns) if api_version else None
        app_config = (((cr or {}).get("spec") or {}).get("application") or {}).get("appConfig") or {}
        mount_path = (app_config.get("mountPath") or sc.WORKING_DIR).rstrip("/")
        for ref in app_config.get("configMaps") or []:
            if not isinstance(ref, dict) or not ref.get("name"):
                continue
            configmap = mod.get("v1", "ConfigMap", ref["name"], ns) or {}
            keys = [ref["key"]] if ref.get("key") else sorted(list(configmap.get("data") or {}) + list(configmap.get("binaryData") or {}))
            expected += [(ref["name"], key, "{0}/{1}".format(mount_path, key)) for key in keys]
    else:
        expected.append((p.app_config_configmap, p.app_config_key, sc.app_config_path(p.app_config_key)))
    problems = sc.app_config_file_problems(rhdh.pod_spec(live), expected)
    where = describe(p.workload_kind, p.workload, ns)
    return [check("app_config_files", not problems, "; ".join(problems) if problems else
                  "{0} app-config file(s) mounted once each and passed with --config in {1}".format(len(expected), where))]


def token_checks(mod, p):
    ns = p.namespace
    secret = mod.get("v1", "Secret", p.token_secret, ns)
    data = (secret or {}).get("data") or {}
    ok = bool(data.get("token")) and bool(data.get("ca.crt"))
    return [check("token", ok, "{0} {1}".format(describe("Secret", p.token_secret, ns),
                                                "has token and ca.crt" if ok else ("not found" if secret is None else "is not filled in yet")))]


def storage_checks(mod, p):
    if not p.expect_sidecars or plugin_only(p):
        return []
    ns = p.namespace
    found = mod.get("v1", "ConfigMap", "bac-import-model", ns) is not None
    return [check("storage_cache", found, "{0} {1}".format(
        describe("ConfigMap", "bac-import-model", ns),
        "exists" if found else "does not exist yet (storage-rest creates it on its first sync)"), warn=True)]


def access_checks(mod, p):
    user = "system:serviceaccount:{0}:{1}".format(p.namespace, p.service_account)
    who = "{0} ({1})".format(user, p.cluster_label) if p.cluster_label else user
    groups = ["system:serviceaccounts", "system:serviceaccounts:" + p.namespace, "system:authenticated"]
    out = []
    defaults = rules.release_rbac(None, p.connector)
    cluster_rules = defaults["cluster_rules"] if p.cluster_rules is None else p.cluster_rules
    if p.cluster_rules is None and plugin_only(p):  # what the RBAC step grants on this cluster
        cluster_rules = rbac.with_served_resources(cluster_rules, served_kserve_resources(mod))
    namespace_rules = defaults["namespace_rules"] if p.namespace_rules is None else p.namespace_rules
    if p.namespace_rules is None and p.kubeconfig_secret:  # hub and spoke: the RHDH cluster's part of the sidecars' RBAC
        namespace_rules = rbac.HUB_NAMESPACE_RULES
    reviews = objects.access_reviews(cluster_rules, namespace_rules, p.namespace, [] if plugin_only(p) else p.registries,
                                     p.registries_namespace) + list(p.permissions)
    for perm in reviews:
        attrs = {k: perm[k] for k in ("verb", "resource", "group", "namespace", "name") if perm.get(k) is not None}
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                "spec": {"user": user, "groups": groups, "resourceAttributes": attrs}}
        try:
            review = mod.ask("authorization.k8s.io/v1", "SubjectAccessReview", body)
        except Exception as exc:  # noqa: BLE001 - a review that cannot be asked is a failed check, not a crash
            out.append(check("access", False, "could not ask a SubjectAccessReview: {0}".format(exc)))
            break
        allowed = bool((review.get("status") or {}).get("allowed"))
        what = "{0} {1}{2}{3}{4}".format(
            attrs["verb"], attrs["resource"], "." + attrs["group"] if attrs.get("group") else "",
            " " + attrs["name"] if attrs.get("name") else "", " in " + attrs["namespace"] if attrs.get("namespace") else " (cluster)")
        out.append(check("access " + what, allowed, "{0} {1} {2}".format(who, "may" if allowed else "may NOT", what)))
    return out


def verify(svc: K8sService, *, namespace: str, workload_kind: str, workload: Optional[str], backstage: Optional[str],
           backstage_api_version: Optional[str], rhdh_version: Optional[str], release: Optional[Dict[str, Any]],
           expect_sidecars: bool, plugins_configmap: Optional[str], plugins_key: str, packages: List[str],
           check_tags: bool, expect_plugins: str, app_config_configmap: Optional[str], app_config_key: str,
           provider_id: str, base_url: str, service_account: str, token_secret: str,
           cluster_rules: Optional[List[Dict[str, Any]]], namespace_rules: Optional[List[Dict[str, Any]]],
           registries: List[str], registries_namespace: Optional[str], permissions: List[Dict[str, Any]],
           connector: str, cluster_name: str, kubeconfig_secret: Optional[str] = None, only_access: bool = False,
           cluster_label: Optional[str] = None) -> StepResult:
    """Read-only: one check per thing that must hold for the connector to work, each saying what was seen
    (``only_access``: the ServiceAccount's permissions alone, as on the OpenShift AI cluster of a hub and spoke pair)."""
    p = Options(**{k: v for k, v in locals().items() if k != "svc"})
    checks = []  # type: List[Dict[str, str]]
    parts = (access_checks,) if only_access else (
        release_checks, workload_checks, plugin_checks, app_config_checks, app_config_file_checks,
        catalog_rules_checks, token_checks, storage_checks, access_checks)
    for part in parts:
        checks.extend(part(svc, p))
    failed = [c for c in checks if c["status"] == "fail"]
    return StepResult(checks=checks, ok=not failed, failed_checks=failed)


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    workload_kind=dict(type="str", choices=["Deployment", "StatefulSet"], default="Deployment"),
    workload=dict(type="str"),
    backstage=dict(type="str"),
    backstage_api_version=dict(type="str"),
    rhdh_version=dict(type="str"),
    release=dict(type="dict"),
    expect_sidecars=dict(type="bool", default=True),
    plugins_configmap=dict(type="str"),
    plugins_key=dict(type="str", default="dynamic-plugins.yaml", no_log=False),
    packages=dict(type="list", elements="str", default=[]),
    check_tags=dict(type="bool", default=True),
    expect_plugins=dict(type="str", choices=["enabled", "disabled", "absent"], default="enabled"),
    app_config_configmap=dict(type="str"),
    app_config_key=dict(type="str", default=ac.CONFIG_KEY, no_log=False),
    provider_id=dict(type="str", default="development"),
    base_url=dict(type="str", default="http://localhost:9090"),
    service_account=dict(type="str", default="rhdh-rhoai-connector"),
    token_secret=dict(type="str", default="rhdh-rhoai-connector-token", no_log=False),
    cluster_rules=dict(type="list", elements="dict"),
    namespace_rules=dict(type="list", elements="dict"),
    registries=dict(type="list", elements="str", default=[]),
    registries_namespace=dict(type="str"),
    permissions=dict(type="list", elements="dict", default=[], options=dict(
        verb=dict(type="str", required=True),
        resource=dict(type="str", required=True),
        group=dict(type="str", default=""),
        namespace=dict(type="str"),
        name=dict(type="str"),
    )),
    connector=dict(type="str", choices=["sidecar", "plugin-only"], default="sidecar"),
    cluster_name=dict(type="str", default=ac.DEFAULT_CLUSTER),
    kubeconfig_secret=dict(type="str", no_log=False),
    only_access=dict(type="bool", default=False),
    cluster_label=dict(type="str"),
)
MODULE_OPTIONS = dict(required_if=[("only_access", False, ("workload",))])
