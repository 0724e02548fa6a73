# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module; the same names and variables as kubernetes.core."""

    DOCUMENTATION = r"""
options:
  host:
    description:
      - URL of the Kubernetes or OpenShift API server.
      - Read from E(K8S_AUTH_HOST) when not set (AAP's bearer-token credential sets it).
    type: str
  api_key:
    description:
      - Bearer token for the API server. Read from E(K8S_AUTH_API_KEY) when not set.
    type: str
  kubeconfig:
    description:
      - Path to a kubeconfig file, or its content as a dictionary.
      - Read from E(K8S_AUTH_KUBECONFIG), then the default C(~/.kube/config), when neither this nor O(host) is set.
    type: raw
  context:
    description:
      - The kubeconfig context to use. Read from E(K8S_AUTH_CONTEXT) when not set.
    type: str
  username:
    description:
      - User name for basic authentication. Read from E(K8S_AUTH_USERNAME) when not set.
    type: str
  password:
    description:
      - Password for basic authentication. Read from E(K8S_AUTH_PASSWORD) when not set.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate. Read from E(K8S_AUTH_VERIFY_SSL) when not set.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the CA bundle that signed the API server's certificate. Read from E(K8S_AUTH_SSL_CA_CERT) when not set.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate. Read from E(K8S_AUTH_CERT_FILE) when not set.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert). Read from E(K8S_AUTH_KEY_FILE) when not set.
    type: path
    aliases: [key_file]
  proxy:
    description:
      - HTTP proxy for requests to the API server. Read from E(K8S_AUTH_PROXY) when not set.
    type: str
  no_proxy:
    description:
      - Comma-separated hosts and networks that bypass O(proxy). Read from E(K8S_AUTH_NO_PROXY) when not set.
    type: str
  proxy_headers:
    description:
      - Headers sent to the proxy.
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy. Read from E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) when not set.
        type: str
      basic_auth:
        description:
          - C(user:password) basic authentication. Read from E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) when not set.
        type: str
      user_agent:
        description:
          - User agent sent to the proxy. Read from E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) when not set.
        type: str
  persist_config:
    description:
      - Whether to save a refreshed token back to the kubeconfig. Read from E(K8S_AUTH_PERSIST_CONFIG) when not set.
    type: bool
  impersonate_user:
    description:
      - User to impersonate. Read from E(K8S_AUTH_IMPERSONATE_USER) when not set.
    type: str
  impersonate_groups:
    description:
      - Groups to impersonate. Read from E(K8S_AUTH_IMPERSONATE_GROUPS) as a comma-separated list when not set.
    type: list
    elements: str
requirements:
  - kubernetes >= 24.2.0
  - PyYAML >= 5.4
notes:
  - All modules of this collection belong to the action group C(rhdh.ai_connector.ai_connector), which
    extends C(kubernetes.core.k8s), so one C(module_defaults) entry sets the connection for both collections.
"""
