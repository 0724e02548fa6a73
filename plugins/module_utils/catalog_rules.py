# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``catalog.rules`` across the app-config files RHDH starts with. Pure, no I/O.

The plugin-only connector (RHDH 2.x) makes entities of kind ``AiModelServerAPI``, which the catalog
accepts only when ``catalog.rules`` allows it. Backstage merges its ``--config`` files in order, key
by key, but a list in a later file replaces the list of an earlier one: so the connector's file holds
the rules in effect without it (the user's, or RHDH's own when no file sets any) plus that kind, and a
file read after the connector's that sets rules without the kind takes it away again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import posixpath
from typing import Any, Dict, List, Optional, Tuple

KIND = "AiModelServerAPI"
#: RHDH's own rules, from the app-config.yaml its image starts with (redhat-developer/rhdh
#: app-config.yaml, ``catalog.rules``): in effect when no later file sets any.
DEFAULT_RULES = [{"allow": ["Component", "System", "Group", "Resource", "Location", "Template", "API"]}]
DEFAULT_SOURCE = "RHDH's own app-config.yaml in the image"
#: The file RHDH's plugin installer writes from the ``pluginConfig`` of the enabled plugins.
DYNAMIC_PLUGINS_FILE = "app-config.dynamic-plugins.yaml"


def rules_of(doc: Any) -> Optional[List[Any]]:
    """The ``catalog.rules`` a document sets, or None when it sets none."""
    catalog = doc.get("catalog") if isinstance(doc, dict) else None
    rules = catalog.get("rules") if isinstance(catalog, dict) else None
    return rules if isinstance(rules, list) else None


def allows(rules: Optional[List[Any]], kind: str = KIND) -> bool:
    """Whether a rule that applies to every location allows ``kind``."""
    return any(isinstance(rule, dict) and not rule.get("locations") and kind in (rule.get("allow") or [])
               for rule in rules or [])


def effective(files: List[Tuple[str, Any]]) -> Tuple[List[Any], str]:
    """(the rules in effect, the file they come from) after reading ``files`` = [(name, document)] in order."""
    found, source = copy.deepcopy(DEFAULT_RULES), DEFAULT_SOURCE
    for name, doc in files:
        rules = rules_of(doc)
        if rules is not None:
            found, source = rules, name
    return found, source


def with_kind(rules: List[Any], kind: str = KIND) -> List[Any]:
    """``rules`` plus a rule allowing ``kind`` everywhere (unchanged when one already does)."""
    out = copy.deepcopy(rules)
    return out if allows(out, kind) else out + [{"allow": [kind]}]


def plan(files: List[Tuple[str, Any]], ours: str, ours_at: Optional[int] = None) -> Tuple[List[Any], str, List[Tuple[str, List[Any]]]]:
    """What the connector's file must set: (rules, where the rules it extends come from, the files read
    after the connector's that set rules without the kind, with their rules).

    ``files`` are the other app-config files in the order RHDH reads them (the connector's own
    ``ours`` is skipped if listed: what it wrote before must not feed back); ``ours_at`` is the
    connector's position among them (None: last, where a new file goes)."""
    others = [(name, doc) for name, doc in files if name != ours]
    base, source = effective(others)
    if ours_at is None:
        ours_at = len(files)
    after = [(name, rules_of(doc)) for name, doc in files[ours_at:] if name != ours and rules_of(doc) is not None]
    return with_kind(base), source, [(name, rules) for name, rules in after if not allows(rules)]


def config_sources(pod_spec: Dict[str, Any], container: Dict[str, Any], files: List[str]) -> List[Tuple[str, Optional[Tuple[str, str]]]]:
    """Each of ``files`` (the container's ``--config`` paths, in order) with the (ConfigMap, key) it is
    mounted from; None for a file that comes from no ConfigMap (the image's, or one written in the pod)."""
    volumes = {v.get("name"): v for v in pod_spec.get("volumes") or [] if isinstance(v, dict)}
    out = []  # type: List[Tuple[str, Optional[Tuple[str, str]]]]
    for path in files:
        source = None
        for mount in container.get("volumeMounts") or []:
            configmap = ((volumes.get(mount.get("name")) or {}).get("configMap") or {})
            base = posixpath.normpath(mount.get("mountPath") or "/")
            if not configmap.get("name"):
                continue
            if mount.get("subPath") and path == base:
                relative = mount["subPath"]
            elif not mount.get("subPath") and path.startswith(base.rstrip("/") + "/"):
                relative = path[len(base.rstrip("/")) + 1:]
            else:
                continue
            items = {i.get("path"): i.get("key") for i in configmap.get("items") or []}
            key = items.get(relative, relative) if items else relative
            source = (configmap["name"], key)
        out.append((path, source))
    return out
