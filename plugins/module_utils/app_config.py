# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for the connector's app-config entry.

The entity provider reads ``catalog.providers.modelCatalog.<provider id>.baseUrl``. Backstage
deep-merges every ``--config`` file, so the entry can live in any app-config document; this module
sets or removes exactly that key and keeps every other key of the document.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List

from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

# The connector's own file name, used as its ConfigMap key: the RHDH operator mounts every key of every
# app-config ConfigMap at /opt/app-root/src/<key> (and Helm's extraAppConfig mounts <filename> there),
# so a key another ConfigMap uses (users' is app-config.yaml, as the product documentation has them
# create it) would hide that file in the pod.
CONFIG_KEY = "app-config.rhoai-connector.yaml"
# Keys earlier versions of the collection used in the ConfigMap it owns; moved to CONFIG_KEY.
LEGACY_CONFIG_KEYS = ("app-config.yaml",)
PROVIDER_PATH = ("catalog", "providers", "modelCatalog")
DEFAULT_PROVIDER_ID = "development"
DEFAULT_BASE_URL = "http://localhost:9090"


def deep_merge(base: Any, overlay: Any) -> Any:
    """Backstage's merge of two config documents: mappings merge key by key, the rest is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else value
        return merged
    return overlay


def validate(doc: Any, where: str) -> Dict[str, Any]:
    """The parsed document as a mapping (an empty document is an empty mapping)."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConnectorError(
            "{0} must hold a YAML mapping, found a {1}".format(where, type(doc).__name__),
            fix="make the app-config document a mapping; nothing was changed",
        )
    return doc


def _walk(doc: Dict[str, Any], path: List[str], where: str, create: bool) -> Any:
    node = doc
    for depth, key in enumerate(path):
        child = node.get(key)
        if child is None:
            if not create:
                return None
            node[key] = child = {}
        if not isinstance(child, dict):
            raise ConnectorError(
                "{0}: '{1}' must be a mapping, found a {2}".format(where, ".".join(path[: depth + 1]), type(child).__name__),
                fix="make '{0}' a mapping or point the collection at another app-config; nothing was changed".format(
                    ".".join(path[: depth + 1])
                ),
            )
        node = child
    return node


def ensure_base_url(doc: Dict[str, Any], provider_id: str, base_url: str, state: str, where: str) -> List[str]:
    """Set (``present``) or remove (``absent``) the provider's ``baseUrl`` in ``doc``, in place.

    On removal the provider entry goes, and so do the parent mappings that are left empty.
    Returns one line per change.
    """
    path = list(PROVIDER_PATH) + [provider_id]
    if state == "present":
        provider = _walk(doc, path, where, create=True)
        if provider.get("baseUrl") == base_url:
            return []
        before = provider.get("baseUrl")
        provider["baseUrl"] = base_url
        return ["set {0}.baseUrl to {1}{2}".format(".".join(path), base_url, "" if before is None else " (was {0})".format(before))]
    if state != "absent":
        raise ValueError("state must be present or absent")
    parent = _walk(doc, path[:-1], where, create=False)
    if parent is None or provider_id not in parent:
        return []
    del parent[provider_id]
    for depth in range(len(path) - 1, 0, -1):  # prune the mappings the removal left empty
        node = _walk(doc, path[:depth], where, create=False)
        if node == {}:
            del _walk(doc, path[: depth - 1], where, create=False)[path[depth - 1]]
        else:
            break
    return ["removed {0}".format(".".join(path))]


def get_base_url(doc: Any, provider_id: str) -> Any:
    """The configured ``baseUrl`` of the provider, or None."""
    node = doc
    for key in list(PROVIDER_PATH) + [provider_id, "baseUrl"]:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
