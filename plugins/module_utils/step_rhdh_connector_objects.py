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

from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import diff_of, ensure_labels, owned


def run(mod):
    p = mod.params
    results, before_all, after_all = [], {}, {}
    for definition in p["definitions"]:
        if not definition.get("apiVersion") or not definition.get("kind") or not (definition.get("metadata") or {}).get("name"):
            raise ConnectorError("a definition lacks apiVersion, kind or metadata.name: {0}".format(definition),
                                 fix="give every definition apiVersion, kind and metadata.name")
        desired = dict(definition, metadata=ensure_labels(definition["metadata"], p["labels"]))
        meta = desired["metadata"]
        key = objects.key_of(desired)
        live = mod.get(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
        if p["state"] == "absent":
            if live is None:
                action = "absent"
            elif p["only_owned"] and not owned(live):
                action = "kept"
            elif p["only_owned"] and objects.adopted(live):
                update = mod.update(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"),
                                    objects.released)
                action = "released"
                before_all[key], after_all[key] = live, update["after"]
            else:
                mod.delete(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
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
            mod.create(desired["apiVersion"], desired["kind"], objects.clean_for_create(desired))
        elif action == "recreate":
            mod.delete(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
            mod.create(desired["apiVersion"], desired["kind"], objects.clean_for_create(desired))
        elif action == "update":
            mod.update(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"),
                       lambda obj, d=desired: objects.desired_body(obj, d))
        if action != "none":
            before_all[key] = live
            after_all[key] = desired
        done = {"create": "created", "recreate": "recreated", "update": "updated", "none": "unchanged"}[action]
        results.append({"object": key, "action": "adopted" if adopting and action != "none" else done})
    changed = any(r["action"] in ("created", "recreated", "updated", "adopted", "deleted", "released") for r in results)
    out = dict(changed=changed, results=results)
    if changed:
        out.update(diff_of(before_all, after_all, mod))
    return out


ARGUMENT_SPEC = dict(
    definitions=dict(type="list", elements="dict", required=True),
    labels=dict(type="dict", default={}),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    only_owned=dict(type="bool", default=True),
)
MODULE_OPTIONS = {}  # type: dict
