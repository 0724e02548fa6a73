"""What the RHDH pod really runs: checks on a workload's rendered pod template.

The tests assert on what the operator or the chart rendered from the collection's writes, not on
the writes themselves: every app-config file the user had is still mounted and still passed with
``--config``, no volume name and no mount path within a container is there twice, and the
connector's file and sidecars are there. Pure functions over the workload as the API returns it.
"""

from __future__ import annotations

import posixpath
from typing import Any

BACKEND = "backstage-backend"
WORKING_DIR = "/opt/app-root/src"
CONNECTOR_FILE = f"{WORKING_DIR}/app-config.rhoai-connector.yaml"
CONNECTOR_SIDECARS = ("location", "storage-rest", "rhoai-normalizer")

Obj = dict[str, Any]


def pod_spec(workload: Obj) -> Obj:
    """The pod spec of a Deployment or StatefulSet."""
    return workload.get("spec", {}).get("template", {}).get("spec", {})


def backend(workload: Obj) -> Obj:
    """The backstage-backend container ({} when there is none)."""
    return next((c for c in pod_spec(workload).get("containers", []) if c.get("name") == BACKEND), {})


def config_files(workload: Obj) -> list[str]:
    """The files backstage-backend is started with (``--config``), as absolute paths."""
    container = backend(workload)
    args = list(container.get("command", [])[1:]) + list(container.get("args", []))
    workdir = container.get("workingDir") or WORKING_DIR
    files = []
    for index, arg in enumerate(args):
        value = None
        if arg == "--config" and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--config="):
            value = arg.split("=", 1)[1]
        if value:
            files.append(posixpath.normpath(posixpath.join(workdir, value)))
    return files


def configmap_files(workload: Obj) -> dict[str, tuple[str, str]]:
    """backstage-backend's files that come from one key of a ConfigMap: mount path -> (ConfigMap, key).
    A whole ConfigMap mounted as a folder counts as its folder, key ``*``."""
    volumes = {v.get("name"): v for v in pod_spec(workload).get("volumes", [])}
    files = {}
    for mount in backend(workload).get("volumeMounts", []):
        source = (volumes.get(mount.get("name")) or {}).get("configMap")
        if source is None:
            continue
        files[mount["mountPath"]] = (source.get("name", ""), mount.get("subPath") or "*")
    return files


def duplicates(workload: Obj) -> list[str]:
    """Volume names declared twice, and mount paths used twice within one container."""
    spec = pod_spec(workload)
    found = []
    names = [v.get("name") for v in spec.get("volumes", [])]
    found += [f"volume {name} is declared {names.count(name)} times" for name in sorted(set(names)) if names.count(name) > 1]
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        paths = [m.get("mountPath") for m in container.get("volumeMounts", [])]
        found += [
            f"container {container.get('name')} mounts {path} {paths.count(path)} times"
            for path in sorted(set(paths)) if paths.count(path) > 1
        ]
        ports = [p.get("containerPort") for p in container.get("ports", [])]
        found += [f"container {container.get('name')} declares port {port} twice" for port in sorted(set(ports)) if ports.count(port) > 1]
    return found


OPERATOR_OWNED = "backstage-appconfig-"  # the RHDH operator's own default app-config ConfigMaps


def user_app_configs(workload: Obj, connector_configmap: str | None = None) -> dict[str, tuple[str, str]]:
    """The app-config files of backstage-backend that come from a ConfigMap and are passed with
    ``--config``, except the connector's and the operator's own defaults (``backstage-appconfig-*``,
    which an operator upgrade may rename): mount path -> (ConfigMap, key)."""
    passed = set(config_files(workload))
    return {
        path: source
        for path, source in configmap_files(workload).items()
        if path in passed and source[0] != connector_configmap and not source[0].startswith(OPERATOR_OWNED)
    }


def problems(
    before: Obj,
    after: Obj,
    *,
    connector_configmap: str | None = None,
    connector: bool = True,
) -> list[str]:
    """What is wrong with workload ``after`` (the rendering after the collection ran) compared with
    ``before`` (the rendering before it ever ran): a user's app-config file no longer mounted from
    the same ConfigMap key or no longer passed with ``--config``, duplicate volume names or mount
    paths, and (``connector``) the connector's file or sidecars missing; (not ``connector``) any of
    them left."""
    found = duplicates(after)
    mounted_after = configmap_files(after)
    passed_after = set(config_files(after))
    for path, source in user_app_configs(before, connector_configmap).items():
        if mounted_after.get(path) != source:
            now = mounted_after.get(path)
            found.append(
                f"the user's app-config {path} (ConfigMap {source[0]} key {source[1]}) is no longer mounted"
                + (f": ConfigMap {now[0]} key {now[1]} is mounted there instead" if now else "")
            )
        if path not in passed_after:
            found.append(f"the user's app-config {path} is no longer passed with --config")
    names = [c.get("name") for c in pod_spec(after).get("containers", [])]
    if connector:
        if CONNECTOR_FILE not in passed_after:
            found.append(f"{CONNECTOR_FILE} is not passed with --config")
        if CONNECTOR_FILE not in mounted_after:
            found.append(f"{CONNECTOR_FILE} is not mounted from a ConfigMap")
        elif connector_configmap and mounted_after[CONNECTOR_FILE][0] != connector_configmap:
            found.append(f"{CONNECTOR_FILE} comes from ConfigMap {mounted_after[CONNECTOR_FILE][0]}, not {connector_configmap}")
        found += [f"sidecar {name} is missing" for name in CONNECTOR_SIDECARS if name not in names]
    else:
        if CONNECTOR_FILE in passed_after or CONNECTOR_FILE in mounted_after:
            found.append(f"{CONNECTOR_FILE} is still mounted or passed with --config")
        found += [f"sidecar {name} is still there" for name in CONNECTOR_SIDECARS if name in names]
    return found
