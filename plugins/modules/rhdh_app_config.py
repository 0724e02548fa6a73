#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_app_config
short_description: Set or remove the model catalog provider's baseUrl in an RHDH app-config ConfigMap
version_added: 0.1.0
description:
  - Makes C(catalog.providers.modelCatalog.<provider_id>.baseUrl) present or absent in the app-config YAML
    held under O(key) in a ConfigMap, by deep merge; every other key of the document is kept.
  - By default the entry lives in a ConfigMap the collection owns (created with its labels), so the user's
    own app-config is never rewritten; C(rhdh_sidecar_patch) registers that ConfigMap with RHDH.
  - On C(absent), a ConfigMap this collection created is deleted once nothing is left in it.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of the ConfigMap.
    type: str
    required: true
  configmap:
    description: Name of the ConfigMap.
    type: str
    default: rhdh-rhoai-connector-app-config
  key:
    description:
      - Key of the ConfigMap that holds the app-config document; for Helm installs also the file name
        of the mount in C(backstage-backend).
      - The RHDH operator mounts every key of an app-config ConfigMap at C(/opt/app-root/src/<key>), so a
        key that another app-config ConfigMap uses hides that file. Users' own is C(app-config.yaml).
      - In a ConfigMap the collection owns, a key of earlier versions (C(app-config.yaml)) is moved to this one.
    type: str
    default: app-config.rhoai-connector.yaml
  provider_id:
    description: Id of the model catalog provider (the entity provider is C(ModelCatalogResourceEntityProvider:<id>)).
    type: str
    default: development
  base_url:
    description: Where the provider reads the catalog (the C(location) sidecar).
    type: str
    default: http://localhost:9090
  state:
    description: Whether the entry is present or absent.
    type: str
    choices: [present, absent]
    default: present
  labels:
    description: Labels added to a ConfigMap this module creates.
    type: dict
    default: {}
  connector:
    description:
      - V(sidecar) (RHDH 1.8-1.10) - the provider's C(baseUrl).
      - V(plugin-only) (RHDH 2.x) - C(catalog.providers.modelCatalog.kserve-kubeflow-connector.<cluster name>) from
        O(cluster), the token by reference to the variable O(token_env), C(catalog.rules) set to O(catalog_rules), and
        the sidecar connector's C(baseUrl) entry of O(provider_id) removed.
    type: str
    choices: [sidecar, plugin-only]
    default: sidecar
    version_added: 0.1.0
  cluster:
    description: The OpenShift AI cluster the plugin-only connector reads (O(connector=plugin-only)).
    type: dict
    version_added: 0.1.0
    suboptions:
      name:
        description: The entry's key and C(name).
        type: str
        default: rhoai
      url:
        description: The cluster's API server as RHDH's pod reaches it.
        type: str
      ca_data:
        description: Its CA, base64 PEM (C(caData)); the token Secret's C(ca.crt).
        type: str
      catalog_url:
        description: The model catalog's URL (C(kubeflow-model-catalog-url)); empty - none.
        type: str
      default_owner:
        description: C(default-owner) of the entities; empty - the plugin's default.
        type: str
      default_lifecycle:
        description: C(default-lifecycle) of the entities; empty - the plugin's default.
        type: str
  catalog_rules:
    description:
      - The C(catalog.rules) the document sets (O(connector=plugin-only)); M(rhdh.ai_connector.rhdh_info) gives them -
        the rules in effect in the files read before this one, plus a rule allowing C(AiModelServerAPI). Not given -
        left as they are.
    type: list
    elements: raw
    version_added: 0.1.0
  token_env:
    description: The environment variable holding the token (the RHDH operator names it after the Secret's key).
    type: str
    default: token
    version_added: 0.1.0
extends_documentation_fragment:
  - rhdh.ai_connector.auth
  - rhdh.ai_connector.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the parsed document before and after.
"""

EXAMPLES = r"""
- name: Point the model catalog provider at the location sidecar
  rhdh.ai_connector.rhdh_app_config:
    namespace: ai-rhdh

- name: Remove the entry
  rhdh.ai_connector.rhdh_app_config:
    namespace: ai-rhdh
    state: absent
"""

RETURN = r"""
configmap:
  description: The ConfigMap edited.
  returned: always
  type: str
created:
  description: Whether the ConfigMap was created.
  returned: always
  type: bool
deleted:
  description: Whether the collection's ConfigMap was deleted, left empty.
  returned: always
  type: bool
changes:
  description: One line per change.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_app_config as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.ensure_app_config)


if __name__ == "__main__":
    main()
