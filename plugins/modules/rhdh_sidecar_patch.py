#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_sidecar_patch
short_description: Add, update or remove the model catalog sidecars on the RHDH pod
version_added: 0.1.0
description:
  - Adds the three sidecars C(location), C(storage-rest) and C(rhoai-normalizer) to the RHDH pod, updates them
    in place (new digests, ports, environment), or removes them. Containers are matched by name, so foreign
    sidecars such as C(lightspeed-core) are kept, a re-run never adds copies.
  - B(Operator installs) (O(backstage)) - the sidecars go into the C(Backstage) custom resource's
    C(spec.deployment.patch), read and written through the storage version (the API server refuses
    strategic-merge patches on custom resources, and there is no conversion webhook). The resource is read,
    merged locally and written back with the C(resourceVersion) read, retried on conflict. The operator
    re-renders the workload; edits to the workload itself would be overwritten.
  - B(Helm installs) (O(deployment)) - the Deployment is patched by strategic merge (with the
    C(resourceVersion) read, so a concurrent change makes it retry). C(helm upgrade) reverts such edits, so
    the module also returns the chart values that make them permanent (RV(helm_values)) and can write them
    to O(values_file).
  - Optionally registers an app-config ConfigMap with RHDH in the same write
    (C(spec.application.appConfig.configMaps), or a mounted file and C(--config) argument on Helm installs).
  - Refuses, naming the container, when another container of the pod already declares a port the sidecars need.
  - With O(registries), records the model registries the pod is started with in the pod template annotation
    C(rhdh.ai-connector/registries) (the names sorted, comma-separated). The C(rhoai-normalizer) sidecar looks for
    registries only when it starts, so a change of the set changes the annotation and the pod rolls out once;
    the same set writes nothing. O(state=absent) removes the annotation. The pod's other annotations are kept.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of RHDH.
    type: str
    required: true
  backstage:
    description: Name of the C(Backstage) custom resource (operator installs).
    type: str
  backstage_api_version:
    description:
      - The C(Backstage) API version to read and write (C(rhdh.redhat.com/v1alpha5)), as M(rhdh.ai_connector.rhdh_info)
        returns it in C(backstage.api_version); empty - the newest served one,
        asked of the API server.
    type: str
  deployment:
    description: Name of the Deployment (Helm installs, C(<release>-developer-hub)).
    type: str
  token_secret:
    description: The ServiceAccount token Secret the sidecars read C(token) and C(ca.crt) from (C(envFrom)).
    type: str
    default: rhdh-rhoai-connector-token
  image_registry:
    description: Registry and organisation of the sidecar images; set it to a mirror on disconnected clusters.
    type: str
    default: quay.io/redhat-ai-dev
  image_digests:
    description: Digests (C(sha256:...)) or tags by sidecar name, overriding the pinned ones.
    type: dict
    default: {}
  images:
    description: Full image references by sidecar name, overriding registry and digest.
    type: dict
    default: {}
  image_pull_policy:
    description: Pull policy of the sidecars.
    type: str
    default: IfNotPresent
    choices: [Always, IfNotPresent, Never]
  metrics_port:
    description:
      - Port of the normalizer's metrics endpoint. Its own default, 8080, collides with the C(lightspeed-core)
        sidecar RHDH 1.10 adds.
    type: int
    default: 8081
  env:
    description:
      - "Extra environment variables by sidecar name (C(location), C(storage-rest), C(rhoai-normalizer)), such as
        C({rhoai-normalizer: {POLLING_INTERVAL: 1m, DEFAULT_OWNER: team-a, MR_ROUTE: ns:name}})."
      - Variables given without a container name go to every sidecar. Variables added to a sidecar by hand are kept.
    type: dict
    default: {}
  resources:
    description:
      - "Resource requests and limits by sidecar name, e.g. C({rhoai-normalizer: {limits: {memory: 512Mi}}})."
      - C(requests)/C(limits) given without a container name go to every sidecar.
    type: dict
  app_config_configmap:
    description: An app-config ConfigMap to register with RHDH together with the sidecars.
    type: str
  app_config_key:
    description: Key of O(app_config_configmap) holding the document (Helm installs mount that key).
    type: str
    default: app-config.rhoai-connector.yaml
  pod_annotations:
    description:
      - Annotations set on the pod template (Helm installs), for example a checksum of the plugin configuration,
        so that a change rolls the pod as the chart's own checksum annotation would.
    type: dict
    default: {}
  registries:
    description:
      - Names of the model registries the connector is granted (what M(rhdh.ai_connector.rhdh_connector_rbac) binds), in any order.
      - They are recorded in the pod template annotation C(rhdh.ai-connector/registries) (operator installs - through
        C(spec.deployment.patch.spec.template.metadata.annotations) of the C(Backstage) resource; Helm installs - on the
        Deployment and, in RV(helm_values), in C(upstream.backstage.podAnnotations)). When the set changes, the
        annotation changes and the pod rolls out, so that the normalizer sees the registries added and stops asking
        those removed. An empty list records no registry.
      - Not given - the annotation is left as it is.
    type: list
    elements: str
    version_added: 0.1.0
  state:
    description:
      - Whether the sidecars (and the app-config registration) are present or absent.
      - C(absent) also removes the registries annotation (see O(registries)).
    type: str
    choices: [present, absent]
    default: present
  values_file:
    description: A file to write RV(helm_values) to (Helm installs), as YAML.
    type: path
  wait:
    description: Wait until the workload has rolled out with the change.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the rollout.
    type: int
    default: 300
  connector:
    description:
      - V(sidecar) (RHDH 1.8-1.10) - the three sidecars.
      - V(plugin-only) (RHDH 2.x) - no sidecars (those found are removed, with the registries annotation), the
        app-config file, and the token of O(token_secret) as the variable C(token) of backstage-backend
        (C(spec.application.extraEnvs.secrets)); operator installs only.
    type: str
    choices: [sidecar, plugin-only]
    default: sidecar
    version_added: 0.1.0
  kubeconfig_secret:
    description:
      - Hub and spoke (OpenShift AI on another cluster), sidecar connector, operator installs - the Secret holding the
        OpenShift AI cluster's kubeconfig (key C(kubeconfig)), mounted into the rhoai-normalizer with C(KUBECONFIG) set and
        no token variable (a C(token) variable would make it read the RHDH cluster). A hash of the Secret is put on the
        pod template, so that the pod rolls out when the copy changes (the normalizer reads it when it starts).
      - location and storage-rest keep O(token_secret), a ServiceAccount of the RHDH cluster (storage-rest's cache is there).
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
    details: The write is sent as a server-side dry run; no wait.
  diff_mode:
    support: full
    details: >-
      The diff shows C(spec.deployment.patch) (the registries annotation included) and the app-config list (operator),
      or the pod's containers and pod template annotations (Helm).
"""

EXAMPLES = r"""
- name: Add the sidecars through the Backstage custom resource and wait for the rollout
  rhdh.ai_connector.rhdh_sidecar_patch:
    namespace: ai-rhdh
    backstage: developer-hub
    app_config_configmap: rhdh-rhoai-connector-app-config
    wait: true

- name: Patch a Helm install, from a mirror, and keep the values that make it permanent
  rhdh.ai_connector.rhdh_sidecar_patch:
    namespace: ai-rhdh
    deployment: rhdh-developer-hub
    image_registry: mirror.example.com/redhat-ai-dev
    values_file: "{{ playbook_dir }}/rhdh-connector-values.yaml"

- name: Roll the pod out when the set of model registries changes (the normalizer finds registries only at start)
  rhdh.ai_connector.rhdh_sidecar_patch:
    namespace: ai-rhdh
    backstage: developer-hub
    registries: [registry-prod, team-b]
    wait: true
  register: sidecars

- name: Say why the pod rolled out
  ansible.builtin.debug:
    msg: "{{ sidecars.rollout_reason }}"
  when: sidecars.rollout_reason | length > 0
"""

RETURN = r"""
install_type:
  description: C(operator) or C(helm).
  returned: always
  type: str
workload:
  description: Kind and name of the workload running RHDH.
  returned: always
  type: dict
containers:
  description: Names of the pod's containers after the change (as rendered, when known).
  returned: always
  type: list
  elements: str
changes:
  description: One line per change.
  returned: always
  type: list
  elements: str
helm_values:
  description:
    - Chart values (C(upstream.backstage.extraContainers), C(extraAppConfig), and with O(registries)
      C(podAnnotations)) that make the change survive C(helm upgrade).
  returned: always
  type: dict
rollout_reason:
  description:
    - Why the pod template changed, so that the pod rolls out (in check mode - would roll out); empty when it does not.
    - "Reasons are joined by C(; ), for example C(sidecars added), C(sidecars updated), C(app-config registered),
      C(registries changed: + team-b, - registry-prod)."
  returned: always
  type: str
  sample: "registries changed: + team-b"
  version_added: 0.1.0
rolled_out:
  description: Whether the workload was seen rolled out with the change (with O(wait)).
  returned: always
  type: bool
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_sidecar_patch as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.ensure_sidecars)


if __name__ == "__main__":
    main()
