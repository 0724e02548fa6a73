#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_connector_objects
short_description: Create, update or delete the connector's plain Kubernetes objects, writing only on a real difference
version_added: 0.1.0
description:
  - Brings a list of objects (ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, ...) to the
    definitions given. Each object is read first and written only when a desired field differs, so a re-run
    sends no write request (C(kubernetes.core.k8s) patches existing objects on every run).
  - RBAC C(rules) and C(subjects) are written exactly; a binding whose C(roleRef) changes is deleted and
    created again (C(roleRef) is immutable).
  - With O(state=absent) it deletes only objects that carry the collection's C(app.kubernetes.io/managed-by)
    label, unless O(only_owned=false).
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  definitions:
    description: The objects, each a full definition with C(apiVersion), C(kind) and C(metadata.name).
    type: list
    elements: dict
    required: true
  labels:
    description: Labels added to every object.
    type: dict
    default: {}
  state:
    description: Whether the objects are present or absent.
    type: str
    choices: [present, absent]
    default: present
  only_owned:
    description: With O(state=absent), delete only objects carrying the collection's label.
    type: bool
    default: true
extends_documentation_fragment:
  - rhdh.ai_connector.auth
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Writes are sent as server-side dry runs.
  diff_mode:
    support: full
  platform:
    platforms: all
    details: Runs wherever the Kubernetes Python client reaches the API server, usually the controller.
  action_group:
    support: full
    membership:
      - rhdh.ai_connector.ai_connector
"""

EXAMPLES = r"""
- name: The connector's ServiceAccount and its namespace Role
  rhdh.ai_connector.rhdh_connector_objects:
    labels:
      app.kubernetes.io/managed-by: rhdh.ai_connector
    definitions:
      - apiVersion: v1
        kind: ServiceAccount
        metadata: {name: rhdh-rhoai-connector, namespace: ai-rhdh}
      - apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: rhdh-rhoai-connector, namespace: ai-rhdh}
        rules:
          - apiGroups: [""]
            resources: [configmaps]
            verbs: [get, list, watch, create, update, patch]
"""

RETURN = r"""
results:
  description: One entry per object with the action taken (C(created), C(updated), C(recreated), C(deleted), C(unchanged), C(kept)).
  returned: always
  type: list
  elements: dict
  sample: [{"object": "ServiceAccount ai-rhdh/rhdh-rhoai-connector", "action": "unchanged"}]
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import ConnectorModule, diff_of, ensure_labels, owned


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
            else:
                mod.delete(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
                action = "deleted"
                before_all[key] = live
            results.append({"object": key, "action": action})
            continue
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
        results.append({"object": key, "action": {"create": "created", "recreate": "recreated",
                                                  "update": "updated", "none": "unchanged"}[action]})
    changed = any(r["action"] in ("created", "recreated", "updated", "deleted") for r in results)
    out = dict(changed=changed, results=results)
    if changed:
        out.update(diff_of(before_all, after_all, mod))
    return out


def main():
    mod = ConnectorModule(
        argument_spec=dict(
            definitions=dict(type="list", elements="dict", required=True),
            labels=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            only_owned=dict(type="bool", default=True),
        ),
    )
    mod.run(lambda: run(mod))


if __name__ == "__main__":
    main()
