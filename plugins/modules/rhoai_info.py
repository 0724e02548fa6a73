#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhoai_info
short_description: Read Red Hat OpenShift AI (or Open Data Hub) and judge the connector's prerequisites
version_added: 0.1.0
description:
  - Reads the platform and version from the C(DataScienceCluster) and C(DSCInitialization), the model
    registry component, the C(ModelRegistry) objects with their Roles and Routes, the model catalog
    Route, whether KServe's C(InferenceService) CRD is served, and the dashboard flags.
  - Reads the C(DataScienceCluster) and C(DSCInitialization) at C(v2) where the API server serves it
    (OpenShift AI 3.x, which stores C(v2)), else at C(v1) (OpenShift AI 2.x).
  - Returns one verdict per prerequisite (C(ok), C(warn) or C(fail)), each naming the object and the fix.
  - Read-only; it never changes the cluster.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  datasciencecluster:
    description:
      - Name of the C(DataScienceCluster). The only one found is used when not set.
    type: str
  registries_namespace:
    description:
      - Namespace of the model registries. Defaults to the C(DataScienceCluster)'s
        C(spec.components.modelregistry.registriesNamespace).
    type: str
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
- name: Check the prerequisites of the connector
  rhdh.ai_connector.rhoai_info:
  register: rhoai

- name: Stop on a failed prerequisite
  ansible.builtin.fail:
    msg: "{{ rhoai.verdicts | selectattr('status', 'equalto', 'fail') | map(attribute='msg') | join('; ') }}"
  when: rhoai.failed_checks | length > 0
"""

RETURN = r"""
api_server:
  description: The API server's URL as the module reached it (the role's hub and spoke mode takes it as the URL RHDH's pod reads).
  returned: always
  type: str
  version_added: 0.1.0
platform:
  description: C(rhoai-self-managed), C(rhoai-cloud-service), C(odh), C(unknown) or C(none).
  returned: always
  type: str
release_name:
  description: C(status.release.name) of the C(DataScienceCluster).
  returned: always
  type: str
version:
  description: C(status.release.version), the operator's version.
  returned: always
  type: str
datasciencecluster:
  description: Name of the C(DataScienceCluster) read.
  returned: always
  type: str
applications_namespace:
  description: The platform's applications namespace (from the C(DSCInitialization)).
  returned: always
  type: str
modelregistry_state:
  description: C(spec.components.modelregistry.managementState).
  returned: always
  type: str
registries_namespace:
  description: Namespace of the model registries.
  returned: always
  type: str
registries:
  description: The C(ModelRegistry) objects with the Role and Routes the registry operator made for each.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "registry-prod", "role": "registry-user-registry-prod", "role_exists": true,
            "routes": ["registry-prod-https"], "route_hosts": ["registry-prod-https.apps.example.com"]}]
catalog_route:
  description: The model catalog Route C(model-catalog-https) and its hosts, or null.
  returned: always
  type: dict
kserve:
  description: Whether the API server serves C(inferenceservices.serving.kserve.io).
  returned: always
  type: bool
dashboard:
  description: C(spec.dashboardConfig) flags of C(odh-dashboard-config), or null when it was not found.
  returned: always
  type: dict
operator_csv:
  description: Name of the platform operator's ClusterServiceVersion, when it could be read.
  returned: always
  type: str
verdicts:
  description: One verdict per prerequisite.
  returned: always
  type: list
  elements: dict
  sample: [{"check": "kserve", "status": "ok", "msg": "CRD inferenceservices.serving.kserve.io exists"}]
failed_checks:
  description: The verdicts whose status is C(fail).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhoai_info as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.rhoai_info)


if __name__ == "__main__":
    main()
