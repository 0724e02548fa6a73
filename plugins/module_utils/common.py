# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bottom floor: names, labels, user agents and the result every step returns. Imports nothing
of the collection, of Ansible or of the kubernetes client, so that pure helpers can use it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from typing import Any, Dict, List, Optional

USER_AGENT = "rhdh.ai_connector"
MANAGED_BY = "rhdh.ai_connector"
LABELS = {"app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/part-of": "rhdh-rhoai-connector"}


def user_agent(module_name: str) -> str:
    """``rhdh.ai_connector/<module>``: the audit log tells each step's requests apart."""
    short = (module_name or "").rsplit(".", 1)[-1]
    return "{0}/{1}".format(USER_AGENT, short) if short else USER_AGENT


def describe(kind: str, name: str, namespace: Optional[str] = None) -> str:
    return "{0} {1}{2}".format(kind, namespace + "/" if namespace else "", name)


def ensure_labels(meta: Dict[str, Any], labels: Dict[str, str]) -> Dict[str, Any]:
    meta = copy.deepcopy(meta or {})
    meta.setdefault("labels", {})
    meta["labels"].update(labels)
    return meta


def owned(obj: Optional[Dict[str, Any]]) -> bool:
    """Whether the collection created ``obj`` (it carries the collection's managed-by label)."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get("app.kubernetes.io/managed-by") == MANAGED_BY


class Options:
    """A step's options by name (``p.namespace``), for the helpers of a step with many of them: the
    step function takes them as typed keywords and hands its helpers this one object."""

    def __init__(self, **options: Any) -> None:
        self.__dict__.update(options)


class StepResult:
    """What one step did: ``changed``, the changes in words, warnings for the user, the diff (before and
    after of the parsed content) and the step's own return values (``values``).

    A module returns it as its result (``as_dict``); a step that runs another one in the same process
    (the RBAC step and the token) adds the other's result under a key of its own (``nest``).
    """

    def __init__(self, changed: bool = False, changes: Optional[List[str]] = None,
                 warnings: Optional[List[str]] = None, diff: Optional[Dict[str, Any]] = None,
                 **values: Any) -> None:
        self.changed = bool(changed)
        self.changes = list(changes or [])
        self.warnings = list(warnings or [])
        self.diff = diff
        self.values = values

    def nest(self, key: str, other: "StepResult") -> "StepResult":
        """``other``'s result under ``key``; its change, changes and warnings count as this step's."""
        self.values[key] = other.as_dict(with_diff=False)
        self.changed = self.changed or other.changed
        self.changes += other.changes
        self.warnings += other.warnings
        if other.diff:
            diff = self.diff = self.diff or {"before": {}, "after": {}}
            diff["before"][key] = other.diff.get("before")
            diff["after"][key] = other.diff.get("after")
        return self

    def as_dict(self, with_diff: bool = True) -> Dict[str, Any]:
        out = dict(self.values, changed=self.changed, changes=self.changes)
        if with_diff and self.diff is not None:
            out["diff"] = self.diff
        return out


def diff(before: Any, after: Any) -> Dict[str, Any]:
    """A diff of parsed content (not YAML strings): what was, what is or would be."""
    return {"before": before if before is not None else {}, "after": after if after is not None else {}}
