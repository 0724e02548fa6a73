#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_connector_verify
short_description: Report, check by check, whether the RHOAI connector is in place and working
version_added: 0.1.0
description:
  - Checks the live objects - the workload rolled out with the sidecars Ready, both plugins present and enabled
    with the expected tags, the app-config entry present and registered, the token Secret filled in, the
    storage cache ConfigMap - and asks the API server (SubjectAccessReview) whether the connector's
    ServiceAccount holds every permission it needs.
  - Read-only; SubjectAccessReviews are questions to the API server and store nothing.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of RHDH.
    type: str
    required: true
  workload_kind:
    description: Kind of the RHDH workload.
    type: str
    choices: [Deployment, StatefulSet]
    default: Deployment
  workload:
    description: Name of the RHDH workload (C(backstage-<name>) or C(<release>-developer-hub)); required unless O(only_access).
    type: str
  backstage:
    description: Name of the C(Backstage) custom resource (operator installs), to check the app-config registration.
    type: str
  backstage_api_version:
    description:
      - The C(Backstage) API version to read (C(rhdh.redhat.com/v1alpha5)), as M(rhdh.ai_connector.rhdh_info)
        returns it in C(backstage.api_version); empty - the newest served one, asked of the API server.
    type: str
  rhdh_version:
    description:
      - The RHDH release the user gave (as M(rhdh.ai_connector.rhdh_info)'s O(rhdh.ai_connector.rhdh_info#module:rhdh_version)),
        used when O(release) is not given and the release is read here.
    type: str
    version_added: 0.1.0
  release:
    description:
      - The release facts M(rhdh.ai_connector.rhdh_info) read in this run - its C(rhdh_version), C(rhdh_version_source)
        and C(rhdh_version_error) - so that they are not read twice; empty - read here from the same sources (the
        workload's image tag, the RHDH operator's ClusterServiceVersion, the served Backstage versions, the RHDH chart).
      - The check C(release) fails when that release needs another connector than the sidecar connector (RHDH 2.x, an
        operator upgraded after the install), or when no source can tell it.
    type: dict
    version_added: 0.1.0
  expect_sidecars:
    description: Whether the sidecars should be there (false after a disable).
    type: bool
    default: true
  plugins_configmap:
    description: The user's dynamic-plugins ConfigMap.
    type: str
  plugins_key:
    description: Its key.
    type: str
    default: dynamic-plugins.yaml
  packages:
    description: The plugin packages expected, with their tags.
    type: list
    elements: str
    default: []
  check_tags:
    description:
      - Whether each plugin entry must carry the tag of O(packages); false checks only that the plugins are there
        and enabled or disabled (the role, where no tags fit the RHDH release).
    type: bool
    default: true
    version_added: 0.1.0
  expect_plugins:
    description: C(enabled), C(disabled) or C(absent).
    type: str
    choices: [enabled, disabled, absent]
    default: enabled
  app_config_configmap:
    description: The ConfigMap that holds the connector's app-config entry.
    type: str
  app_config_key:
    description: Its key.
    type: str
    default: app-config.rhoai-connector.yaml
  provider_id:
    description: The model catalog provider id.
    type: str
    default: development
  base_url:
    description: The expected C(baseUrl).
    type: str
    default: http://localhost:9090
  service_account:
    description: The connector's ServiceAccount.
    type: str
    default: rhdh-rhoai-connector
  token_secret:
    description: The connector's token Secret.
    type: str
    default: rhdh-rhoai-connector-token
  cluster_rules:
    description:
      - The RBAC rules of the connector's ClusterRole; each verb of each resource is reviewed cluster-wide.
      - Not given - the rules M(rhdh.ai_connector.rhdh_connector_rbac) grants by default; V([]) - none reviewed.
    type: list
    elements: dict
  namespace_rules:
    description:
      - The RBAC rules of the connector's Role; reviewed in O(namespace).
      - Not given - the rules M(rhdh.ai_connector.rhdh_connector_rbac) grants by default; V([]) - none reviewed.
    type: list
    elements: dict
  registries:
    description: Model registries whose Service the ServiceAccount must be able to get.
    type: list
    elements: str
    default: []
  registries_namespace:
    description: Namespace of the model registries.
    type: str
  permissions:
    description: Further permissions the ServiceAccount must hold (SubjectAccessReview attributes).
    type: list
    elements: dict
    default: []
    suboptions:
      verb:
        description: The verb.
        type: str
        required: true
      resource:
        description: The resource (plural).
        type: str
        required: true
      group:
        description: The API group (empty for core).
        type: str
        default: ""
      namespace:
        description: The namespace (unset for cluster-wide).
        type: str
      name:
        description: The object name.
        type: str
  connector:
    description: The connector installed, checked against the RHDH release (V(plugin-only) - RHDH 2.x).
    type: str
    choices: [sidecar, plugin-only]
    default: sidecar
    version_added: 0.1.0
  cluster_name:
    description: The plugin-only connector's provider entry (O(connector=plugin-only)).
    type: str
    default: rhoai
    version_added: 0.1.0
  kubeconfig_secret:
    description:
      - Hub and spoke with the sidecar connector - the Secret (on this cluster) holding the OpenShift AI cluster's
        kubeconfig; checks that the rhoai-normalizer of the rendered pod reads it (mounted, C(KUBECONFIG) set, no token
        variable) and that it names the cluster the copy was made from. The permissions asked are then those of the
        RHDH cluster's part (ConfigMaps and Routes in O(namespace)) unless O(namespace_rules) is given.
    type: str
    version_added: 0.1.0
  only_access:
    description:
      - Check only the permissions of O(service_account) (one SubjectAccessReview per permission), as on the OpenShift
        AI cluster of a hub and spoke pair, where the RHDH workload is not; O(workload) is then not needed.
    type: bool
    default: false
    version_added: 0.1.0
  cluster_label:
    description: Said after the ServiceAccount in each permission check (C(OpenShift AI cluster)), when two clusters are checked.
    type: str
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
    support: none
"""

EXAMPLES = r"""
- name: Verify the connector
  rhdh.ai_connector.rhdh_connector_verify:
    namespace: ai-rhdh
    workload: backstage-developer-hub
    backstage: developer-hub
    plugins_configmap: dynamic-plugins-rhdh
    packages: "{{ connector_packages }}"
    app_config_configmap: rhdh-rhoai-connector-app-config
  register: verify
"""

RETURN = r"""
checks:
  description: One entry per check, with what was seen.
  returned: always
  type: list
  elements: dict
  sample: [{"check": "sidecars_ready", "status": "ok", "msg": "location, storage-rest, rhoai-normalizer Ready in 1/1 pod"}]
ok:
  description: Whether no check failed (warnings allowed).
  returned: always
  type: bool
failed_checks:
  description: The checks that failed.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_verify as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.verify)


if __name__ == "__main__":
    main()
