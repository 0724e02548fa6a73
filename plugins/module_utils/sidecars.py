# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for the three catalog sidecars and the pod-level wiring of the connector.

Containers and volumes are merged by ``name`` (as the RHDH operator's kustomize merge and
Kubernetes' strategic merge do), so foreign sidecars such as ``lightspeed-core`` are kept and a
re-run replaces the connector's containers in place instead of adding copies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import posixpath
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

BACKEND_CONTAINER = "backstage-backend"
PLUGINS_VOLUME = "dynamic-plugins-root"
PLUGINS_MOUNT = "/opt/app-root/src/dynamic-plugins-root"
WORKING_DIR = "/opt/app-root/src"
SIDECAR_NAMES = ("location", "storage-rest", "rhoai-normalizer")
DEFAULT_REGISTRY = "quay.io/redhat-ai-dev"
IMAGE_NAMES = {
    "location": "model-catalog-location-service",
    "storage-rest": "model-catalog-storage-rest",
    "rhoai-normalizer": "model-catalog-rhoai-normalizer",
}
#: The sidecars' digests in Red Hat's RHDH 1.8 guide for the connector (its current edition): the
#: module's default when no release is given.
DEFAULT_DIGESTS = {
    "location": "sha256:c4471e07be6e0dbe821613053e6264a552cacda7f8604dbf306e6ac9e81e8ab9",
    "storage-rest": "sha256:398095e7469e86d84b1196371286363f4b7668aa3e26370b4d78cb8d4ace1dc9",
    "rhoai-normalizer": "sha256:9f19742450a3a9c6d9c01d8341a20db7eb5a52a39348f488ae06b6aa49754a26",
}
#: The digests the connector's maintainers run with RHDH 1.9 and 1.10: their demo repository
#: (redhat-ai-dev/ai-rolling-demo-gitops, charts/rhdh/templates/rolling-demo-sidecars-job.yaml) pins
#: these from its switch to digests (1135ce3, 2026-01-16) through 505e53a4 (2026-08-03), the span in
#: which it moved to RHDH 1.9 (2a99153, 2026-02-05) and to 1.10 (54ea687, 2026-05-11). Only
#: storage-rest differs from the 1.8 guide's.
MAINTAINERS_DIGESTS = dict(DEFAULT_DIGESTS, **{
    "storage-rest": "sha256:609f6866c7913a87c51912260803c219e564fa7dc90c2ff735ff6dfc5797bc3b",
})
LOCATION_PORT = 9090
STORAGE_PORT = 7070
PPROF_PORT = 6000
DEFAULT_METRICS_PORT = 8081


def image_refs(registry: str = DEFAULT_REGISTRY, digests: Optional[Dict[str, str]] = None,
               images: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Image reference per sidecar: ``<registry>/<image>@<digest>``, or a full override from ``images``."""
    digests = dict(DEFAULT_DIGESTS, **(digests or {}))
    refs = {}
    for name in SIDECAR_NAMES:
        if images and images.get(name):
            refs[name] = images[name]
            continue
        digest = digests[name]
        sep = "@" if digest.startswith("sha256:") else ":"
        refs[name] = "{0}/{1}{2}{3}".format(registry.rstrip("/"), IMAGE_NAMES[name], sep, digest)
    return refs


#: Keys of a container's ``resources``: a ``sidecar_resources`` made of them applies to every sidecar.
RESOURCE_KEYS = ("requests", "limits", "claims")
CONNECTOR_ENV_MARK = "NORMALIZER_FORMAT"


def per_sidecar(setting: Optional[Dict[str, Any]], option: str, flat_keys: Optional[Iterable[str]] = None) -> Dict[str, Dict[str, Any]]:
    """``{sidecar name: its part of setting}`` for ``sidecar_env`` / ``sidecar_resources``.

    A setting keyed by container name (``{rhoai-normalizer: {POLLING_INTERVAL: 1m}}``) gives each
    sidecar its own part; a setting with no container name among its keys (``{POLLING_INTERVAL: 1m}``,
    or ``{limits: ...}`` for resources) applies to every sidecar. Mixing both is refused.
    """
    setting = setting or {}
    if not isinstance(setting, dict):
        raise ConnectorError("{0} must be a mapping, found a {1}".format(option, type(setting).__name__),
                             fix="give it by container name: {0}".format(", ".join(SIDECAR_NAMES)))
    named = [k for k in setting if k in SIDECAR_NAMES]
    other = [k for k in setting if k not in SIDECAR_NAMES]
    if named and other:
        raise ConnectorError(
            "{0} mixes container names ({1}) with other keys ({2})".format(option, ", ".join(named), ", ".join(map(str, other))),
            fix="key it by container name only ({0}), each with its own mapping".format(", ".join(SIDECAR_NAMES)))
    if flat_keys is not None and other and not set(other) <= set(flat_keys):
        raise ConnectorError(
            "{0} keys {1} are neither container names ({2}) nor {3}".format(
                option, ", ".join(map(str, sorted(set(other) - set(flat_keys)))), ", ".join(SIDECAR_NAMES), "/".join(flat_keys)),
            fix="key it by container name, e.g. {0}: {{rhoai-normalizer: {{limits: {{memory: 512Mi}}}}}}".format(option))
    if not named:
        return {name: copy.deepcopy(setting) for name in SIDECAR_NAMES}
    out = {}
    for name in SIDECAR_NAMES:
        part = setting.get(name) or {}
        if not isinstance(part, dict):
            raise ConnectorError("{0}.{1} must be a mapping, found a {2}".format(option, name, type(part).__name__),
                                 fix="give {0}.{1} as a mapping".format(option, name))
        out[name] = copy.deepcopy(part)
    return out


#: Hub and spoke: the rhoai-normalizer reads the OpenShift AI cluster through a kubeconfig, the collection's copy of
#: that cluster's token (a Secret on the RHDH cluster) mounted here, with no ``token`` variable (which would make it
#: read its own cluster: model-catalog-bridge, pkg/util/k8s-client.go).
KUBECONFIG_VOLUME = "rhoai-connector-kubeconfig"
KUBECONFIG_DIR = WORKING_DIR + "/rhoai-kubeconfig"
KUBECONFIG_FILE = KUBECONFIG_DIR + "/kubeconfig"
#: Keys of a connector container that the connector sets or leaves out: left out, the live one's is dropped too.
OWNED_KEYS = ("envFrom",)


def kubeconfig_volume_of(patch: Any) -> Optional[Dict[str, Any]]:
    """The normalizer's kubeconfig volume in a ``spec.deployment.patch`` (None when it has none)."""
    volumes = _find(patch, "spec", "template", "spec", "volumes") if isinstance(patch, dict) else None
    return next((v for v in volumes or [] if isinstance(v, dict) and v.get("name") == KUBECONFIG_VOLUME), None)


def kubeconfig_volume(secret: str) -> Dict[str, Any]:
    """The pod volume of the rhoai-normalizer's kubeconfig (hub and spoke), from Secret ``secret``."""
    return {"name": KUBECONFIG_VOLUME, "secret": {"secretName": secret}}


def build_sidecars(token_secret: str, images: Dict[str, str], metrics_port: int = DEFAULT_METRICS_PORT,
                   env: Optional[Dict[str, Any]] = None, image_pull_policy: str = "IfNotPresent",
                   resources: Optional[Dict[str, Any]] = None, kubeconfig_secret: Optional[str] = None) -> List[Dict[str, Any]]:
    """The three sidecar containers, as the connector's guide defines them (plus the fixes it lacks).

    ``env`` and ``resources`` are given by container name, or flat for every sidecar (``per_sidecar``).
    ``kubeconfig_secret`` (hub and spoke): the rhoai-normalizer reads the OpenShift AI cluster through the kubeconfig
    in that Secret (``KUBECONFIG_FILE``) and takes no token; location and storage-rest keep ``token_secret`` (a
    ServiceAccount of the RHDH cluster: storage-rest's cache is there).
    """
    env_of = per_sidecar(env, "sidecar_env")
    resources_of = per_sidecar(resources, "sidecar_resources", RESOURCE_KEYS)

    def container(name: str, own_env: List[Dict[str, Any]], remote: bool = False, **extra: Any) -> Dict[str, Any]:
        extra_env = [{"name": k, "value": str(v)} for k, v in sorted(env_of[name].items())]
        mounts = [{"name": PLUGINS_VOLUME, "mountPath": PLUGINS_MOUNT}]
        if remote:
            own_env = own_env + [{"name": "KUBECONFIG", "value": KUBECONFIG_FILE}]
            mounts.append({"name": KUBECONFIG_VOLUME, "mountPath": KUBECONFIG_DIR, "readOnly": True})
        spec = {
            "name": name,
            "image": images[name],
            "imagePullPolicy": image_pull_policy,
            "env": own_env + [
                {"name": CONNECTOR_ENV_MARK, "value": "JsonArrayFormat"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            ] + extra_env,
            "volumeMounts": mounts,
            "workingDir": WORKING_DIR,
        }
        if not remote:
            spec["envFrom"] = [{"secretRef": {"name": token_secret}}]
        spec.update(extra)
        if resources_of[name]:
            spec["resources"] = resources_of[name]
        return spec

    return [
        container("location", [], ports=[{"name": "location", "containerPort": LOCATION_PORT}]),
        container("storage-rest", [
            {"name": "STORAGE_TYPE", "value": "ConfigMap"},
            {"name": "BRIDGE_URL", "value": "http://localhost:{0}".format(LOCATION_PORT)},
        ]),
        container("rhoai-normalizer", [], bool(kubeconfig_secret), args=["--metrics-address=:{0}".format(metrics_port)]),
    ]


def is_connector_container(container: Dict[str, Any]) -> bool:
    """Whether a container named like a sidecar is the connector's: its image is the sidecar's image
    (any registry, tag or digest) or it carries the env var every connector sidecar has."""
    name = container.get("name")
    if name not in SIDECAR_NAMES:
        return False
    repository = str(container.get("image") or "").split("@", 1)[0].rpartition("/")[2].partition(":")[0]
    if repository == IMAGE_NAMES[name]:
        return True
    return any(isinstance(e, dict) and e.get("name") == CONNECTOR_ENV_MARK for e in container.get("env") or [])


def foreign_sidecars(containers: Optional[Iterable[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Containers that carry a sidecar's name (location, storage-rest, rhoai-normalizer) but are not the connector's."""
    return [c for c in containers or [] if isinstance(c, dict) and c.get("name") in SIDECAR_NAMES
            and not is_connector_container(c)]


_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
           "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": 1,
           "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18}


def quantity(value: Any) -> Any:
    """A Kubernetes quantity as a number (``1000m`` and ``1`` are equal); the value itself when it is none."""
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return value
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        return value
    suffix = match.group(2) or ""
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number * (Decimal(10) ** int(suffix[1:]))
    return number * Decimal(_SUFFIX[suffix])


def same_resources(want: Any, have: Any) -> bool:
    """Whether the live ``resources`` hold what was asked, quantities compared as numbers (the API server
    rewrites ``1000m`` as ``1`` and ``1024Mi`` as ``1Gi``)."""
    want, have = want or {}, have or {}
    for key in ("requests", "limits"):
        wanted, found = want.get(key) or {}, have.get(key) or {}
        if set(wanted) != set(found) or any(quantity(v) != quantity(found[k]) for k, v in wanted.items()):
            return False
    return is_subset({k: v for k, v in want.items() if k not in ("requests", "limits")}, have)


def same_container(want: Dict[str, Any], have: Optional[Dict[str, Any]]) -> bool:
    """Whether live container ``have`` holds ``want`` (resources compared as quantities)."""
    if have is None:
        return False
    body = {k: v for k, v in want.items() if k != "resources"}
    return is_subset(body, have) and same_resources(want.get("resources"), have.get("resources"))


def ports_needed(metrics_port: int) -> Dict[int, str]:
    """Ports the sidecars listen on, with what listens there."""
    return {
        LOCATION_PORT: "location (catalog list)",
        STORAGE_PORT: "storage-rest",
        metrics_port: "rhoai-normalizer metrics",
        PPROF_PORT: "rhoai-normalizer pprof",
    }


def port_conflicts(containers: Iterable[Dict[str, Any]], metrics_port: int) -> List[Tuple[str, int, str]]:
    """(container, port, what needs it) for every foreign container already using a sidecar port."""
    needed = ports_needed(metrics_port)
    conflicts = []
    for cont in containers or []:
        if cont.get("name") in SIDECAR_NAMES:
            continue
        for port in cont.get("ports") or []:
            number = port.get("containerPort")
            if number in needed:
                conflicts.append((cont.get("name"), number, needed[number]))
    return conflicts


def merge_named(existing: Optional[List[Dict[str, Any]]], desired: List[Dict[str, Any]],
                owned: Iterable[str] = ()) -> List[Dict[str, Any]]:
    """``existing`` with each desired item put in by ``name``: in place if present, appended if not.

    Keys the user added to one of the connector's containers (resources, say) are kept; the keys the
    connector sets are replaced, except ``env``, merged by name as strategic merge does on Helm
    installs: the user's own variables stay after the connector's. Items of other names keep their
    place and content.
    """
    result = [copy.deepcopy(item) for item in existing or []]
    for want in desired:
        for index, item in enumerate(result):
            if isinstance(item, dict) and item.get("name") == want["name"]:
                merged = copy.deepcopy(item)
                merged.update(copy.deepcopy(want))
                for key in owned:
                    if key not in want:
                        merged.pop(key, None)
                if isinstance(item.get("env"), list) and "env" in want:
                    ours = {e.get("name") for e in want["env"]}
                    merged["env"] = copy.deepcopy(want["env"]) + [
                        copy.deepcopy(e) for e in item["env"] if not (isinstance(e, dict) and e.get("name") in ours)]
                result[index] = merged
                break
        else:
            result.append(copy.deepcopy(want))
    return result


def remove_named(existing: Optional[List[Dict[str, Any]]], names: Iterable[str]) -> List[Dict[str, Any]]:
    """``existing`` without the items called one of ``names``."""
    names = set(names)
    return [copy.deepcopy(item) for item in existing or [] if not (isinstance(item, dict) and item.get("name") in names)]


def _dig(node: Dict[str, Any], *path: str) -> Dict[str, Any]:
    for key in path:
        child = node.get(key)
        if child is None:
            node[key] = child = {}
        node = child
    return node


def patch_pod_spec(patch: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The pod spec inside a ``spec.deployment.patch`` fragment, created if missing."""
    return _dig(patch, "spec", "template", "spec")


def patch_pod_spec_of(cr: Dict[str, Any]) -> Any:
    """The pod spec inside a Backstage CR's ``spec.deployment.patch``, as found (None when absent; not
    always a mapping: the CRD accepts any value there)."""
    return _find(cr, "spec", "deployment", "patch", "spec", "template", "spec")


def apply_operator_patch(patch: Optional[Dict[str, Any]], sidecars: List[Dict[str, Any]], state: str,
                         where: str, volumes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """A new ``spec.deployment.patch`` with the sidecars present (``state=present``) or removed, and the
    connector's pod ``volumes`` (hub and spoke: the normalizer's kubeconfig) present with them, removed otherwise.

    Everything else in the user's patch is kept. Removing the last container (or leaving only empty
    mappings behind) gives back a patch without the ``containers`` key.
    """
    result = copy.deepcopy(patch) if patch is not None else {}
    if not isinstance(result, dict):
        raise ConnectorError(
            "{0}: spec.deployment.patch must be a mapping, found a {1}".format(where, type(result).__name__),
            fix="make spec.deployment.patch a Deployment fragment (a mapping); nothing was changed",
        )
    pod = patch_pod_spec(result) if state == "present" else _find(result, "spec", "template", "spec")
    if pod is None:
        return result
    containers = pod.get("containers")
    if containers is not None and not isinstance(containers, list):
        raise ConnectorError(
            "{0}: spec.deployment.patch.spec.template.spec.containers must be a list".format(where),
            fix="make it a list of containers; nothing was changed",
        )
    live_volumes = pod.get("volumes")
    if live_volumes is not None and not isinstance(live_volumes, list):
        raise ConnectorError(
            "{0}: spec.deployment.patch.spec.template.spec.volumes must be a list".format(where),
            fix="make it a list of volumes; nothing was changed",
        )
    wanted = list(volumes or []) if state == "present" else []
    kept = remove_named(live_volumes, [KUBECONFIG_VOLUME]) if live_volumes is not None else None
    if wanted:
        pod["volumes"] = merge_named(kept, wanted)
    elif live_volumes is not None and len(kept) != len(live_volumes):
        if kept:
            pod["volumes"] = kept
        else:
            del pod["volumes"]
    if state == "present":
        pod["containers"] = merge_named(containers, sidecars, OWNED_KEYS)
    else:
        ours = [c["name"] for c in containers or [] if isinstance(c, dict) and is_connector_container(c)]
        remaining = remove_named(containers, [c["name"] for c in sidecars if c["name"] in ours])
        if remaining or containers is None:
            if containers is not None:
                pod["containers"] = remaining
        else:
            del pod["containers"]
        _prune(result, ("spec", "template", "spec"))
    return result


def _find(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _prune(root: Dict[str, Any], path: Tuple[str, ...]) -> None:
    """Remove the empty mappings along ``path``, deepest first."""
    for depth in range(len(path), 0, -1):
        parent = _find(root, *path[: depth - 1]) if depth > 1 else root
        key = path[depth - 1]
        if isinstance(parent, dict) and parent.get(key) == {}:
            del parent[key]


def app_config_refs(configmaps: Optional[List[Dict[str, Any]]], name: str, state: str) -> List[Dict[str, Any]]:
    """``spec.application.appConfig.configMaps`` with ``{name}`` present once, or absent."""
    refs = [copy.deepcopy(r) for r in configmaps or []]
    present = [r for r in refs if isinstance(r, dict) and r.get("name") == name]
    if state == "present":
        return refs if present else refs + [{"name": name}]
    return [r for r in refs if not (isinstance(r, dict) and r.get("name") == name)]


#: Pod annotation naming the model registries the pod was started with. The normalizer looks for
#: registries only when it starts, so a change of the set must restart it: the annotation changes the
#: pod template with the set, and with it only, which rolls the pod out once.
REGISTRIES_ANNOTATION = "rhdh.ai-connector/registries"
#: Hub and spoke, sidecar connector: a hash of the OpenShift AI cluster's kubeconfig the normalizer reads.
CREDENTIALS_ANNOTATION = "rhdh.ai-connector/rhoai-kubeconfig"


def registry_names(names: Optional[Iterable[Any]]) -> List[str]:
    """The registry names of ``names``: sorted, each once, blanks dropped."""
    return sorted({str(n).strip() for n in names or [] if str(n).strip()})


def registries_annotation(names: Optional[Iterable[Any]]) -> str:
    """The value of the registries annotation: the names sorted, comma-separated (readable in
    ``kubectl describe``). The same set gives the same value, in whatever order it was given."""
    return ",".join(registry_names(names))


def registries_in(value: Optional[str]) -> List[str]:
    """The registry names an annotation value holds (none for a missing annotation)."""
    return registry_names(str(value).split(",")) if value else []


def registries_diff(before: Optional[str], after: Optional[str]) -> str:
    """What changed between two values of the registries annotation (None: no annotation), as
    ``+ team-b, - registry-prod``: the names added, then those removed, each sorted; empty when the
    two hold the same set."""
    old, new = set(registries_in(before)), set(registries_in(after))
    return ", ".join(["+ " + n for n in sorted(new - old)] + ["- " + n for n in sorted(old - new)])


def rollout_reason(before: Optional[List[Dict[str, Any]]], after: Optional[List[Dict[str, Any]]],
                   registries_before: Optional[str], registries_after: Optional[str], other: Iterable[str] = ()) -> str:
    """Why the pod template changed, so that the pod rolls out (empty: it did not change), from the
    connector's sidecars before and after, the registries annotation before and after (None: none)
    and ``other`` reasons (app-config, plugins). The registries count only while the sidecars stay:
    a pod that gets them (or loses them) rolls out for that, and its normalizer starts afresh."""
    parts = []
    if after and not before:
        parts.append("sidecars added")
    elif before and not after:
        parts.append("sidecars removed")
    elif before != after:
        parts.append("sidecars updated")
    if registries_before != registries_after:
        if before and after:
            diff = registries_diff(registries_before, registries_after)
            parts.append("registries changed: " + diff if diff else "registries recorded: none")
        elif not parts:
            parts.append("pod annotation {0} {1}".format(REGISTRIES_ANNOTATION, "removed" if registries_after is None else "set"))
    parts.extend(r for r in other if r)
    return "; ".join(parts)


def pod_annotations_of_patch(patch: Any) -> Dict[str, Any]:
    """The pod template annotations of a ``spec.deployment.patch`` (empty when it has none)."""
    found = _find(patch, "spec", "template", "metadata", "annotations")
    return found if isinstance(found, dict) else {}


def set_patch_annotation(patch: Optional[Dict[str, Any]], key: str, value: Optional[str], where: str) -> Dict[str, Any]:
    """A new ``spec.deployment.patch`` whose pod template has annotation ``key`` set to ``value``, or
    removed (``value`` None). The user's annotations and the rest of the patch are kept; a removal
    drops the mappings it leaves empty, so that a patch without the annotation is given back as it was."""
    result = copy.deepcopy(patch) if patch is not None else {}
    if not isinstance(result, dict):
        raise ConnectorError(
            "{0}: spec.deployment.patch must be a mapping, found a {1}".format(where, type(result).__name__),
            fix="make spec.deployment.patch a Deployment fragment (a mapping); nothing was changed",
        )
    path = ("spec", "template", "metadata", "annotations")
    for depth in range(1, len(path) + 1):
        node = _find(result, *path[:depth])
        if node is not None and not isinstance(node, dict):
            raise ConnectorError(
                "{0}: spec.deployment.patch.{1} must be a mapping, found a {2}".format(where, ".".join(path[:depth]), type(node).__name__),
                fix="make it a mapping; nothing was changed",
            )
    if value is not None:
        _dig(result, *path)[key] = value
        return result
    annotations = _find(result, *path)
    if annotations is not None and key in annotations:
        del annotations[key]
        _prune(result, path)
    return result


def helm_extra_app_configs(pod_spec: Dict[str, Any]) -> List[Dict[str, str]]:
    """The ``upstream.backstage.extraAppConfig`` entries a chart-rendered pod holds, in ``--config``
    order: each backstage-backend file ``<working dir>/<filename>`` mounted with subPath
    ``<filename>`` from a volume named after its ConfigMap, and passed with ``--config``. That is
    the one shape the chart renders for an entry; the chart's own ``appConfig`` (volume
    ``backstage-app-config``) does not have it."""
    backend = next((c for c in pod_spec.get("containers") or [] if c.get("name") == BACKEND_CONTAINER), {})
    volumes = {v.get("name"): v for v in pod_spec.get("volumes") or [] if isinstance(v, dict)}
    mounts = {m.get("mountPath"): m for m in backend.get("volumeMounts") or []}
    entries = []
    for path in config_files(backend):
        mount = mounts.get(path) or {}
        source = ((volumes.get(mount.get("name")) or {}).get("configMap") or {}).get("name")
        filename = mount.get("subPath")
        if source and source == mount.get("name") and filename and path == app_config_path(filename):
            entry = {"configMapRef": source, "filename": filename}
            if entry not in entries:
                entries.append(entry)
    return entries


def helm_values(containers: List[Dict[str, Any]], app_config_configmap: Optional[str] = None,
                app_config_key: str = "app-config.rhoai-connector.yaml",
                extra_app_configs: Optional[List[Dict[str, str]]] = None,
                pod_annotations: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """The chart values that make the sidecars (and the app-config file) survive ``helm upgrade``.

    ``containers`` is the whole ``extraContainers`` list (Helm replaces lists): the pod's other
    extra containers and the connector's; likewise ``extra_app_configs`` is the whole
    ``extraAppConfig`` list found on the pod (helm_extra_app_configs()), to which the connector's
    entry is added once. The chart renders ``extraAppConfig`` exactly as
    helm_app_config_wiring() patches the live Deployment (volume named after the ConfigMap, file
    ``<working dir>/<filename>`` mounted with subPath ``<filename>``, ``--config`` that file), so
    ``helm upgrade -f`` these values leaves one mount and one ``--config`` of the file.
    ``pod_annotations`` (the registries annotation) go to ``podAnnotations``, a mapping Helm merges
    with the chart's own (its ``checksum/dynamic-plugins``) and the user's.
    """
    backstage = {"extraContainers": copy.deepcopy(containers)}  # type: Dict[str, Any]
    if pod_annotations:
        backstage["podAnnotations"] = dict(pod_annotations)
    entries = [dict(e) for e in extra_app_configs or []]
    if app_config_configmap:
        mine = {"configMapRef": app_config_configmap, "filename": app_config_key}
        entries = [e for e in entries if e.get("configMapRef") != app_config_configmap] + [mine]
    if entries:
        backstage["extraAppConfig"] = entries
    return {"upstream": {"backstage": backstage}}


def app_config_clashes(pod_spec: Dict[str, Any], configmap: str, key: str, volume_name: Optional[str] = None) -> List[str]:
    """Why the connector's app-config file cannot join this pod, one reason each: the file's path is
    already mounted in backstage-backend from something other than the connector's ConfigMap (the
    user's file would be hidden, or would hide the connector's), or (``volume_name``, Helm installs)
    a volume of that name already holds something else."""
    path = app_config_path(key)
    volumes = {v.get("name"): v for v in pod_spec.get("volumes") or [] if isinstance(v, dict)}
    backend = next((c for c in pod_spec.get("containers") or [] if c.get("name") == BACKEND_CONTAINER), {})
    reasons = []
    for mount in backend.get("volumeMounts") or []:
        if mount.get("mountPath") != path:
            continue
        source = (volumes.get(mount.get("name")) or {}).get("configMap") or {}
        if source.get("name") != configmap or (mount.get("subPath") or key) != key:
            reasons.append("container {0} already mounts {1} from volume {2}".format(BACKEND_CONTAINER, path, mount.get("name")))
    if volume_name and volume_name in volumes:
        source = volumes[volume_name].get("configMap") or {}
        if source.get("name") != configmap:
            reasons.append("volume {0} already exists and holds {1}".format(
                volume_name, "ConfigMap " + source["name"] if source.get("name") else "something other than ConfigMap " + configmap))
    return reasons


def config_files(container: Dict[str, Any]) -> List[str]:
    """The files a Backstage container is started with (each ``--config``), as absolute paths."""
    args = list((container.get("command") or [])[1:]) + list(container.get("args") or [])
    workdir = container.get("workingDir") or WORKING_DIR
    files = []
    for index, arg in enumerate(args):
        value = args[index + 1] if arg == "--config" and index + 1 < len(args) else (
            arg.split("=", 1)[1] if str(arg).startswith("--config=") else None)
        if value:
            files.append(posixpath.normpath(posixpath.join(workdir, value)))
    return files


def app_config_file_problems(pod_spec: Dict[str, Any], expected: List[Tuple[str, str, str]]) -> List[str]:
    """What keeps backstage-backend from reading its app-config files, one line each: a path mounted
    more than once (the later mount hides the earlier file), and each expected ``(ConfigMap, key,
    path)`` not mounted from that ConfigMap key or not passed with ``--config``."""
    backend = next((c for c in pod_spec.get("containers") or [] if c.get("name") == BACKEND_CONTAINER), {})
    volumes = {v.get("name"): v for v in pod_spec.get("volumes") or [] if isinstance(v, dict)}
    by_path = {}  # type: Dict[str, List[Dict[str, Any]]]
    for mount in backend.get("volumeMounts") or []:
        by_path.setdefault(mount.get("mountPath"), []).append(mount)
    problems = ["{0} is mounted {1} times in {2} (volumes {3}): one file hides the other".format(
        path, len(mounts), BACKEND_CONTAINER, ", ".join(str(m.get("name")) for m in mounts))
        for path, mounts in sorted(by_path.items()) if len(mounts) > 1]
    passed = set(config_files(backend))
    for configmap, key, path in expected:
        sources = [((volumes.get(m.get("name")) or {}).get("configMap") or {}).get("name") for m in by_path.get(path, [])
                   if (m.get("subPath") or key) == key]
        if configmap not in sources:
            instead = ["ConfigMap {0} key {1}".format(
                ((volumes.get(m.get("name")) or {}).get("configMap") or {}).get("name"), m.get("subPath") or "*")
                for m in by_path.get(path, [])]
            problems.append("{0} (ConfigMap {1} key {2}) is not mounted in {3}{4}".format(
                path, configmap, key, BACKEND_CONTAINER,
                ": {0} is mounted there instead and hides it".format(" and ".join(instead)) if instead else ""))
        if path not in passed:
            problems.append("{0} (ConfigMap {1} key {2}) is not passed with --config".format(path, configmap, key))
    return problems


def app_config_path(key: str) -> str:
    """Where the app-config file of ConfigMap key ``key`` is mounted in backstage-backend."""
    return "{0}/{1}".format(WORKING_DIR, key)


def helm_app_config_wiring(pod_spec: Dict[str, Any], configmap: str, key: str, state: str) -> Dict[str, Any]:
    """Strategic-merge fragments that mount the app-config ConfigMap into backstage-backend.

    Returns ``{"volumes": [...], "container": {...}}``: a volume named after the ConfigMap, the file
    ``<working dir>/<key>`` mounted with subPath ``<key>``, and ``--config <file>`` appended to the
    container's args (``args`` is an atomic list in strategic merge, so the whole list is sent).
    This is what the chart renders for ``extraAppConfig: [{configMapRef: <configmap>, filename:
    <key>}]`` (helm_values()), field for field, so the live patch and the values never disagree.
    """
    backend = next((c for c in pod_spec.get("containers") or [] if c.get("name") == BACKEND_CONTAINER), None)
    if backend is None:
        raise ConnectorError(
            "the pod has no container {0}".format(BACKEND_CONTAINER),
            fix="point the collection at the RHDH workload (its main container is {0})".format(BACKEND_CONTAINER),
        )
    path = app_config_path(key)
    args = list(backend.get("args") or [])
    pairs = [i for i in range(len(args) - 1) if args[i] == "--config" and args[i + 1] == path]
    volume_name = configmap
    if state == "present":
        if not pairs:
            args += ["--config", path]
        return {
            "volumes": [{"name": volume_name, "configMap": {"name": configmap}}],
            "container": {
                "name": BACKEND_CONTAINER,
                "args": args,
                "volumeMounts": [{"name": volume_name, "mountPath": path, "subPath": key}],
            },
        }
    for index in reversed(pairs):
        del args[index:index + 2]
    return {
        "volumes": [{"name": volume_name, "$patch": "delete"}],
        "container": {
            "name": BACKEND_CONTAINER,
            "args": args,
            "volumeMounts": [{"mountPath": path, "$patch": "delete"}],
        },
    }


def is_subset(want: Any, have: Any) -> bool:
    """True when every key of ``want`` is in ``have`` with an equal value (recursively).

    Used to compare a desired container with a live one the API server has defaulted. Lists of
    named items (env, ports, containers) match by name, as strategic merge merges them, so items a
    user added next to the wanted ones do not count as a difference; other lists match item by item.
    """
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and is_subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(have, list):
            return False
        if want and all(isinstance(w, dict) and "name" in w for w in want):
            named = {h.get("name"): h for h in have if isinstance(h, dict)}
            return all(w["name"] in named and is_subset(w, named[w["name"]]) for w in want)
        return len(want) == len(have) and all(is_subset(w, h) for w, h in zip(want, have))
    return want == have
