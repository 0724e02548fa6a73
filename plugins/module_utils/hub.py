# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hub and spoke (RHDH on one cluster, OpenShift AI on another): the checks of preflight that need no
request, and the copy of the connector's token on the RHDH cluster. Pure functions.

The copy of the token is a Secret on the RHDH cluster; its annotation records the URL of the OpenShift
AI cluster it was copied from, so that a run naming another OpenShift AI cluster for the same RHDH is
refused (both connectors read one cluster) before any write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import ipaddress
import json
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, describe, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

#: On the copy of the token: the OpenShift AI cluster's API URL it was copied from.
RHOAI_URL_ANNOTATION = "rhdh.ai-connector/rhoai-url"
URL_VAR = "rhoai_connector_rhoai_url"
REACHABLE_VAR = "rhoai_connector_rhoai_url_reachable"
#: rhoai_connector_rhoai_url's default: on one cluster, the pod's own API server.
IN_CLUSTER_URL = "https://kubernetes.default.svc"
#: The names under which a pod reaches the API server of its own cluster (never another cluster's).
IN_CLUSTER_HOSTS = ("kubernetes", "kubernetes.default", "kubernetes.default.svc")
IN_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local")


def host_of(url: str) -> str:
    """The host of ``url`` (lower case, without brackets or port); empty when it has none."""
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def in_cluster(host: str) -> bool:
    """Whether ``host`` names a cluster's own API server or a Service: from the RHDH pod, its own cluster."""
    return host in IN_CLUSTER_HOSTS or host.endswith(IN_CLUSTER_SUFFIXES)


def loopback(host: str) -> bool:
    """Whether ``host`` is this machine's own address (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problems(url: Optional[str], reachable: bool = False) -> List[ConnectorError]:
    """Why RHDH's pod could not read the OpenShift AI cluster at ``url`` (empty: it could): no https URL
    with a host, its own cluster's API server or a Service, or a loopback address (unless ``reachable``
    says it is, as for clusters on one machine)."""
    parts = urlsplit(url or "")
    host = host_of(url or "")
    where = "the OpenShift AI cluster's API URL for RHDH's pod ({0})".format(url or "empty")
    if parts.scheme != "https" or not host:
        return [ConnectorError(where + " is not an https URL with a host",
                               fix="set {0} to the OpenShift AI cluster's API URL, such as https://api.<cluster>:6443".format(URL_VAR))]
    if in_cluster(host):
        return [ConnectorError(
            where + " names a cluster's own API server or a Service: from RHDH's pod it is the RHDH cluster, not the "
            "OpenShift AI cluster", fix="set {0} to the OpenShift AI cluster's API URL as the RHDH cluster's pods reach it".format(URL_VAR))]
    if loopback(host) and not reachable:
        return [ConnectorError(
            where + " is a loopback address: RHDH's pod would reach itself, not the OpenShift AI cluster",
            fix="set {0} to an address the RHDH cluster's pods reach, or set {1}: true when it is one (both clusters on "
                "one machine)".format(URL_VAR, REACHABLE_VAR))]
    return []


def pod_url(given: str, connection_server: Optional[str], in_cluster_default: str = IN_CLUSTER_URL) -> str:
    """The OpenShift AI URL for RHDH's pod: ``given``, unless it is still the single-cluster default, then the
    API server the run reached the OpenShift AI cluster at (``connection_server``)."""
    if given and given != in_cluster_default:
        return given
    return connection_server or given


def second_spoke_problem(copy: Optional[Dict[str, Any]], url: str) -> Optional[ConnectorError]:
    """The refusal when RHDH already reads another OpenShift AI cluster: the collection's copy of the token
    (``copy``, read on the RHDH cluster) records a URL other than ``url``."""
    if copy is None or not owned(copy):
        return None
    meta = copy.get("metadata") or {}
    recorded = (meta.get("annotations") or {}).get(RHOAI_URL_ANNOTATION)
    if not recorded or recorded == url:
        return None
    return ConnectorError(
        "{0} holds the token of the OpenShift AI cluster at {1}; a second OpenShift AI cluster ({2}) for the same RHDH is "
        "refused: both connectors read only one cluster".format(describe("Secret", meta.get("name", ""), meta.get("namespace")),
                                                                recorded, url),
        fix="connect this RHDH to one OpenShift AI cluster: run the role with rhoai_connector_state: absent against {0} "
            "first to move to another one, or set {1} to {0} if it is the same cluster".format(recorded, URL_VAR))


#: The key of the sidecar connector's copy: a kubeconfig for the rhoai-normalizer.
KUBECONFIG_KEY = "kubeconfig"
#: The kubeconfig's names for the OpenShift AI cluster, its user and its context.
KUBECONFIG_NAME = "rhoai"


def kubeconfig(url: str, data: Dict[str, str], namespace: str) -> str:
    """A kubeconfig (JSON, which kubeconfig loaders read as YAML) for the OpenShift AI cluster at ``url``, as the
    connector's ServiceAccount: the token and CA of ``data`` (base64, as the token Secret holds them), the
    connector's namespace as the context's (the normalizer takes it for its own)."""
    cluster = {"server": url}
    if data.get("ca.crt"):
        cluster["certificate-authority-data"] = data["ca.crt"]
    token = base64.b64decode(data.get("token") or "").decode("utf-8")
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": KUBECONFIG_NAME,
        "clusters": [{"name": KUBECONFIG_NAME, "cluster": cluster}],
        "users": [{"name": KUBECONFIG_NAME, "user": {"token": token}}],
        "contexts": [{"name": KUBECONFIG_NAME, "context": {"cluster": KUBECONFIG_NAME, "user": KUBECONFIG_NAME,
                                                           "namespace": namespace}}],
    }, sort_keys=True, indent=2)


def kubeconfig_server(secret: Optional[Dict[str, Any]]) -> Optional[str]:
    """The server the kubeconfig in the collection's copy (``secret``, as read) names; None when it holds none."""
    raw = ((secret or {}).get("data") or {}).get(KUBECONFIG_KEY)
    if not raw:
        return None
    try:
        config = json.loads(base64.b64decode(raw).decode("utf-8"))
        return config["clusters"][0]["cluster"]["server"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def credentials_hash(secret: Optional[Dict[str, Any]]) -> Optional[str]:
    """A short hash of what the copy holds (never the token itself), recorded on the pod template so that the pod
    rolls out when the copy changes (the normalizer reads its kubeconfig when it starts); None without a copy."""
    data = (secret or {}).get("data") or {}
    if not data:
        return None
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
    return "sha256:" + digest[:16]


def token_copy(name: str, namespace: str, url: str, data: Dict[str, str], as_kubeconfig: bool = False) -> Dict[str, Any]:
    """The copy of the token on the RHDH cluster, with the collection's labels and the OpenShift AI cluster it came
    from: ``data`` (``token`` and ``ca.crt``, base64 as the token Secret holds them) for the plugin-only connector's
    variable and provider entry, or (``as_kubeconfig``, sidecar connector) a kubeconfig for the rhoai-normalizer
    (``KUBECONFIG_KEY``), naming ``url``."""
    if as_kubeconfig:
        body = {KUBECONFIG_KEY: base64.b64encode(kubeconfig(url, data, namespace).encode("utf-8")).decode("ascii")}
    else:
        body = {key: data[key] for key in ("token", "ca.crt") if data.get(key)}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(LABELS),
                         "annotations": {RHOAI_URL_ANNOTATION: url}},
            "data": body}
