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

from typing import Any, Dict, List, Optional

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


#: The plugin-only connector's (RHDH 2.x) provider: ``catalog.providers.modelCatalog.<this>.<cluster key>``.
KSERVE_PROVIDER = "kserve-kubeflow-connector"
#: Where the token reaches the backend container: the RHDH operator names an environment variable
#: taken from one key of a Secret (``spec.application.extraEnvs.secrets``) after that key.
TOKEN_ENV = "token"
#: The cluster entry's key and ``name`` when none is given.
DEFAULT_CLUSTER = "rhoai"


def kserve_entry(name: str, url: str, ca_data: Optional[str], catalog_url: Optional[str], owner: Optional[str],
                 lifecycle: Optional[str], token_env: str = TOKEN_ENV) -> Dict[str, Any]:
    """The provider entry of one OpenShift AI cluster; the token by reference to an environment
    variable (``${token}``), never the token itself."""
    entry = {"name": name, "url": url, "serviceAccountToken": "${%s}" % token_env, "skipTLSVerify": False}
    if ca_data:
        entry["caData"] = ca_data
    if catalog_url:
        entry["kubeflow-model-catalog-url"] = catalog_url
    if owner:
        entry["default-owner"] = owner
    if lifecycle:
        entry["default-lifecycle"] = lifecycle
    return entry


def ensure_kserve(doc: Dict[str, Any], key: str, entry: Optional[Dict[str, Any]], rules: Optional[List[Any]],
                  sidecar_provider: Optional[str], state: str, where: str) -> List[str]:
    """The plugin-only connector's part of ``doc``, in place; one line per change.

    ``present``: the cluster ``key`` under the kserve provider set to ``entry``, ``catalog.rules`` set
    to ``rules`` (None leaves them), and the sidecar connector's ``baseUrl`` entry (``sidecar_provider``)
    removed, which is the move from the sidecars. ``absent``: the cluster entry removed, and
    ``catalog.rules`` with it when ``rules`` is given (the collection wrote them)."""
    path = list(PROVIDER_PATH) + [KSERVE_PROVIDER]
    changes = []  # type: List[str]
    if state == "present":
        provider = _walk(doc, path, where, create=True)
        if provider.get(key) != entry:
            changes.append("{0} {1}.{2}".format("updated" if key in provider else "set", ".".join(path), key))
            provider[key] = entry
        if rules is not None:
            catalog = _walk(doc, ["catalog"], where, create=True)
            if catalog.get("rules") != rules:
                catalog["rules"] = rules
                changes.append("set catalog.rules to allow kind AiModelServerAPI ({0} rules)".format(len(rules)))
        if sidecar_provider and get_base_url(doc, sidecar_provider) is not None:
            changes += [line + " (the sidecar connector's entry)" for line in
                        ensure_base_url(doc, sidecar_provider, "", "absent", where)]
        return changes
    parent = _walk(doc, path, where, create=False)
    if parent is not None and key in parent:
        del parent[key]
        changes.append("removed {0}.{1}".format(".".join(path), key))
        _prune_empty(doc, path, where)
    catalog = _walk(doc, ["catalog"], where, create=False)
    if rules is not None and catalog is not None and "rules" in catalog:
        del catalog["rules"]
        changes.append("removed catalog.rules")
        _prune_empty(doc, ["catalog"], where)
    return changes


def _prune_empty(doc: Dict[str, Any], path: List[str], where: str) -> None:
    for depth in range(len(path), 0, -1):
        node = _walk(doc, path[:depth], where, create=False)
        if node == {}:
            parent = _walk(doc, path[: depth - 1], where, create=False) if depth > 1 else doc
            del parent[path[depth - 1]]
        else:
            break


def get_kserve(doc: Any, key: str) -> Any:
    """The kserve provider's entry for cluster ``key``, or None."""
    node = doc
    for part in list(PROVIDER_PATH) + [KSERVE_PROVIDER, key]:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
