#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_connector_token
short_description: Ensure the connector's ServiceAccount token Secret exists and is filled in
version_added: 0.1.0
description:
  - Creates a C(kubernetes.io/service-account-token) Secret for a ServiceAccount and waits until the cluster's
    token controller has filled in C(token) and C(ca.crt), which the sidecars read from their environment.
  - Refuses, without touching it, a Secret of that name that is not a token of that ServiceAccount.
  - Never returns or logs the token, unless O(return_data) asks for it (to copy it to another cluster).
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of the ServiceAccount and the Secret.
    type: str
    required: true
  name:
    description: Name of the Secret.
    type: str
    default: rhdh-rhoai-connector-token
  service_account:
    description: The ServiceAccount the token belongs to.
    type: str
    default: rhdh-rhoai-connector
  labels:
    description: Labels put on the Secret when it is created.
    type: dict
    default: {}
  state:
    description: C(present) creates and waits; C(absent) deletes a Secret of the collection (its labels).
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    description: Seconds to wait for the token controller.
    type: int
    default: 60
  return_data:
    description:
      - Return the Secret's C(token) and C(ca.crt) (base64) in RV(data), for a copy on another cluster (the role's hub
        and spoke mode copies it to the RHDH cluster). Give the task C(no_log) - true, and keep the result out of reports.
    type: bool
    default: false
    version_added: 0.1.0
extends_documentation_fragment:
  - rhdh.ai_connector.auth
  - rhdh.ai_connector.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Creation is a server-side dry run and there is no wait.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Create the token Secret and wait for it
  rhdh.ai_connector.rhdh_connector_token:
    namespace: ai-rhdh
"""

RETURN = r"""
data:
  description: The Secret's C(token) and C(ca.crt), base64, as the Secret holds them (null until filled in).
  returned: when O(return_data) is true
  type: dict
  version_added: 0.1.0
secret:
  description: Name of the Secret.
  returned: always
  type: str
filled:
  description: Whether C(token) and C(ca.crt) are filled in.
  returned: always
  type: bool
created:
  description: Whether the Secret was created.
  returned: always
  type: bool
changes:
  description: What was changed, one line each.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_token as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.ensure_token)


if __name__ == "__main__":
    main()
