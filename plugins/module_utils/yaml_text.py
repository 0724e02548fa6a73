# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Round-trip YAML held as a string inside a ConfigMap.

The documents this collection edits (``dynamic-plugins.yaml``, ``app-config.yaml``) are written by
people: comments, key order and quoting matter to them. With ``ruamel.yaml`` installed the text is
edited in round-trip mode, so what the collection does not touch stays as it was, byte for byte,
and removing what it added gives the original text back. Without it PyYAML is used: the content is
kept, the comments are not (``ROUND_TRIP`` tells which).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import re
from typing import Any, Tuple

from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError as RuamelYAMLError

    ROUND_TRIP = True
except ImportError:  # pragma: no cover - exercised where ruamel.yaml is absent
    ROUND_TRIP = False
    RuamelYAMLError = Exception

try:
    import yaml as pyyaml

    HAS_PYYAML = True
except ImportError:  # pragma: no cover
    HAS_PYYAML = False


def _rt_yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> "YAML":
    yml = YAML(typ="rt")
    yml.preserve_quotes = True
    yml.width = 4096
    yml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yml


_KEY_LINE = re.compile(r"^( *)(?![-#\s])[^:#]+:(\s|$)")
_ITEM_LINE = re.compile(r"^( *)- ")


def _guess_layout(text: str) -> Tuple[int, int, int]:
    """Indentation of ``text`` as ruamel's (mapping, sequence, offset); Kubernetes' style by default."""
    mapping = offset = None
    parent = None  # indentation of the last line that opens a block (ends with ':')
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item, key = _ITEM_LINE.match(line), _KEY_LINE.match(line)
        indent = len(line) - len(line.lstrip(" "))
        if parent is not None and item and offset is None and indent >= parent:
            offset = indent - parent
        elif parent is not None and indent > parent:
            if key and not item and mapping is None:
                mapping = indent - parent
        if mapping is not None and offset is not None:
            break
        parent = indent if (key and line.rstrip().endswith(":") and not item) else None
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, offset + 2, offset


def load(text: str, where: str) -> Any:
    """Parse ``text``; ``where`` names the object and key for the error message."""
    if not text or not text.strip():
        return None
    try:
        if ROUND_TRIP:
            return _rt_yaml().load(text)
        return pyyaml.safe_load(text)
    except (RuamelYAMLError, Exception) as exc:  # noqa: BLE001 - any parser error is the user's YAML
        raise ConnectorError(
            "{0} does not hold valid YAML: {1}".format(where, str(exc).strip().splitlines()[0] if str(exc).strip() else exc),
            fix="fix the YAML in {0}; nothing was changed".format(where),
        )


def dump(doc: Any, like: str = "") -> str:
    """Serialise ``doc``, following the indentation of ``like`` (the text it was loaded from)."""
    if ROUND_TRIP:
        mapping, sequence, offset = _guess_layout(like) if like and like.strip() else (2, 4, 2)
        out = io.StringIO()
        yml = _rt_yaml(mapping, sequence, offset)
        yml.dump(doc, out)
        text = out.getvalue()
        if like and like.startswith("---") and not text.startswith("---"):
            text = "---\n" + text
        return text
    return pyyaml.safe_dump(plain(doc), default_flow_style=False, sort_keys=False)


def plain(value: Any) -> Any:
    """The value as plain dicts, lists and scalars (for diffs and comparisons)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
