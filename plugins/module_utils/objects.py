# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for plain Kubernetes objects the collection owns (RBAC, ServiceAccount).

``kubernetes.core.k8s`` sends a PATCH to an existing object on every run and compares afterwards;
here the desired object is compared with the live one first, and nothing is sent when the live
object already holds every desired field.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils.sidecars import is_subset

#: Fields the API server sets that a desired definition never carries.
SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink")
#: Fields a RoleBinding or ClusterRoleBinding cannot change: a new roleRef means delete and create.
IMMUTABLE = {"RoleBinding": ("roleRef",), "ClusterRoleBinding": ("roleRef",)}
#: Lists that are the object's whole content: compared and written exactly, not merged by name.
EXACT_LISTS = {"ClusterRole": ("rules",), "Role": ("rules",), "RoleBinding": ("subjects",), "ClusterRoleBinding": ("subjects",)}


#: On an object the collection found under its name and took over (a ServiceAccount made by hand
#: following the guide): the values its labels had before, as JSON (null = the label was not set).
#: ``state=absent`` gives those labels back and leaves the object in place.
ADOPTED_ANNOTATION = "rhdh.ai-connector/adopted"


def adopted(obj: Optional[Dict[str, Any]]) -> bool:
    """Whether the collection adopted ``obj`` (found it under its name) rather than created it."""
    return ADOPTED_ANNOTATION in (((obj or {}).get("metadata") or {}).get("annotations") or {})


def adoption_record(live: Dict[str, Any], labels: Dict[str, str]) -> str:
    """The annotation value recording the labels ``live`` had before the collection set ``labels``."""
    had = (live.get("metadata") or {}).get("labels") or {}
    return json.dumps({key: had.get(key) for key in sorted(labels)}, sort_keys=True)


def released(live: Dict[str, Any]) -> Dict[str, Any]:
    """An adopted object as it was before the adoption, as far as the collection changed it: the
    labels it had back, the collection's labels and the adoption record gone."""
    body = copy.deepcopy(live)
    meta = body.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    try:
        had = json.loads(annotations.pop(ADOPTED_ANNOTATION, "{}"))
    except ValueError:
        had = {}
    labels = meta.get("labels") or {}
    for key, value in (had if isinstance(had, dict) else {}).items():
        if value is None:
            labels.pop(key, None)
        else:
            labels[key] = value
    meta["labels"], meta["annotations"] = labels, annotations
    return body


def key_of(obj: Dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return "{0} {1}{2}".format(obj.get("kind"), meta.get("namespace") + "/" if meta.get("namespace") else "", meta.get("name"))


def overlay(live: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
    """``live`` with every field of ``desired`` put in (mappings merged, other values replaced)."""
    result = copy.deepcopy(live)
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = overlay(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def plan(live: Optional[Dict[str, Any]], desired: Dict[str, Any]) -> str:
    """What to do to bring ``live`` to ``desired``: create, recreate, update or none."""
    if live is None:
        return "create"
    kind = desired.get("kind")
    for field in IMMUTABLE.get(kind, ()):
        if field in desired and live.get(field) != desired[field]:
            return "recreate"
    for field in EXACT_LISTS.get(kind, ()):
        if field in desired and _normalise(live.get(field)) != _normalise(desired[field]):
            return "update"
    rest = {k: v for k, v in desired.items() if k not in EXACT_LISTS.get(kind, ())}
    return "none" if is_subset(rest, live) else "update"


def _normalise(items: Optional[List[Any]]) -> List[Any]:
    """RBAC lists as the API server returns them: empty fields dropped, for comparison only."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append({k: v for k, v in item.items() if v not in (None, [], "") or k == "apiGroups"})
        else:
            out.append(item)
    return out


def desired_body(live: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
    """The object to send as an update: live fields kept, desired ones in, resourceVersion kept."""
    body = overlay(live, desired)
    for field in EXACT_LISTS.get(desired.get("kind"), ()):
        if field in desired:
            body[field] = copy.deepcopy(desired[field])
    return body


def clean_for_create(desired: Dict[str, Any]) -> Dict[str, Any]:
    body = copy.deepcopy(desired)
    for field in SERVER_FIELDS:
        body.get("metadata", {}).pop(field, None)
    return body


def access_reviews(cluster_rules: List[Dict[str, Any]], namespace_rules: List[Dict[str, Any]], namespace: str,
                   registries: List[str], registries_namespace: Optional[str]) -> List[Dict[str, Any]]:
    """SubjectAccessReview attributes for every permission the RBAC rules grant the connector.

    One review per verb, resource and group; for each registry, ``get`` on its Service (what the
    registry operator's ``registry-user-<name>`` Role grants).
    """
    reviews = []  # type: List[Dict[str, Any]]
    for rules, ns in ((cluster_rules, None), (namespace_rules, namespace)):
        for rule in rules:
            for group in rule.get("apiGroups") or [""]:
                for resource in rule.get("resources") or []:
                    for verb in rule.get("verbs") or []:
                        attrs = {"verb": verb, "resource": resource, "group": group}
                        if ns:
                            attrs["namespace"] = ns
                        reviews.append(attrs)
    for registry in registries:
        reviews.append({"verb": "get", "resource": "services", "group": "", "name": registry, "namespace": registries_namespace})
    return reviews
