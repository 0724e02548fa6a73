#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: connector
short_description: Connect RHDH to OpenShift AI in one step (what role rhoai_connector runs)
version_added: 0.2.0
description:
  - Runs the whole connector in one process, in this order; each step is the work of the module named.
  - Preflight (M(rhdh.ai_connector.rhoai_info)); with O(state=present), failed verdicts stop the run before
    any change (RV(stopped) is C(preflight)).
  - RHDH and the plugin tags that fit it (M(rhdh.ai_connector.rhdh_info)); with O(state=present), unknown tags
    stop the run (RV(stopped) is C(plugin_tags)).
  - With O(state=present) or O(state=disabled) - the ServiceAccount, ClusterRole/Binding, Role/Binding and one
    RoleBinding per model registry (M(rhdh.ai_connector.rhdh_connector_objects)); the token Secret
    (M(rhdh.ai_connector.rhdh_connector_token)); the two dynamic plugins (M(rhdh.ai_connector.rhdh_dynamic_plugins));
    the app-config entry (M(rhdh.ai_connector.rhdh_app_config), C(present) only); the sidecars
    (M(rhdh.ai_connector.rhdh_sidecar_patch)); the objects of the guide's older names (O(migrate_legacy)).
  - With O(state=absent) - the same, removed, in the reverse order; only objects the collection created are deleted.
    Objects it found under their names (made by hand following the guide) are left in place with the labels they had,
    and plugin entries it found get back the content they had before the install (see the README).
  - Registry RoleBindings are found by the collection's label in every namespace - O(state=present) removes those of
    registries that are gone, O(state=absent) removes all of them, even when RHOAI is gone. The guide's group-wide
    binding C(rhdh-rhoai-dashboard-permissions) is reported as a warning, and replaced by the connector's own
    bindings with O(migrate_legacy).
  - Verification (M(rhdh.ai_connector.rhdh_connector_verify)) unless O(verify=false) or O(state=absent); a failed
    check is reported in RV(verify), not raised (the role decides).
  - The steps share one API client and what it read, so a run reads each object once until it writes, and a
    re-run with nothing to change sends no write request.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  state:
    description:
      - C(present) connects, C(disabled) keeps everything but disables the plugins and removes the sidecars,
        C(absent) removes what the collection created.
    type: str
    choices: [present, disabled, absent]
    default: present
  report_only:
    description: Only read and report (preflight, RHDH, verification); change nothing.
    type: bool
    default: false
  namespace:
    description: Namespace of RHDH.
    type: str
    default: ai-rhdh
  name:
    description: The Backstage custom resource or the Helm release; empty - the only RHDH in the namespace.
    type: str
  install_type:
    description: How RHDH was installed; C(auto) tells from what is found.
    type: str
    choices: [auto, operator, helm]
    default: auto
  rhdh_version:
    description:
      - RHDH release (V(1.8), V(1.9), V(1.10); V(1.8.2) counts as V(1.8); V(1.1), an unquoted 1.10, is refused).
      - Empty - told from the workload's image tag, else the RHDH operator's ClusterServiceVersion, else the served
        Backstage versions (operator installs) or the RHDH chart's version (Helm installs).
    type: str
  plugin_tags:
    description: Plugin tags by plugin short name, overriding those of the release.
    type: dict
  plugin_registry:
    description: OCI registry of the two dynamic plugins.
    type: str
    default: ghcr.io/redhat-developer/rhdh-plugin-export-overlays
  plugins_configmap:
    description: Operator installs - name of the plugin ConfigMap created when the custom resource names none.
    type: str
  datasciencecluster:
    description: The DataScienceCluster to read; empty - the only one.
    type: str
  registries_namespace:
    description: Namespace of the model registries; empty - from the DataScienceCluster.
    type: str
  registries:
    description: Names of the model registries to grant access to; empty - every ModelRegistry found.
    type: list
    elements: str
    default: []
  registry_subject:
    description: Whom the registry RoleBindings name - the connector's ServiceAccount, or (as the guide does) every
      ServiceAccount of the namespace.
    type: str
    choices: [serviceaccount, group]
    default: serviceaccount
  service_account:
    description: The connector's ServiceAccount.
    type: str
    default: rhdh-rhoai-connector
  token_secret:
    description: The ServiceAccount's token Secret, which the sidecars read.
    type: str
    default: rhdh-rhoai-connector-token
  cluster_role:
    description: Name of the ClusterRole and its ClusterRoleBinding.
    type: str
    default: rhdh-rhoai-connector
  role:
    description: Name of the Role and its RoleBinding in O(namespace).
    type: str
    default: rhdh-rhoai-connector
  registry_rolebinding:
    description:
      - Prefix of the registry RoleBindings (C(<prefix>-<registry>)).
      - The default is spelt C(rhdh-odh-dashboard-permissions) on Open Data Hub, as the guide asks.
    type: str
    default: rhdh-rhoai-dashboard-permissions
  cluster_rules:
    description: Rules of the ClusterRole; default - the guide's (CRDs, Routes, ServiceAccounts, Services, InferenceServices).
    type: list
    elements: dict
  namespace_rules:
    description: Rules of the Role; default - ConfigMaps (storage-rest's cache).
    type: list
    elements: dict
  gitops_sync_wave:
    description: C(argocd.argoproj.io/sync-wave) on the ClusterRole; empty - none.
    type: str
    default: "0"
  labels:
    description: Labels put on the objects created, besides the collection's own.
    type: dict
    default: {}
  app_config_configmap:
    description: The ConfigMap holding the model catalog provider's app-config entry.
    type: str
    default: rhdh-rhoai-connector-app-config
  provider_id:
    description: Key of the provider under C(catalog.providers.modelCatalog).
    type: str
    default: development
  base_url:
    description: Where the catalog reads the models (the normalizer sidecar).
    type: str
    default: http://localhost:9090
  image_registry:
    description: Registry of the sidecar images.
    type: str
    default: quay.io/redhat-ai-dev
  image_digests:
    description: Digests of the sidecar images by container name, overriding the pinned ones.
    type: dict
    default: {}
  images:
    description: Whole image references by container name, overriding registry and digest.
    type: dict
    default: {}
  image_pull_policy:
    description: Pull policy of the sidecars.
    type: str
    choices: [Always, IfNotPresent, Never]
    default: IfNotPresent
  metrics_port:
    description: Port of the normalizer's metrics endpoint.
    type: int
    default: 8081
  sidecar_env:
    description:
      - "Extra environment of the sidecars by container name (C(location), C(storage-rest), C(rhoai-normalizer)),
        e.g. C({rhoai-normalizer: {POLLING_INTERVAL: 1m}}); variables given without a container name go to every
        sidecar."
    type: dict
    default: {}
  sidecar_resources:
    description:
      - "Resources of the sidecars by container name, e.g. C({rhoai-normalizer: {limits: {memory: 512Mi}}});
        C(requests)/C(limits) given without a container name go to every sidecar."
    type: dict
    default: {}
  wait:
    description: Wait until the token Secret is filled in and the RHDH pod has rolled out.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the rollout.
    type: int
    default: 300
  verify:
    description: Check the connector on the live objects after the change.
    type: bool
    default: true
  migrate_legacy:
    description: Remove the objects of the guide's older C(rhdh-rhoai-bridge) names.
    type: bool
    default: true
  legacy_name:
    description: The older name.
    type: str
    default: rhdh-rhoai-bridge
  remove_storage_cache:
    description: With O(state=absent), also delete ConfigMap C(bac-import-model) (storage-rest's cache).
    type: bool
    default: false
extends_documentation_fragment:
  - rhdh.ai_connector.auth
  - rhdh.ai_connector.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Every write is a server-side dry run; there is no wait.
  diff_mode:
    support: full
    details: One diff per step that changes something.
"""

EXAMPLES = r"""
- name: Connect the RHDH of namespace ai-rhdh to OpenShift AI
  rhdh.ai_connector.connector:
    namespace: ai-rhdh
  register: connector

- name: Only look (preflight, RHDH, verification)
  rhdh.ai_connector.connector:
    namespace: ai-rhdh
    report_only: true
"""

RETURN = r"""
stopped:
  description: Why the run stopped before any change - C(preflight) (a failed verdict) or C(plugin_tags)
    (tags of this RHDH release unknown); null when it did not stop.
  returned: always
  type: str
rhoai:
  description: What M(rhdh.ai_connector.rhoai_info) returns (platform, versions, registries, verdicts, failed_checks).
  returned: always
  type: dict
rhdh:
  description: What M(rhdh.ai_connector.rhdh_info) returns (install type, name, workload, version, plugin tags); empty
    when the run stopped at preflight.
  returned: always
  type: dict
steps:
  description: What each step that ran returned, by step (rbac, registry_bindings, guide_binding, token, dynamic_plugins,
    app_config, sidecars, legacy, storage_cache).
  returned: always
  type: dict
changes:
  description: The steps that changed something, each with one line per change.
  returned: always
  type: list
  elements: dict
helm_values:
  description: Helm installs with O(state=present) - chart values that keep the connector through C(helm upgrade).
  returned: always
  type: dict
verify:
  description: What M(rhdh.ai_connector.rhdh_connector_verify) returns (ok, checks, failed_checks); empty without it.
  returned: always
  type: dict
report:
  description:
    - The report to read, one line per preflight verdict and verify check (C(OK), C(WARN), C(FAIL)), with the RHDH found
      and which source told its version.
    - The permission checks make one line that names only the permissions not allowed; in check mode, a check of what
      the run would create or change says C(WOULD CREATE) or C(WOULD CHANGE) instead of C(FAIL).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import connector
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=connector.ARGUMENT_SPEC)
    mod.run(lambda: connector.run(mod))


if __name__ == "__main__":
    main()
