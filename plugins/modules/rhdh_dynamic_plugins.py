#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_dynamic_plugins
short_description: Add, update, disable or remove entries in RHDH's dynamic-plugins ConfigMap
version_added: 0.1.0
description:
  - Edits the YAML document held as a string under C(dynamic-plugins.yaml) in a ConfigMap.
  - Plugins are matched by their tag-less name whatever the registry host (C(oci://<any registry>/<image>:!<path>);
    RHDH's installer unpacks a plugin into a folder named by its path), so a new tag or a mirror registry updates
    the entry in place; entries of the same plugin left by other tools are folded into one.
  - An entry of a managed plugin that was already there is the user's - its content is recorded in the
    ConfigMap's annotation C(rhdh.ai-connector/plugin-entries) before it is changed, and O(state=absent) gives
    it back instead of removing it. Entries this module added are removed by O(state=absent).
  - Every other plugin, C(includes), unknown keys, comments, and the ConfigMap's labels and annotations are kept.
  - With O(backstage) (operator installs) it edits the ConfigMap the custom resource names in
    C(spec.application.dynamicPluginsConfigMapName); if it names none, it creates O(configmap) and points
    the custom resource at it. It never edits the operator-owned C(backstage-dynamic-plugins-<name>).
  - Writes only when the parsed document changes, with the C(resourceVersion) it read.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of the ConfigMap (and of the C(Backstage) custom resource).
    type: str
    required: true
  configmap:
    description:
      - Name of the ConfigMap. Required without O(backstage); with it, the name given to a ConfigMap created
        when the custom resource names none (default C(<backstage>-dynamic-plugins)).
    type: str
  backstage:
    description: Name of the C(Backstage) custom resource whose user plugin ConfigMap to edit (operator installs).
    type: str
  backstage_api_version:
    description:
      - The C(Backstage) API version to read and write (C(rhdh.redhat.com/v1alpha5)), as M(rhdh.ai_connector.rhdh_info)
        returns it in C(backstage.api_version); empty - the newest served one,
        asked of the API server.
    type: str
  key:
    description: Key of the ConfigMap that holds the document.
    type: str
    default: dynamic-plugins.yaml
  packages:
    description: The packages to manage, when no O(plugins) entry needs a C(pluginConfig).
    type: list
    elements: str
  plugins:
    description: The plugin entries to manage.
    type: list
    elements: dict
    suboptions:
      package:
        description: The package, with its tag (C(oci://...:tag!path), an npm package or a local path).
        type: str
        required: true
      pluginConfig:
        description: Keys to set in the entry's C(pluginConfig); the entry's other keys are kept.
        type: dict
  state:
    description:
      - C(present) adds or updates the entries, enabled; C(disabled) sets C(disabled) on existing entries;
        C(absent) removes the entries it added, restores those it found as they were before the install
        (see O(adopt_entries)), and deletes a ConfigMap this collection created that is left without plugins.
    type: str
    choices: [present, disabled, absent]
    default: present
  labels:
    description: Labels added to a ConfigMap this module creates.
    type: dict
    default: {}
  adopt_entries:
    description:
      - Whether an entry of a managed plugin found with no record of an earlier run is the user's (recorded, and
        given back by O(state=absent)). V(false) takes such entries as the collection's own - for installs made by
        versions of the collection that kept no record. Entries without a record are removed by O(state=absent).
    type: bool
    default: true
extends_documentation_fragment:
  - rhdh.ai_connector.auth
  - rhdh.ai_connector.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The writes are sent as server-side dry runs.
  diff_mode:
    support: full
    details: The diff shows the parsed document before and after.
"""

EXAMPLES = r"""
- name: Add the connector's plugins for RHDH 1.8 to the operator install's user plugin ConfigMap
  rhdh.ai_connector.rhdh_dynamic_plugins:
    namespace: ai-rhdh
    backstage: developer-hub
    plugins:
      - package: "{{ overlays }}/{{ prefix }}catalog-backend-module-model-catalog:bs_1.42.5__0.7.0!{{ prefix }}catalog-backend-module-model-catalog"
      - package: "{{ overlays }}/{{ prefix }}catalog-techdoc-url-reader-backend:bs_1.42.5__0.3.0!{{ prefix }}catalog-techdoc-url-reader-backend"
  vars:
    overlays: oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays
    prefix: red-hat-developer-hub-backstage-plugin-

- name: Disable them in a Helm install's ConfigMap
  rhdh.ai_connector.rhdh_dynamic_plugins:
    namespace: ai-rhdh
    configmap: rhdh-dynamic-plugins
    state: disabled
    plugins: "{{ connector_plugins }}"
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
  description: Whether a ConfigMap this collection created was deleted, left without plugins.
  returned: always
  type: bool
backstage_updated:
  description: Whether the C(Backstage) custom resource was pointed at the ConfigMap (or away from a deleted one).
  returned: always
  type: bool
changes:
  description: One line per change made to the document.
  returned: always
  type: list
  elements: str
  sample: ["updated oci://...:bs_1.42.5__0.7.0!... to oci://...:bs_1.45.3__0.9.0!..."]
plugins:
  description: The managed entries as they are now in the document.
  returned: always
  type: list
  elements: dict
helm_values:
  description:
    - The chart values (C(global.dynamic)) that carry the document through C(helm upgrade). Helm replaces lists
      instead of merging them, so the whole C(plugins) list is given, the user's entries included.
  returned: always
  type: dict
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_dynamic_plugins as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.ensure_plugins)


if __name__ == "__main__":
    main()
