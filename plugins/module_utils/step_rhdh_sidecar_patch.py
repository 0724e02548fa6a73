# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_sidecar_patch's work: the three sidecars on the Backstage CR or the Deployment."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import hub, rhdh, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import Options, StepResult, describe, diff
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import CONFLICT_ATTEMPTS, ConflictError, K8sService


def desired_sidecars(p: Options) -> List[Dict[str, Any]]:
    images = sc.image_refs(p.image_registry, p.image_digests, p.images)
    return sc.build_sidecars(p.token_secret, images, p.metrics_port, p.env, p.image_pull_policy, p.resources,
                             p.kubeconfig_secret)


def kubeconfig_wanted(p):
    """Hub and spoke, sidecar connector: the Secret of the rhoai-normalizer's kubeconfig (None: not wanted)."""
    return p.kubeconfig_secret if sidecar_state(p) == "present" and p.kubeconfig_secret else None


#: In check mode, before the first run has copied the kubeconfig: what the annotation would hash.
PENDING_COPY = "the copy this run would make"


def credentials_annotation(mod, p):
    """The value the pod annotation ``sc.CREDENTIALS_ANNOTATION`` must have: a hash of the kubeconfig copy (hub and
    spoke: the normalizer reads it when it starts, so a new token rolls the pod out), or None to remove it."""
    secret = kubeconfig_wanted(p)
    if not secret:
        return None
    copy_secret = mod.get("v1", "Secret", secret, p.namespace)
    if copy_secret is None or not (copy_secret.get("data") or {}).get(hub.KUBECONFIG_KEY):
        if mod.check_mode:  # a preview of a first run: the token step would have made the copy
            return PENDING_COPY
        raise ConnectorError(
            "{0} holds no kubeconfig of the OpenShift AI cluster for the rhoai-normalizer".format(
                describe("Secret", secret, p.namespace)),
            fix="run the role's RBAC and token steps first (they copy it from the OpenShift AI cluster)")
    return hub.credentials_hash(copy_secret)


def app_config_problems(where, pod, app_config=None):
    """Why the connector's app-config file cannot join this pod (``app_config``: ConfigMap, key and
    volume name): a path or volume it needs is taken. One ConnectorError, or none."""
    clashes = sc.app_config_clashes(pod or {}, *app_config) if app_config and app_config[0] else []
    if not clashes:
        return []
    return [ConnectorError(
        "; ".join("{0}: {1}, which the connector's app-config file needs".format(where, c) for c in clashes),
        fix="rename your volume, or give the connector another file and ConfigMap (rhoai_connector_app_config_configmap)",
    )]


def pod_problems(where, pod, extra_containers, metrics_port, app_config=None):
    """Why the sidecars cannot join this pod, one ConnectorError each (empty: they can): a container of
    that name that is not the connector's, a port taken, no plugin volume to mount, or (``app_config``:
    ConfigMap, key and volume name: the operator and the chart both name the volume after the ConfigMap)
    a path or volume the connector's app-config file needs. Pure: read-only preflight and the writing
    step both ask it."""
    problems = app_config_problems(where, pod, app_config)
    containers = list((pod or {}).get("containers") or []) + list(extra_containers or [])
    # a container of the CR's patch is also in the pod the operator rendered from it: name each clash once
    foreign = list({(c.get("name"), c.get("image")): c for c in sc.foreign_sidecars(containers)}.values())
    if foreign:
        problems.append(ConnectorError(
            "; ".join("container {0} of {1} is not the connector's (image {2}), and the connector would replace it".format(
                c.get("name"), where, c.get("image") or "none") for c in foreign),
            fix="rename or remove that container: location, storage-rest and rhoai-normalizer are the names of the "
                "connector's sidecars",
        ))
    conflicts = list(dict.fromkeys(sc.port_conflicts(containers, metrics_port)))
    if conflicts:
        problems.append(ConnectorError(
            "; ".join("container {0} of {1} already uses port {2}, which {3} needs".format(c, where, port, what)
                      for c, port, what in conflicts),
            fix="free the port, or change the normalizer's metrics port (rhoai_connector_metrics_port / metrics_port) "
                "when the clash is on it",
        ))
    if pod and sc.PLUGINS_VOLUME not in [v.get("name") for v in pod.get("volumes") or []]:
        problems.append(ConnectorError(
            "{0} has no volume {1}, which the sidecars mount".format(where, sc.PLUGINS_VOLUME),
            fix="connect the RHDH workload itself (its plugin volume is {0})".format(sc.PLUGINS_VOLUME),
        ))
    return problems


def check_pod(where, pod, extra_containers, metrics_port, state, app_config=None):
    """Refuse (raise the first of ``pod_problems``) a pod the sidecars cannot join; nothing was changed."""
    if state != "present":
        return
    problems = pod_problems(where, pod, extra_containers, metrics_port, app_config)
    if problems:
        first = problems[0]
        raise ConnectorError(first.msg + "; nothing was changed", fix=first.fix)


def patch_containers(cr):
    """The containers of the Backstage CR's ``spec.deployment.patch`` (what the operator will add to the pod)."""
    pod = sc.patch_pod_spec_of(cr)
    containers = pod.get("containers") if isinstance(pod, dict) else None
    return containers if isinstance(containers, list) else []


def _prune(obj, *path):
    """Drop empty containers along ``path`` (deepest first) so that removal restores the original."""
    for depth in range(len(path), 0, -1):
        node = obj
        for key in path[: depth - 1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(path[depth - 1]) in ({}, [], None) and path[depth - 1] in node:
            del node[path[depth - 1]]


def wanted_registries(p):
    """The value the registries annotation must have: the names (sidecars present, ``registries`` given),
    None to remove it (sidecars absent), or False to leave it as it is (``registries`` not given)."""
    if sidecar_state(p) != "present":
        return None
    return False if p.registries is None else sc.registries_annotation(p.registries)


def sidecar_state(p):
    """Whether the sidecars belong in the pod: only for the sidecar connector in state present (the
    plugin-only connector of RHDH 2.x removes them: the move off the sidecars)."""
    return "present" if p.state == "present" and p.connector != PLUGIN_ONLY else "absent"


def wants_token_env(p):
    """Whether the backend container takes the token as an environment variable (plugin-only connector)."""
    return p.state == "present" and p.connector == PLUGIN_ONLY


def token_env_ref(p):
    """The ``spec.application.extraEnvs.secrets`` entry that gives backstage-backend the token: the
    operator names the variable after the key (``token``)."""
    return {"name": p.token_secret, "key": ac.TOKEN_ENV}


def env_secret_refs(refs, want, present):
    """``extraEnvs.secrets`` with ``want`` present once, or absent; every other entry kept in its place."""
    refs = [copy.deepcopy(r) for r in refs or []]
    others = [r for r in refs if not (isinstance(r, dict) and r.get("name") == want["name"] and r.get("key") == want["key"])]
    if present:
        return refs if len(others) == len(refs) - 1 else others + [dict(want)]
    return others


def token_env_missing(workload, p):
    """What the rendered pod template lacks of the token variable (None: nothing): the operator renders
    it from the custom resource a moment after the write."""
    backend = next((c for c in rhdh.pod_spec(workload).get("containers") or [] if c.get("name") == sc.BACKEND_CONTAINER), {})
    has = any(e.get("name") == ac.TOKEN_ENV and ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") == p.token_secret
              for e in backend.get("env") or [])
    if wants_token_env(p) and not has:
        return "the pod template has no variable {0} from Secret {1} yet".format(ac.TOKEN_ENV, p.token_secret)
    if not wants_token_env(p) and has:
        return "the pod template still has variable {0} from Secret {1}".format(ac.TOKEN_ENV, p.token_secret)
    return None


def connector_containers(containers):
    """The connector's containers among ``containers``, by name."""
    return {c["name"]: c for c in containers or [] if isinstance(c, dict) and sc.is_connector_container(c)}


def run_operator(mod, p, sidecars):
    ns, name, state = p.namespace, p.backstage, p.state
    where_cr = "Backstage {0}/{1}".format(ns, name)
    api_version = rhdh.backstage_api_version(mod, p.backstage_api_version)
    cr = mod.get(api_version, "Backstage", name, ns) if api_version else None
    if cr is None:
        raise ConnectorError("Backstage {0}/{1} not found".format(ns, name), fix="check the namespace and name of the RHDH custom resource")
    workload = rhdh.workload_of_cr(mod, cr)
    where = describe(workload["kind"], workload["metadata"]["name"], ns) if workload else describe("Backstage", name, ns)
    check_pod(where, rhdh.pod_spec(workload), patch_containers(cr), p.metrics_port, sidecar_state(p),
              (p.app_config_configmap, p.app_config_key, p.app_config_configmap))
    registries = wanted_registries(p)
    kubeconfig = kubeconfig_wanted(p)
    credentials = credentials_annotation(mod, p)
    volumes = [sc.kubeconfig_volume(kubeconfig)] if kubeconfig else []

    def mutate(obj):
        spec = obj.setdefault("spec", {})
        deployment = spec.setdefault("deployment", {})
        if not isinstance(deployment, dict):
            raise ConnectorError("Backstage {0}/{1}: spec.deployment must be a mapping".format(ns, name), fix="correct spec.deployment")
        patch = sc.apply_operator_patch(deployment.get("patch"), sidecars, sidecar_state(p), where_cr, volumes)
        if registries is not False:
            patch = sc.set_patch_annotation(patch, sc.REGISTRIES_ANNOTATION, registries, where_cr)
        patch = sc.set_patch_annotation(patch, sc.CREDENTIALS_ANNOTATION, credentials, where_cr)
        deployment["patch"] = patch
        _prune(obj, "spec", "deployment", "patch")
        if p.app_config_configmap:
            app = spec.setdefault("application", {})
            app_config = app.setdefault("appConfig", {})
            app_config["configMaps"] = sc.app_config_refs(app_config.get("configMaps"), p.app_config_configmap, state)
            _prune(obj, "spec", "application", "appConfig", "configMaps")
        app = spec.setdefault("application", {})
        extra = app.setdefault("extraEnvs", {})
        extra["secrets"] = env_secret_refs(extra.get("secrets"), token_env_ref(p), wants_token_env(p))
        _prune(obj, "spec", "application", "extraEnvs", "secrets")
        _prune(obj, "spec", "application")
        return obj

    update = mod.update(api_version, "Backstage", name, ns, mutate)
    before_spec, after_spec = update["before"].get("spec") or {}, update["after"].get("spec") or {}
    before_patch = (before_spec.get("deployment") or {}).get("patch") if isinstance(before_spec.get("deployment"), dict) else None
    after_patch = (after_spec.get("deployment") or {}).get("patch")
    ours_before = connector_containers(patch_containers(update["before"]))
    ours_after = connector_containers(patch_containers(update["after"]))
    reg_before = sc.pod_annotations_of_patch(before_patch).get(sc.REGISTRIES_ANNOTATION)
    reg_after = sc.pod_annotations_of_patch(after_patch).get(sc.REGISTRIES_ANNOTATION)
    cred_before = sc.pod_annotations_of_patch(before_patch).get(sc.CREDENTIALS_ANNOTATION)
    cred_after = sc.pod_annotations_of_patch(after_patch).get(sc.CREDENTIALS_ANNOTATION)
    vol_before, vol_after = sc.kubeconfig_volume_of(before_patch), sc.kubeconfig_volume_of(after_patch)
    app_before = (before_spec.get("application") or {}).get("appConfig")
    app_after = (after_spec.get("application") or {}).get("appConfig")
    env_before = ((before_spec.get("application") or {}).get("extraEnvs") or {}).get("secrets")
    env_after = ((after_spec.get("application") or {}).get("extraEnvs") or {}).get("secrets")
    changes, other = [], []
    if ours_before != ours_after:
        changes.append("{0} the sidecars {1} spec.deployment.patch of Backstage {2}/{3}".format(
            "put" if ours_after else "removed", "in" if ours_after else "from", ns, name))
    if reg_before != reg_after:
        changes.append(registries_change(reg_before, reg_after))
    if vol_before != vol_after:
        changes.append("{0} the OpenShift AI cluster's kubeconfig (Secret {1}) {2} rhoai-normalizer".format(
            "mounted" if vol_after else "unmounted", (vol_after or vol_before)["secret"]["secretName"],
            "into" if vol_after else "from"))
    if cred_before != cred_after and cred_before and cred_after:
        changes.append("the OpenShift AI cluster's kubeconfig changed (pod annotation {0})".format(sc.CREDENTIALS_ANNOTATION))
        other.append("the OpenShift AI cluster's kubeconfig changed")
    if app_before != app_after:
        what = "registered" if state == "present" else "unregistered"
        changes.append("{0} app-config ConfigMap {1}".format(what, p.app_config_configmap))
        other.append("app-config {0}".format(what))
    if env_before != env_after:
        changes.append("{0} variable {1} from Secret {2} {3} spec.application.extraEnvs.secrets".format(
            "added" if wants_token_env(p) else "removed", ac.TOKEN_ENV, p.token_secret, "to" if wants_token_env(p) else "from"))
        other.append("token variable {0}".format("added" if wants_token_env(p) else "removed"))
    if update["changed"] and not changes:
        changes.append("updated spec.deployment.patch of Backstage {0}/{1}".format(ns, name))
    reason = sc.rollout_reason(list(ours_before.values()), list(ours_after.values()), reg_before, reg_after, other) \
        if update["changed"] else ""
    result = dict(changed=update["changed"], install_type="operator", changes=changes, helm_values={},
                  workload={"kind": (workload or {}).get("kind", "Deployment"), "name": "backstage-" + name},
                  rollout_reason=reason, moved_off_sidecars=bool(ours_before) and not ours_after and wants_token_env(p))
    if update["changed"]:
        result["diff"] = diff(
            {"deployment": before_spec.get("deployment"), "appConfig": app_before, "extraEnvs.secrets": env_before},
            {"deployment": after_spec.get("deployment"), "appConfig": app_after, "extraEnvs.secrets": env_after})
    result.update(wait_rollout(mod, p, result["workload"]["kind"], result["workload"]["name"], ns, sidecar_state(p), sidecars,
                               registries, token_env=True))
    return result


def registries_change(before, after):
    """The change line of the registries annotation: what changed in the set, or its removal."""
    if after is None:
        return "removed pod annotation {0}".format(sc.REGISTRIES_ANNOTATION)
    diff = sc.registries_diff(before, after)
    return "registries changed: {0} (pod annotation {1})".format(diff or "none", sc.REGISTRIES_ANNOTATION)


def helm_patch(p, live, sidecars):
    """The strategic-merge patch that brings Deployment ``live`` to the desired state, or None."""
    state = p.state
    pod = rhdh.pod_spec(live)
    live_containers = {c["name"]: c for c in pod.get("containers") or []}
    containers, volumes, changes = [], [], []
    for want in sidecars:
        have = live_containers.get(want["name"])
        if state == "present" and not sc.same_container(want, have):
            containers.append(want)
            changes.append("{0} container {1}".format("updated" if have else "added", want["name"]))
        elif state == "absent" and have is not None and sc.is_connector_container(have):
            containers.append({"name": want["name"], "$patch": "delete"})
            changes.append("removed container {0}".format(want["name"]))
    if p.app_config_configmap:
        wiring = sc.helm_app_config_wiring(pod, p.app_config_configmap, p.app_config_key, state)
        backend = live_containers[sc.BACKEND_CONTAINER]
        want_mount = wiring["container"].get("volumeMounts", [{}])[0]
        mounted = any(m.get("mountPath") == want_mount.get("mountPath") for m in backend.get("volumeMounts") or [])
        mounted_as_wanted = any(sc.is_subset(want_mount, m) for m in backend.get("volumeMounts") or [])
        has_volume = p.app_config_configmap in [v.get("name") for v in pod.get("volumes") or []]
        wired = mounted_as_wanted and has_volume and backend.get("args") == wiring["container"]["args"]
        if state == "present" and not wired:
            containers.append(wiring["container"])
            volumes.extend(wiring["volumes"])
            changes.append("mounted app-config ConfigMap {0} into {1}".format(p.app_config_configmap, sc.BACKEND_CONTAINER))
        elif state == "absent" and (mounted or has_volume or backend.get("args") != wiring["container"]["args"]):
            containers.append(wiring["container"] if mounted else {k: v for k, v in wiring["container"].items() if k != "volumeMounts"})
            if has_volume:
                volumes.extend(wiring["volumes"])
            changes.append("unmounted app-config ConfigMap {0}".format(p.app_config_configmap))
    annotations = {}
    live_annotations = template_annotations(live)
    for key, value in (p.pod_annotations or {}).items():
        if key == sc.REGISTRIES_ANNOTATION:
            continue
        if state == "present" and live_annotations.get(key) != str(value):
            annotations[key] = str(value)
        elif state == "absent" and key in live_annotations:
            annotations[key] = None
    if annotations:
        changes.append("{0} pod annotations {1}".format("set" if state == "present" else "removed", ", ".join(sorted(annotations))))
    registries = wanted_registries(p)
    if registries is not False and live_annotations.get(sc.REGISTRIES_ANNOTATION) != registries:
        if registries is not None or sc.REGISTRIES_ANNOTATION in live_annotations:
            annotations[sc.REGISTRIES_ANNOTATION] = registries
            changes.append(registries_change(live_annotations.get(sc.REGISTRIES_ANNOTATION), registries))
    if not changes:
        return None, []
    template = {"spec": {}}
    if containers:
        template["spec"]["containers"] = containers
        # Keep the pod's own order (backstage-backend first: `oc logs` picks the first container)
        # and append new sidecars, instead of strategic merge's default of putting them first.
        deleted = {c["name"] for c in containers if c.get("$patch") == "delete"}
        order = [n for n in live_containers if n not in deleted]
        order += [c["name"] for c in containers if c["name"] not in live_containers and c["name"] not in deleted]
        template["spec"]["$setElementOrder/containers"] = [{"name": n} for n in order]
        rank = {name: index for index, name in enumerate(order)}
        template["spec"]["containers"] = sorted(containers, key=lambda c: rank.get(c["name"], -1))
    if volumes:
        template["spec"]["volumes"] = volumes
    if annotations:
        template["metadata"] = {"annotations": annotations}
    return {"metadata": {"resourceVersion": live["metadata"]["resourceVersion"]}, "spec": {"template": template}}, changes


def template_annotations(workload):
    """The pod template annotations of a Deployment or StatefulSet (empty when it has none)."""
    template = ((workload or {}).get("spec") or {}).get("template") or {}
    return (template.get("metadata") or {}).get("annotations") or {}


def run_helm(mod, p, sidecars):
    ns, name, state = p.namespace, p.deployment, p.state
    where = describe("Deployment", name, ns)
    if p.connector == PLUGIN_ONLY and state == "present":
        raise ConnectorError(HELM_PLUGIN_ONLY.format(where), fix=HELM_PLUGIN_ONLY_FIX)
    if kubeconfig_wanted(p):
        raise ConnectorError(HELM_HUB.format(where), fix=HELM_HUB_FIX)
    for _attempt in range(CONFLICT_ATTEMPTS):
        live = mod.get("apps/v1", "Deployment", name, ns)
        if live is None:
            raise ConnectorError("{0} not found".format(where), fix="check the name (Helm installs: <release>-developer-hub)")
        pod = rhdh.pod_spec(live)
        if sc.BACKEND_CONTAINER not in [c.get("name") for c in pod.get("containers") or []]:
            raise ConnectorError("{0} has no {1} container: it does not run RHDH".format(where, sc.BACKEND_CONTAINER),
                                 fix="name the RHDH Deployment (<release>-developer-hub)")
        check_pod(where, pod, [], p.metrics_port, state,
                  (p.app_config_configmap, p.app_config_key, p.app_config_configmap))
        patch, changes = helm_patch(p, live, sidecars)
        if patch is None:
            after = live
            break
        try:
            after = mod.patch("apps/v1", "Deployment", name, ns, patch, content_type="application/strategic-merge-patch+json")
            break
        except ConflictError:
            continue
    else:
        raise ConnectorError("{0} kept changing while it was being patched".format(where), fix="run again")
    foreign = [c for c in rhdh.pod_spec(after).get("containers") or []
               if c.get("name") not in sc.SIDECAR_NAMES and c.get("name") != sc.BACKEND_CONTAINER]
    registries = wanted_registries(p)
    values = sc.helm_values(foreign + sidecars, p.app_config_configmap, p.app_config_key,
                            sc.helm_extra_app_configs(rhdh.pod_spec(after)),
                            {sc.REGISTRIES_ANNOTATION: registries} if registries not in (None, False) else None) \
        if state == "present" else {}
    reason = ""
    if patch is not None:
        reg_key = sc.REGISTRIES_ANNOTATION
        others = [key for key in (p.pod_annotations or {}) if key != reg_key
                  and template_annotations(live).get(key) != template_annotations(after).get(key)]
        other = (["pod annotations {0} {1}".format(", ".join(sorted(others)), "changed" if state == "present" else "removed")]
                 if others else [])
        if any(line.startswith(("mounted app-config", "unmounted app-config")) for line in changes):
            other.insert(0, "app-config {0}".format("mounted" if state == "present" else "unmounted"))
        reason = sc.rollout_reason(list(connector_containers(pod.get("containers")).values()),
                                   list(connector_containers(rhdh.pod_spec(after).get("containers")).values()),
                                   template_annotations(live).get(reg_key), template_annotations(after).get(reg_key), other)
    result = dict(changed=patch is not None, install_type="helm", changes=changes, helm_values=values,
                  workload={"kind": "Deployment", "name": name}, rollout_reason=reason,
                  containers=[c["name"] for c in rhdh.pod_spec(after).get("containers") or []])
    if patch is not None:
        result["diff"] = diff({"containers": pod.get("containers"), "annotations": template_annotations(live)},
                              {"containers": rhdh.pod_spec(after).get("containers"), "annotations": template_annotations(after)})
    if p.values_file and state == "present":
        result.update(write_values(mod, p.values_file, values))
    result.update(wait_rollout(mod, p, "Deployment", name, ns, state, sidecars, registries))
    return result


HELM_VALUES_HEADER = (
    "# Chart values that keep the RHOAI connector through `helm upgrade`.\n"
    "# Helm replaces lists instead of merging them: extraContainers and extraAppConfig hold every\n"
    "# entry found on the Deployment (podAnnotations, a mapping, is merged with yours and the chart's).\n"
    "# Give this file after your own: helm upgrade -f yours -f this.\n"
)


def write_values(mod, path, values):
    text = HELM_VALUES_HEADER + yaml_text.dump(values)
    current = None
    if os.path.exists(path):
        with open(path) as handle:
            current = handle.read()
    if current == text:
        return {"values_file": path}
    if not mod.check_mode:
        with open(path, "w") as handle:
            handle.write(text)
    return {"values_file": path, "changed": True}


def annotation_missing(workload, registries):
    """What the workload's pod template lacks of the registries annotation (None: nothing): an
    operator renders it from the custom resource a moment after the write. ``registries`` as
    wanted_registries() gives it (False: not managed)."""
    if workload is None or registries is False:
        return None
    found = template_annotations(workload).get(sc.REGISTRIES_ANNOTATION)
    if registries is None:
        return "the pod template still has annotation {0}".format(sc.REGISTRIES_ANNOTATION) if found is not None else None
    if found != registries:
        return "the pod template does not have annotation {0}: {1} yet".format(sc.REGISTRIES_ANNOTATION, registries)
    return None


def wait_rollout(mod, p, kind, name, ns, state, sidecars, registries=False, token_env=False):
    if not p.wait or mod.check_mode:
        return {"rolled_out": False}

    def missing_now():
        live = mod.get("apps/v1", kind, name, ns)
        return (annotation_missing(live, registries) or (token_env_missing(live, p) if token_env and live else None)
                or rhdh.rollout_missing(live, state, sidecars))

    missing = mod.wait_until(missing_now, p.wait_timeout)
    if missing is not None:
        raise ConnectorError(
            "{0} did not roll out within {1} s: {2}".format(describe(kind, name, ns), p.wait_timeout, missing),
            fix="look at the pods' events (image pulls of the sidecars, the init container's log); raise wait_timeout on slow clusters",
        )
    live = mod.get("apps/v1", kind, name, ns)
    return {"rolled_out": True, "containers": [c["name"] for c in rhdh.pod_spec(live).get("containers") or []]}


#: The plugin-only connector on a Helm install: not done yet (see HELM_PLUGIN_ONLY_FIX).
HELM_PLUGIN_ONLY = ("{0} is a Helm install of RHDH 2.x: this version of the collection installs the plugin-only "
                    "connector on operator installs only")
HELM_PLUGIN_ONLY_FIX = ("leave this cluster out of the run for now; the chart renders its extra app-config files before "
                        "its own, so the catalog.rules the connector needs would change place across `helm upgrade`, "
                        "and that is not handled yet")
PLUGIN_ONLY = "plugin-only"
#: Hub and spoke with the sidecar connector on a Helm install: not done (see HELM_HUB_FIX).
HELM_HUB = ("{0} is a Helm install of RHDH 1.x: this version of the collection gives the sidecars an OpenShift AI "
            "cluster of their own (hub and spoke) on operator installs only")
HELM_HUB_FIX = ("run it with OpenShift AI on the RHDH cluster (leave rhoai_connector_rhoai_kubeconfig, _context and _host "
                "empty); the chart's extraVolumes list, which `helm upgrade` replaces whole, would have to carry the "
                "normalizer's kubeconfig, and that is not handled yet")


def ensure_sidecars(svc: K8sService, *, namespace: str, backstage: Optional[str], backstage_api_version: Optional[str],
                    deployment: Optional[str], token_secret: str, image_registry: str, image_digests: Dict[str, str],
                    images: Dict[str, str], image_pull_policy: str, metrics_port: int, env: Dict[str, Any],
                    resources: Optional[Dict[str, Any]], app_config_configmap: Optional[str], app_config_key: str,
                    pod_annotations: Dict[str, Any], registries: Optional[List[str]], state: str,
                    values_file: Optional[str], wait: bool, wait_timeout: int, connector: str,
                    kubeconfig_secret: Optional[str] = None) -> StepResult:
    """The three sidecars (and the app-config file, the pod annotations) on the Backstage CR's
    ``spec.deployment.patch`` (``backstage``) or the Helm Deployment (``deployment``), then the rollout.
    ``connector`` plugin-only (RHDH 2.x): no sidecars (those found are removed), the app-config file,
    and the token as the variable ``token`` from ``token_secret``. ``kubeconfig_secret`` (hub and spoke, sidecar
    connector, operator installs): the rhoai-normalizer reads the OpenShift AI cluster through the kubeconfig there."""
    p = Options(**{k: v for k, v in locals().items() if k != "svc"})
    sidecars = desired_sidecars(p)
    return StepResult(**(run_operator(svc, p, sidecars) if backstage else run_helm(svc, p, sidecars)))


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    backstage=dict(type="str"),
    backstage_api_version=dict(type="str"),
    deployment=dict(type="str"),
    token_secret=dict(type="str", default="rhdh-rhoai-connector-token", no_log=False),
    image_registry=dict(type="str", default=sc.DEFAULT_REGISTRY),
    image_digests=dict(type="dict", default={}),
    images=dict(type="dict", default={}),
    image_pull_policy=dict(type="str", default="IfNotPresent", choices=["Always", "IfNotPresent", "Never"]),
    metrics_port=dict(type="int", default=sc.DEFAULT_METRICS_PORT),
    env=dict(type="dict", default={}),
    resources=dict(type="dict"),
    app_config_configmap=dict(type="str"),
    app_config_key=dict(type="str", default=ac.CONFIG_KEY, no_log=False),
    pod_annotations=dict(type="dict", default={}),
    registries=dict(type="list", elements="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    values_file=dict(type="path"),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=300),
    connector=dict(type="str", choices=["sidecar", "plugin-only"], default="sidecar"),
    kubeconfig_secret=dict(type="str", no_log=False),
)
MODULE_OPTIONS = dict(
    mutually_exclusive=[("backstage", "deployment")],
    required_one_of=[("backstage", "deployment")],
)
