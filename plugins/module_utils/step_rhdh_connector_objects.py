# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_connector_objects's work: create, update or remove plain objects (the RBAC).

An object that already exists under the desired name without the collection's label (made by hand
following the guide) is adopted, not taken: it gets the desired content and the labels, and the
labels it had before are recorded in an annotation. ``state=absent`` deletes only what the
collection created, and gives an adopted object its labels back and leaves it in place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import StepResult, diff, ensure_labels, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService

CHANGED = ("created", "recreated", "updated", "adopted", "deleted", "released")


def apply(svc: K8sService, *, definitions: List[Dict[str, Any]], labels: Optional[Dict[str, str]], state: str,
          only_owned: bool, wait_timeout: int = 0) -> StepResult:
    """Each of ``definitions`` made to exist as defined (``present``) or removed (``absent``: with
    ``only_owned``, only what the collection created; an adopted object gets its labels back)."""
    labels = labels or {}
    results, before_all, after_all = [], {}, {}  # type: List[Dict[str, str]], Dict[str, Any], Dict[str, Any]
    for definition in definitions:
        if not definition.get("apiVersion") or not definition.get("kind") or not (definition.get("metadata") or {}).get("name"):
            raise ConnectorError("a definition lacks apiVersion, kind or metadata.name: {0}".format(definition),
                                 fix="give every definition apiVersion, kind and metadata.name")
        desired = dict(definition, metadata=ensure_labels(definition["metadata"], labels))
        meta = desired["metadata"]
        key = objects.key_of(desired)
        live = svc.get(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
        if state == "absent":
            if live is None:
                action = "absent"
            elif only_owned and not owned(live):
                action = "kept"
            elif only_owned and objects.adopted(live):
                update = svc.update(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"),
                                    objects.released)
                action = "released"
                before_all[key], after_all[key] = live, update["after"]
            else:
                svc.delete(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
                action = "deleted"
                before_all[key] = live
            results.append({"object": key, "action": action})
            continue
        adopting = live is not None and not owned(live) and owned(desired)
        if adopting or objects.adopted(live):
            record = objects.adoption_record(live, meta["labels"]) if adopting else (
                live["metadata"]["annotations"][objects.ADOPTED_ANNOTATION])
            meta = desired["metadata"] = dict(meta, annotations=dict(meta.get("annotations") or {}, **{
                objects.ADOPTED_ANNOTATION: record}))
        action = objects.plan(live, desired)
        if action == "create":
            svc.create(desired["apiVersion"], desired["kind"], objects.clean_for_create(desired))
        elif action == "recreate":
            svc.delete(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
            svc.create(desired["apiVersion"], desired["kind"], objects.clean_for_create(desired))
        elif action == "update":
            svc.update(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"),
                       lambda obj, d=desired: objects.desired_body(obj, d))
        if action != "none":
            before_all[key] = live
            after_all[key] = desired
        done = {"create": "created", "recreate": "recreated", "update": "updated", "none": "unchanged"}[action]
        results.append({"object": key, "action": "adopted" if adopting and action != "none" else done})
    deleted = [d for d, r in zip(definitions, results) if r["action"] == "deleted"]
    if deleted and wait_timeout > 0 and not svc.check_mode:
        wait_gone(svc, deleted, wait_timeout)
    changes = ["{0} {1}".format(r["object"], r["action"]) for r in results if r["action"] in CHANGED]
    return StepResult(changed=bool(changes), changes=changes, diff=diff(before_all, after_all) if changes else None,
                      results=results)


def wait_gone(svc: K8sService, deleted: List[Dict[str, Any]], timeout: int) -> None:
    """Wait until every object of ``deleted`` is gone (a Namespace goes once the namespace controller emptied it)."""
    def left():
        for definition in deleted:
            meta = definition["metadata"]
            if svc.get(definition["apiVersion"], definition["kind"], meta["name"], meta.get("namespace")) is not None:
                return "{0} {1} still there".format(definition["kind"], meta["name"])
        return None

    still = svc.wait_until(left, timeout)
    if still is not None:
        raise ConnectorError("{0} after {1} s".format(still, timeout),
                             fix="look at what holds it (its finalizers, or for a Namespace its status.conditions), then re-run")


ARGUMENT_SPEC = dict(
    definitions=dict(type="list", elements="dict", required=True),
    labels=dict(type="dict", default={}),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    only_owned=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=0),
)
MODULE_OPTIONS = {}  # type: dict
