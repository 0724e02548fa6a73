#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rhdh_info
short_description: Find how Red Hat Developer Hub is installed and which connector plugins fit it
version_added: 0.1.0
description:
  - Finds the RHDH instance in a namespace, installed by the RHDH operator (a C(Backstage) custom resource)
    or by the Helm chart (a C(<release>-developer-hub) Deployment).
  - Returns the custom resource's served and storage versions, the workload and its containers and volumes,
    the user's dynamic-plugins ConfigMap, the app-config ConfigMaps, the RHDH version where it can be told,
    and the plugin tags that fit it.
  - Read-only; it never changes the cluster.
author:
  - RHDH AI connector maintainers (!UNKNOWN)
options:
  namespace:
    description: Namespace of RHDH.
    type: str
    required: true
  name:
    description:
      - Name of the C(Backstage) custom resource or of the Helm release. Needed only when the namespace holds several.
    type: str
  install_type:
    description: How RHDH is installed; C(auto) tells it from what is found.
    type: str
    choices: [auto, operator, helm]
    default: auto
  rhdh_version:
    description:
      - The RHDH release (C(1.8), C(1.9), C(1.10); C(1.8.2) counts as C(1.8); C(1.1), an unquoted 1.10, is refused)
        when it cannot be told from the workload's image tag, the RHDH operator's ClusterServiceVersion, the served
        Backstage versions (operator installs) or the RHDH chart's version (Helm installs).
      - The cluster's own sources are still read. Where they name a release of the same connector, the given one
        stands; where they name a release that needs another connector (RHDH 2.x against a given 1.10, say), the
        release is refused naming both (RV(rhdh_version_error)).
    type: str
  plugin_tags:
    description:
      - Explicit plugin tags, by plugin short name, overriding the ones chosen from the RHDH version.
    type: dict
  plugin_registry:
    description: Registry and repository of the plugin OCI artifacts (a mirror on disconnected clusters).
    type: str
    default: ghcr.io/redhat-developer/rhdh-plugin-export-overlays
  plugins_configmap:
    description:
      - Operator installs - the plugin ConfigMap the connector would create when the custom resource names none
        (default C(<name>-dynamic-plugins)); returned as RV(plugins_configmap).
    type: str
  preflight:
    description:
      - Also run, read-only, every check that would make a step of the connector refuse to bring it to this state,
        and return each reason in RV(refusals) (empty - the steps can run). Nothing is checked when not given.
      - The checks - the plugin tags are known (C(present)); the user's plugin ConfigMap holds a valid document and is
        not the operator-owned one; the custom resource's C(spec.deployment) and its C(patch) are mappings and the
        patch's containers a list; (C(present)) no container of the pod or of the patch is named like a sidecar
        without being one, no port the sidecars need is taken, the plugin volume is there, and the path and volume
        the connector's app-config file needs are free.
    type: str
    choices: [present, disabled, absent]
  metrics_port:
    description: With O(preflight) - the normalizer's metrics port, checked against the pod's ports.
    type: int
    default: 8081
  app_config_configmap:
    description: With O(preflight) - the connector's app-config ConfigMap (also the name of its volume).
    type: str
    default: rhdh-rhoai-connector-app-config
  app_config_key:
    description: With O(preflight) - the connector's app-config file (ConfigMap key).
    type: str
    default: app-config.rhoai-connector.yaml
  rhoai:
    description:
      - Also read OpenShift AI (or Open Data Hub) and judge its prerequisites, as M(rhdh.ai_connector.rhoai_info) does,
        in this module's process (RV(rhoai)); the role's preflight is then one task. Empty - RHDH only.
    type: dict
    version_added: 0.1.0
    suboptions:
      datasciencecluster:
        description: The DataScienceCluster to read; empty - the only one.
        type: str
      registries_namespace:
        description: Namespace of the model registries; empty - the DataScienceCluster's.
        type: str
  hub:
    description:
      - Hub and spoke - OpenShift AI runs on another cluster than RHDH. With O(preflight) C(present) or C(disabled),
        also refuse an O(hub.rhoai_url) that RHDH's pod could not read the OpenShift AI cluster at, an RHDH release
        that takes the sidecar connector, and (C(present)) a second OpenShift AI cluster for this RHDH.
      - Empty - OpenShift AI runs on this cluster; nothing more is read.
    type: dict
    version_added: 0.1.0
    suboptions:
      rhoai_url:
        description:
          - The OpenShift AI cluster's API URL as RHDH's pod is to reach it. Refused when it is not https, names a
            cluster's own API server or a Service (C(kubernetes.default.svc)), or is a loopback address without
            O(hub.rhoai_url_reachable).
        type: str
        required: true
      rhoai_url_reachable:
        description: A loopback O(hub.rhoai_url) is reachable from RHDH's pod (both clusters on one machine).
        type: bool
        default: false
      token_secret:
        description:
          - The collection's copy of the connector's token on this cluster; the OpenShift AI cluster's URL it
            records must be O(hub.rhoai_url).
        type: str
        required: true
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
- name: Find RHDH
  rhdh.ai_connector.rhdh_info:
    namespace: ai-rhdh
  register: rhdh

- name: Show how it is installed
  ansible.builtin.debug:
    msg: "{{ rhdh.install_type }} install of RHDH {{ rhdh.rhdh_version }}, workload {{ rhdh.workload.name }}"
"""

RETURN = r"""
refusals:
  description:
    - With O(preflight), every reason a step of the connector would refuse, each naming the object and the fix.
  returned: always
  type: list
  elements: str
  sample:
    - "Backstage ai-rhdh/developer-hub: spec.deployment.patch must be a mapping, found a str.
      Fix: make spec.deployment.patch a Deployment fragment (a mapping); nothing was changed."
plugins_configmap:
  description: The user's plugin ConfigMap (operator installs - named by the custom resource, or the one to create).
  returned: always
  type: str
plugin_identities:
  description: The connector's plugins by their tag-less identity (what uninstall removes whatever the tags).
  returned: always
  type: list
  elements: str
pod_annotations:
  description: Helm installs - the pod annotation that rolls RHDH out when the plugin list changes.
  returned: always
  type: dict
install_type:
  description: C(operator) or C(helm).
  returned: always
  type: str
name:
  description: The C(Backstage) name (operator) or the Helm release name.
  returned: always
  type: str
namespace:
  description: Namespace of RHDH.
  returned: always
  type: str
backstage:
  description: The custom resource's name, the apiVersion used for it (its storage version) and the served versions; null for Helm.
  returned: always
  type: dict
workload:
  description: The Deployment or StatefulSet running RHDH, with its containers, init containers, volumes and ports.
  returned: always
  type: dict
dynamic_plugins_configmap:
  description: The user's dynamic-plugins ConfigMap (null when the custom resource names none).
  returned: always
  type: str
operator_plugins_configmap:
  description: The operator-owned plugin ConfigMap, never edited by this collection (operator installs).
  returned: always
  type: str
app_config_configmaps:
  description: The app-config ConfigMaps in use.
  returned: always
  type: list
  elements: str
rhdh_version:
  description:
    - The RHDH release (C(1.8), C(2.0)), or null when it could not be told.
    - A source that cannot tell is no source. An image tag such as C(next) or C(latest), an image pinned by digest, served
      Backstage versions that more than one release serves (v1alpha4 and v1alpha5 are RHDH 1.10 and 2.0 alike) and a
      chart line this collection does not know decide nothing.
    - Null also when O(rhdh_version) is given and the cluster's own sources name a release that needs another connector
      (see RV(rhdh_version_error)).
  returned: always
  type: str
rhdh_version_source:
  description: Which source decided RV(rhdh_version) (given, image tag, ClusterServiceVersion, served Backstage versions,
    RHDH chart), or what was read when none could.
  returned: always
  type: str
rhdh_connector:
  description:
    - The connector the RHDH release needs, C(sidecar) (RHDH 1.8 to 1.10) or C(plugin-only) (RHDH 2.0 and later, which
      this version of the collection refuses to install); null when the release is not known.
  returned: always
  type: str
  version_added: 0.1.0
rhdh_version_error:
  description:
    - Why the given O(rhdh_version) was refused, naming both sources, when the cluster names a release that needs another
      connector; null otherwise.
  returned: always
  type: str
  version_added: 0.1.0
plugin_tags:
  description: The plugin tags for this RHDH, by plugin short name; null with O(plugin_tags) unset and the version unknown.
  returned: always
  type: dict
plugin_packages:
  description: The two plugin packages (C(oci://...:<tag>!<path>)) for these tags; empty when plugin_tags is null.
  returned: always
  type: list
  elements: str
sidecar_digests:
  description: The sidecars' image digests for this RHDH release (empty when it takes no sidecars or is not known).
  returned: always
  type: dict
  version_added: 0.1.0
plugin_tags_error:
  description: Why no plugin tags could be chosen, and which variables to set.
  returned: when plugin_tags is null
  type: str
helm_release:
  description: The Helm release name (Helm installs).
  returned: always
  type: str
rhoai:
  description: OpenShift AI's facts and prerequisite verdicts, as M(rhdh.ai_connector.rhoai_info) returns them.
  returned: when O(rhoai) is given
  type: dict
  version_added: 0.1.0
"""

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_info as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_module import ConnectorModule


def main():
    mod = ConnectorModule(argument_spec=step.ARGUMENT_SPEC, **step.MODULE_OPTIONS)
    mod.run_step(step.rhdh_info)


if __name__ == "__main__":
    main()
