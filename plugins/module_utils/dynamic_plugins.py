# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for the ``dynamic-plugins.yaml`` document RHDH reads its plugin list from.

RHDH's plugin installer identifies an OCI plugin by its package without the tag
(``oci://<repo>:!<path>``) and fails on two entries with the same identity. It unpacks the plugin
into a folder named by ``<path>``, so the same plugin pulled from a mirror (another registry host)
lands in the same folder. So entries are matched here by the tag-less name, whatever the registry
(``plugin_name``): a new tag or registry updates the entry in place, every other entry, the
``includes`` list and unknown keys are kept, and duplicates left by other tools are folded into one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

CONFIG_KEY = "dynamic-plugins.yaml"
DEFAULT_INCLUDES = ["dynamic-plugins.default.yaml"]
OCI_PREFIX = "oci://"
EXPORT_OVERLAYS = "ghcr.io/redhat-developer/rhdh-plugin-export-overlays"

#: The sidecar connector's plugins (RHDH 1.8-1.10), by their short name.
CONNECTOR_PLUGINS = ("catalog-backend-module-model-catalog", "catalog-techdoc-url-reader-backend")
#: The plugin-only connector's plugins (RHDH 2.x): the connector itself, the AiModelServerAPI kind, the
#: entity provider (1.0: no baseUrl) and the model-card reader. Two of them are the sidecar connector's
#: plugins at newer tags, so the move from the sidecars updates those entries in place.
PLUGIN_ONLY_PLUGINS = ("kserve-kubeflow-connector-backend", "catalog-backend-module-ai-model-server",
                       "catalog-backend-module-model-catalog", "catalog-techdoc-url-reader-backend")
#: Every plugin either connector installs (what an uninstall looks for when the release is not known).
ALL_CONNECTOR_PLUGINS = tuple(dict.fromkeys(PLUGIN_ONLY_PLUGINS + CONNECTOR_PLUGINS))

_NPM_VERSION = re.compile(r"^(@?[^@]+)@[^/]+$")


def plugin_package(short_name: str, tag: str, registry: str = EXPORT_OVERLAYS) -> str:
    """The OCI package string of one of the connector's plugins."""
    path = "red-hat-developer-hub-backstage-plugin-{0}".format(short_name)
    return "{0}{1}/{2}:{3}!{2}".format(OCI_PREFIX, registry.rstrip("/"), path, tag)


def connector_packages(tags: Dict[str, str], registry: str = EXPORT_OVERLAYS) -> List[str]:
    """The connector's packages for ``tags`` = {short name: tag}, in the order of ``tags``."""
    return [plugin_package(name, tag, registry) for name, tag in tags.items()]


def _split_oci(ref: str) -> Tuple[str, Optional[str]]:
    """``host/path:tag@digest!sub`` -> (``host/path``, ``sub`` or None)."""
    body, _bang, sub = ref.partition("!")
    body = body.split("@", 1)[0]
    head, slash, last = body.rpartition("/")
    last = last.split(":", 1)[0]  # the tag; a registry port sits before the last '/'
    repo = head + slash + last
    return repo, (sub or None)


def plugin_identity(package: Any) -> str:
    """The identity RHDH's installer gives a package: OCI without tag or digest, npm without version.

    ``oci://r/img:1.0!img`` and ``oci://r/img:2.0`` (newer installers infer the path from the image
    name) are the same plugin: ``oci://r/img:!img``.
    """
    text = str(package).strip()
    if text.startswith(OCI_PREFIX):
        repo, sub = _split_oci(text[len(OCI_PREFIX):])
        return "{0}{1}:!{2}".format(OCI_PREFIX, repo, sub or repo.rsplit("/", 1)[-1])
    if text.startswith((".", "/")):
        return text.rstrip("/")
    match = _NPM_VERSION.match(text)
    return match.group(1) if match else text


def plugin_name(package: Any) -> str:
    """What entries are matched by: the tag-less name of a plugin, whatever the registry host.

    ``oci://ghcr.io/org/img:1.0!img`` and ``oci://mirror.example.com/rhdh/img:2.0`` are the same
    plugin (``oci:!img``): a disconnected install that mirrors the plugins updates the entry in
    place instead of adding a second one the installer would refuse. npm and local packages: as
    ``plugin_identity``.
    """
    identity = plugin_identity(package)
    if identity.startswith(OCI_PREFIX):
        return "oci:!" + identity.rpartition(":!")[2]
    return identity


def new_document() -> Dict[str, Any]:
    """A fresh user document, as RHDH expects it: the defaults included, no plugin yet."""
    return {"includes": list(DEFAULT_INCLUDES), "plugins": []}


def validate(doc: Any, where: str) -> Any:
    """Check the shape of a parsed document; ``where`` names ConfigMap and key for the message."""
    if doc is None:
        return new_document()
    if not isinstance(doc, dict):
        raise ConnectorError(
            "{0} must hold a YAML mapping with a 'plugins' list, found a {1}".format(where, type(doc).__name__),
            fix="make the document a mapping (includes: [...], plugins: [...]); nothing was changed",
        )
    plugins = doc.get("plugins")
    if plugins is not None and not isinstance(plugins, list):
        raise ConnectorError(
            "{0}: 'plugins' must be a list, found a {1}".format(where, type(plugins).__name__),
            fix="turn 'plugins' into a list of entries with a 'package' key; nothing was changed",
        )
    for index, entry in enumerate(plugins or []):
        if not isinstance(entry, dict) or not entry.get("package"):
            raise ConnectorError(
                "{0}: plugins[{1}] has no 'package'".format(where, index),
                fix="give every entry of 'plugins' a 'package' (or remove the entry); nothing was changed",
            )
    return doc


def _entries(doc: Dict[str, Any]) -> List[Dict[str, Any]]:
    if doc.get("plugins") is None:
        doc["plugins"] = []
    return doc["plugins"]


def ensure_plugins(doc: Dict[str, Any], desired: List[Dict[str, Any]], state: str = "present") -> List[str]:
    """Bring ``doc`` (validated, edited in place) to ``state`` for each desired entry.

    ``desired`` entries carry ``package`` and optionally ``pluginConfig``. ``present``: the entry
    exists once, with that package (tag), ``disabled: false`` and the given ``pluginConfig`` keys;
    ``disabled``: it exists once with ``disabled: true``; ``absent``: no entry of that identity is
    left. Returns one human-readable line per change.
    """
    if state not in ("present", "disabled", "absent"):
        raise ValueError("state must be present, disabled or absent")
    if state == "absent" and not doc.get("plugins"):
        return []
    entries = _entries(doc)
    changes = []  # type: List[str]
    for want in desired:
        name = plugin_name(want["package"])
        matches = [i for i, entry in enumerate(entries) if plugin_name(entry.get("package", "")) == name]
        if state == "absent":
            for index in reversed(matches):
                changes.append("removed {0}".format(entries[index]["package"]))
                del entries[index]
            continue
        for index in reversed(matches[1:]):
            changes.append("removed duplicate {0}".format(entries[index]["package"]))
            del entries[index]
        if not matches:
            if state == "disabled":
                continue  # nothing to disable; not adding a plugin only to switch it off
            entry = {"package": want["package"], "disabled": False}
            if want.get("pluginConfig") is not None:
                entry["pluginConfig"] = copy.deepcopy(want["pluginConfig"])
            entries.append(entry)
            changes.append("added {0}".format(want["package"]))
            continue
        changes.extend(_update_entry(entries[matches[0]], want, state))
    return changes


def _update_entry(entry: Dict[str, Any], want: Dict[str, Any], state: str) -> List[str]:
    changes = []
    if state == "present" and entry.get("package") != want["package"]:
        changes.append("updated {0} to {1}".format(entry.get("package"), want["package"]))
        entry["package"] = want["package"]
    disabled = state == "disabled"
    if bool(entry.get("disabled", False)) != disabled:
        changes.append("{0} {1}".format("disabled" if disabled else "enabled", entry["package"]))
        entry["disabled"] = disabled
    if state == "present" and want.get("pluginConfig") is not None:
        config = entry.get("pluginConfig")
        if not isinstance(config, dict):
            entry["pluginConfig"] = config = {}
        for key, value in want["pluginConfig"].items():
            if config.get(key) != value:
                config[key] = copy.deepcopy(value)
                changes.append("set pluginConfig.{0} of {1}".format(key, entry["package"]))
    return changes


def find_plugins(doc: Any, packages: List[str]) -> Dict[str, Optional[Dict[str, Any]]]:
    """For each package, the entry of the same plugin (``plugin_name``) in ``doc`` (or None)."""
    entries = (doc or {}).get("plugins") or [] if isinstance(doc, dict) else []
    found = {}  # type: Dict[str, Optional[Dict[str, Any]]]
    for package in packages:
        name = plugin_name(package)
        found[package] = next(
            (e for e in entries if isinstance(e, dict) and plugin_name(e.get("package", "")) == name), None
        )
    return found


# ----- what was there before the install -----------------------------------------------------
# The collection records, per plugin (``plugin_name``), whether it added the entry (None) or found
# one the user had written (the entry as it was). ``state=absent`` then removes what it added and
# gives the user's entries their content back. The record lives in an annotation of the ConfigMap.

#: Annotation of the plugin ConfigMap holding the record, as JSON.
RECORD_ANNOTATION = "rhdh.ai-connector/plugin-entries"


def load_record(text: Any) -> Dict[str, Any]:
    """The record read from the annotation's value (an unreadable one counts as no record)."""
    try:
        record = json.loads(text) if text else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def dump_record(record: Dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def record_entries(doc: Dict[str, Any], desired: List[Dict[str, Any]], record: Dict[str, Any],
                   state: str = "present", adopt: bool = True) -> Dict[str, Any]:
    """The record once ``desired`` is merged into ``doc`` with ``state`` (call before merging).

    A plugin already recorded keeps its record. Otherwise: an entry found in ``doc`` is the user's
    and is recorded as it is (``adopt=False``: it was added by a version of the collection that kept
    no record, so it counts as added); none found means the merge adds it (``present`` only).
    """
    record = copy.deepcopy(record)
    entries = doc.get("plugins") or []
    for want in desired:
        name = plugin_name(want["package"])
        if name in record:
            continue
        found = next((e for e in entries if isinstance(e, dict) and plugin_name(e.get("package", "")) == name), None)
        if found is not None:
            record[name] = copy.deepcopy(found) if adopt else None
        elif state == "present":
            record[name] = None
    return record


def restore_entries(doc: Dict[str, Any], desired: List[Dict[str, Any]], record: Dict[str, Any]) -> List[str]:
    """Undo the install in ``doc`` (edited in place): entries the collection added are removed,
    those it found get their recorded content back where they are. A plugin with no record counts
    as added. Returns one line per change."""
    names = []  # type: List[str]
    for name in [plugin_name(w["package"]) for w in desired] + sorted(record):
        if name not in names:
            names.append(name)
    if not doc.get("plugins"):
        return []
    entries = doc["plugins"]
    changes = []  # type: List[str]
    for name in names:
        matches = [i for i, e in enumerate(entries) if isinstance(e, dict) and plugin_name(e.get("package", "")) == name]
        original = record.get(name)
        keep = matches[:1] if isinstance(original, dict) and matches else []
        for index in reversed(matches):
            if index in keep:
                continue
            changes.append("removed {0}".format(entries[index]["package"]))
            del entries[index]
        if keep and entries[keep[0]] != original:
            _set_to(entries[keep[0]], original)
            changes.append("restored {0} as it was before the install".format(original.get("package")))
    return changes


def _set_to(entry: Dict[str, Any], original: Dict[str, Any]) -> None:
    """Make ``entry`` equal ``original`` key by key (what stays equal keeps its place and comments)."""
    for key in [k for k in entry if k not in original]:
        del entry[key]
    for key, value in original.items():
        if key not in entry or entry[key] != value:
            entry[key] = copy.deepcopy(value)
