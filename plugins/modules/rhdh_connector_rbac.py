#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_connector_rbac
short_description: The connector's ServiceAccount, RBAC and model registry RoleBindings
version_added: 0.1.0
description:
  - Creates the connector's ServiceAccount, its ClusterRole and ClusterRoleBinding, its Role and RoleBinding in the
    RHDH namespace, and one RoleBinding per model registry to the registry operator's C(registry-user-<registry>)
    Role, through M(rhdh.ai_connector.rhdh_connector_objects) (read first, written only when a field differs).
  - Registry RoleBindings are found by the collection's label in every namespace; those of registries no longer
    given are removed. The guide's group-wide binding C(rhdh-rhoai-dashboard-permissions) is reported as a warning,
    and replaced by the connector's own bindings with O(migrate_legacy).
  - Then the ServiceAccount's token Secret (O(token_secret)), created when missing and waited for until the cluster's
    token controller fills it in, as M(rhdh.ai_connector.rhdh_connector_token) does; and, with O(migrate_legacy), the
    objects of the guide's older names (O(legacy_name), O(legacy_name)-token) removed. All in one process, so that the
    role's RBAC step is one task.
  - With O(state=absent), removes all of them (every registry binding of the collection, found by its label, even
    when RHOAI is gone), the token Secret first. Objects it found under their names (made by hand following the guide)
    are left in place.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of RHDH (the ServiceAccount, Role and RoleBinding).
    type: str
    required: true
  state:
    description: C(present) creates or updates, C(absent) removes.
    type: str
    choices: [present, absent]
    default: present
  service_account:
    description: The connector's ServiceAccount.
    type: str
    default: rhdh-rhoai-connector
  cluster_role:
    description: Name of the ClusterRole and its ClusterRoleBinding; empty - none.
    type: str
    default: rhdh-rhoai-connector
  role:
    description: Name of the Role and its RoleBinding in O(namespace).
    type: str
    default: rhdh-rhoai-connector
  cluster_rules:
    description: Rules of the ClusterRole; empty - the guide's (CRDs, Routes, ServiceAccounts, Services, InferenceServices).
    type: list
    elements: dict
  namespace_rules:
    description: Rules of the Role; empty - ConfigMaps (the storage sidecar's cache).
    type: list
    elements: dict
  gitops_sync_wave:
    description: C(argocd.argoproj.io/sync-wave) annotation of the ClusterRole; empty - none.
    type: str
    default: "0"
  registries:
    description: Model registries to bind (C(registry-user-<name>) Roles in O(registries_namespace)).
    type: list
    elements: str
    default: []
  registries_namespace:
    description: Namespace of the model registries; empty - no registry binding.
    type: str
  registry_subject:
    description: C(serviceaccount) binds the connector's ServiceAccount (least privilege); C(group), as the guide, every
      ServiceAccount of O(namespace).
    type: str
    choices: [serviceaccount, group]
    default: serviceaccount
  registry_rolebinding:
    description: Prefix of the registry RoleBindings' names (C(<prefix>-<registry>)).
    type: str
    default: rhdh-rhoai-dashboard-permissions
  platform:
    description: C(odh) spells the guide's default prefix as Open Data Hub's C(rhdh-odh-dashboard-permissions).
    type: str
    default: rhoai
  migrate_legacy:
    description:
      - Replace the guide's group-wide registry binding by the connector's own bindings, and remove the objects of
        the guide's older names (O(legacy_name)).
    type: bool
    default: true
  token_secret:
    description: The ServiceAccount's token Secret (type C(kubernetes.io/service-account-token)); empty - leave it alone.
    type: str
    default: rhdh-rhoai-connector-token
    version_added: 0.1.0
  wait_timeout:
    description: Seconds to wait for the token controller to fill the token Secret in.
    type: int
    default: 60
    version_added: 0.1.0
  legacy_name:
    description:
      - Name of the guide's first edition's objects (ServiceAccount, token Secret C(<name>-token), ClusterRole/Binding,
        Role/Binding), removed with O(migrate_legacy) whatever their labels; empty - none.
    type: str
    default: rhdh-rhoai-bridge
    version_added: 0.1.0
  labels:
    description: Labels added to every object (besides the collection's own).
    type: dict
    default: {}
  connector:
    description:
      - The connector the RHDH release takes. V(sidecar) (RHDH 1.8-1.10) - the objects above.
      - V(plugin-only) (RHDH 2.x) - a read-only ClusterRole (inferenceservices, llminferenceservices where the cluster
        serves them, routes, serviceaccounts) and its binding, no Role and no registry RoleBindings (those of the
        collection are removed).
    type: str
    choices: [sidecar, plugin-only]
    default: sidecar
    version_added: 0.1.0
  remove:
    description:
      - The other connector's objects, removed in either state (the move from the sidecar connector to the plugin-only
        one). Only what the collection created is deleted; an object it adopted is given back, not deleted.
    type: dict
    version_added: 0.1.0
    suboptions:
      service_account:
        description: Its ServiceAccount (and the ClusterRole/Binding of O(remove.cluster_role)).
        type: str
      cluster_role:
        description: Its ClusterRole and ClusterRoleBinding; empty - named after the ServiceAccount.
        type: str
      role:
        description: Its Role and RoleBinding; empty - none.
        type: str
      token_secret:
        description: Its token Secret.
        type: str
      storage_cache:
        description: Also delete ConfigMap C(bac-import-model), the sidecars' cache of catalog entries.
        type: bool
        default: false
  side:
    description:
      - Hub and spoke (RHDH on one cluster, OpenShift AI on another) with the sidecar connector splits the objects
        between the two clusters; V(both) (one cluster) makes them all.
      - V(rhoai), on the OpenShift AI cluster - the ServiceAccount the rhoai-normalizer reads the cluster as (its
        kubeconfig is copied to the RHDH cluster), the ClusterRole/Binding, the registry RoleBindings and the token;
        no Role.
      - V(rhdh), on the RHDH cluster - a ServiceAccount for the storage-rest and location sidecars, a Role and binding
        on C(configmaps) (storage-rest's cache) and C(routes) (it looks up Backstage's Route in its namespace), and
        its token; no ClusterRole and no registry RoleBinding.
    type: str
    choices: [both, rhoai, rhdh]
    default: both
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
- name: Give the connector its ServiceAccount, RBAC and access to two model registries
  rhdh.ai_connector.rhdh_connector_rbac:
    namespace: ai-rhdh
    registries: [modelregistry-public, team-a]
    registries_namespace: rhoai-model-registries
"""

RETURN = r"""
results:
  description: One entry per object with the action taken (C(created), C(updated), C(adopted), C(deleted), C(unchanged), C(kept)).
  returned: always
  type: list
  elements: dict
  sample: [{"object": "ServiceAccount ai-rhdh/rhdh-rhoai-connector", "action": "unchanged"}]
changes:
  description: What was changed, one line each.
  returned: always
  type: list
  elements: str
earlier_install:
  description: Whether the ServiceAccount was made by an earlier version of the collection that kept no adoption record.
  returned: always
  type: bool
guide_binding:
  description: The guide's group-wide registry binding, when found (C(object), C(role), C(replaced)).
  returned: when found
  type: dict
token:
  description: What happened to the token Secret (C(secret), C(filled), C(created), C(changes)), as
    M(rhdh.ai_connector.rhdh_connector_token) returns it.
  returned: when O(token_secret) is set
  type: dict
  version_added: 0.1.0
legacy:
  description: What happened to the objects of the guide's older names (C(results), C(changes)).
  returned: when O(migrate_legacy) and O(legacy_name) are set and O(state=present)
  type: dict
  version_added: 0.1.0
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_rbac as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.ensure_rbac)


if __name__ == "__main__":
    main()
