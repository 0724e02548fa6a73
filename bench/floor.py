#!/usr/bin/env python3
"""The floor of a no-op check: one Python process that imports the kubernetes client and sends the
reads the guide's steps cannot do without (15 with two registries: the objects, the CR, the served
Backstage versions, the DataScienceCluster, the registries and their bindings, the Deployment) against
a converged cluster, then tells whether everything is there. What a converge done in one process (one module, one client, one
discovery) could cost at best on this machine; it checks presence only, not content.

    python bench/floor.py KUBECONFIG        # prints JSON: seconds, requests, all_found
"""

from __future__ import annotations

import json
import sys
import time

STARTED = time.monotonic()

from kubernetes import client, config  # noqa: E402

NS, REG_NS, NAME = "ai-rhdh", "rhoai-model-registries", "rhdh-rhoai-connector"


def raw_get(api: client.ApiClient, path: str) -> bytes:
    """GET ``path`` as it comes, with the older and the newer generated ApiClient alike."""
    if hasattr(api, "param_serialize"):  # kubernetes >= 34
        response = api.call_api(*api.param_serialize("GET", path, auth_settings=["BearerToken"]))
        response.read()
        return bytes(response.data)
    return api.call_api(path, "GET", auth_settings=["BearerToken"], _preload_content=False,
                        _return_http_data_only=True).data


def main(kubeconfig: str) -> int:
    api = config.new_client_from_config(config_file=kubeconfig)
    api.user_agent = "rhdh-bench-floor"
    core, rbac, apps = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api), client.AppsV1Api(api)
    custom = client.CustomObjectsApi(api)
    calls = [
        lambda: core.read_namespaced_service_account(NAME, NS),
        lambda: rbac.read_cluster_role(NAME),
        lambda: rbac.read_cluster_role_binding(NAME),
        lambda: rbac.read_namespaced_role(NAME, NS),
        lambda: rbac.read_namespaced_role_binding(NAME, NS),
        lambda: core.read_namespaced_secret(NAME + "-token", NS),
        lambda: core.read_namespaced_config_map(NAME + "-app-config", NS),
        lambda: core.read_namespaced_config_map("dynamic-plugins-rhdh", NS),
        lambda: custom.list_namespaced_custom_object("rhdh.redhat.com", "v1alpha4", NS, "backstages"),
        lambda: raw_get(api, "/apis/rhdh.redhat.com"),
        lambda: custom.list_cluster_custom_object("datasciencecluster.opendatahub.io", "v1", "datascienceclusters"),
        lambda: apps.read_namespaced_deployment("backstage-developer-hub", NS),
    ]
    found = all(call() is not None for call in calls)
    registries = custom.list_namespaced_custom_object("modelregistry.opendatahub.io", "v1beta1", REG_NS,
                                                      "modelregistries")["items"]
    for reg in registries:
        rbac.read_namespaced_role_binding(f"rhdh-rhoai-dashboard-permissions-{reg['metadata']['name']}", REG_NS)
    requests = len(calls) + 1 + len(registries)
    print(json.dumps({"seconds": round(time.monotonic() - STARTED, 3), "requests": requests, "all_found": found}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
