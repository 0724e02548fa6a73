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
  wait_timeout:
    description:
      - With O(state=absent), seconds to wait until the objects deleted are gone (a Namespace is emptied first, and
        a new object cannot be made in it meanwhile); C(0) returns after the delete requests.
    type: int
    default: 0
    version_added: 0.1.0
extends_documentation_fragment:
  - rhdh.ai_connector.auth
  - rhdh.ai_connector.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Writes are sent as server-side dry runs.
  diff_mode:
    support: full
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
changes:
  description: What was changed, one line each (C(<kind> <namespace>/<name> <action>)).
  returned: always
  type: list
  elements: str
  version_added: 0.1.0
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_objects as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.apply)


if __name__ == "__main__":
    main()
