"""A small REST layer over ``kubernetes.client.ApiClient``: discovery, get, server-side apply.

Applying is idempotent *on the wire*: an object whose desired fields already match the live
object is not sent at all, so loading a scenario twice sends no write request (tests check
that in the audit log).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from .errors import TestbedError

LOG = logging.getLogger("testbed.kube")
FIELD_MANAGER = "testbed"
Obj = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """What discovery says about one kind."""

    group_version: str
    plural: str
    namespaced: bool
    has_status: bool

    def path(self, namespace: str | None, name: str | None = None) -> str:
        """The REST path of a collection (``name`` None) or of one object."""
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced:
            if not namespace:
                raise TestbedError(f"{self.plural} is namespaced: a namespace is needed")
            base = f"{base}/namespaces/{namespace}"
        base = f"{base}/{self.plural}"
        return f"{base}/{name}" if name else base


def is_subset(desired: Any, live: Any) -> bool:
    """True if every field of ``desired`` is present with the same value in ``live``.

    Lists must have the same length and match element by element (server-side apply keeps
    the order a manager gave); extra fields in ``live`` (defaults, other managers) are fine.
    """
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(
            key in live and is_subset(value, live[key]) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(desired) == len(live)
            and all(is_subset(d, l) for d, l in zip(desired, live))
        )
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if isinstance(desired, (int, float)) and isinstance(live, (int, float)):
        return float(desired) == float(live)
    return bool(desired == live)


def raw_request(
    api: ApiClient,
    method: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    timeout: float | None = None,
) -> bytes:
    """One request with the client's credentials; the body as it came (raises ApiException on a
    status of 400 or more). The kubernetes client's generated ApiClient changed its call_api in
    34.1: older ones take (path, method, ...), newer ones a request made by param_serialize."""
    if hasattr(api, "param_serialize"):
        request = api.param_serialize(method, path, query_params=query or [], header_params=headers or {},
                                      body=body, auth_settings=["BearerToken"])
        response = api.call_api(*request, _request_timeout=timeout)
        response.read()
        if response.status >= 400:
            raise ApiException(http_resp=response)
        return bytes(response.data or b"")
    response = api.call_api(
        path, method, query_params=query or [], header_params=headers or {}, body=body,
        auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
        _request_timeout=timeout,
    )
    return bytes(response.data or b"")


class Kube:
    """REST calls against one cluster, with a discovery cache."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._groups: dict[str, dict[str, Resource]] = {}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> Obj:
        """Send one request and return the decoded JSON answer (raises ApiException)."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        data = raw_request(self.api, method, path, query=query, headers=headers, body=body)
        return json.loads(data) if data else {}

    def get_or_none(self, path: str) -> Obj | None:
        """GET ``path``; None on 404."""
        try:
            return self.request("GET", path)
        except ApiException as err:
            if err.status == 404:
                return None
            raise

    def _discover(self, group_version: str) -> dict[str, Resource]:
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        found = self.get_or_none(path)
        kinds: dict[str, Resource] = {}
        if found is None:
            return kinds
        names = {r["name"] for r in found.get("resources", [])}
        for res in found.get("resources", []):
            if "/" in res["name"]:
                continue
            kinds[res["kind"]] = Resource(
                group_version=group_version,
                plural=res["name"],
                namespaced=bool(res["namespaced"]),
                has_status=f"{res['name']}/status" in names,
            )
        return kinds

    def resource(self, api_version: str, kind: str, wait: float = 30.0) -> Resource:
        """Find ``kind`` of ``api_version`` by discovery (waiting for a new CRD to be served)."""
        deadline = time.monotonic() + wait
        while True:
            kinds = self._groups.get(api_version)
            if kinds is None or kind not in kinds:
                kinds = self._groups[api_version] = self._discover(api_version)
            if kind in kinds:
                return kinds[kind]
            if time.monotonic() > deadline:
                raise TestbedError(f"the API server does not serve {kind} in {api_version}")
            time.sleep(0.5)

    def path_of(self, obj: Obj) -> str:
        """The REST path of ``obj``."""
        res = self.resource(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        return res.path(meta.get("namespace"), meta["name"])

    def get(self, obj: Obj) -> Obj | None:
        """The live version of ``obj`` (None if absent)."""
        return self.get_or_none(self.path_of(obj))

    def apply(self, obj: Obj, path: str | None = None) -> Obj:
        """Server-side apply ``obj`` with field manager ``testbed`` (force: take ownership)."""
        return self.request(
            "PATCH",
            path or self.path_of(obj),
            body=obj,
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            content_type="application/apply-patch+yaml",
        )

    def ensure(self, obj: Obj) -> bool:
        """Make the live object carry every field of ``obj`` (status via its subresource).

        Sends nothing when the live object already matches. Returns True if it wrote.
        """
        desired = {k: v for k, v in obj.items() if k != "status"}
        status = obj.get("status")
        live = self.get(desired)
        wrote = False
        if live is None or not is_subset(desired, live):
            live = self.apply(desired)
            wrote = True
        if status is not None and not is_subset(status, live.get("status")):
            res = self.resource(obj["apiVersion"], obj["kind"])
            meta = obj["metadata"]
            body = {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta},
                "status": status,
            }
            path = res.path(meta.get("namespace"), meta["name"])
            self.apply(body, path + "/status" if res.has_status else path)
            wrote = True
        return wrote


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; raise TestbedError after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except (ApiException, TestbedError, OSError) as err:
            last_error = err
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TestbedError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


def crd_established(kube: Kube, name: str) -> bool:
    """True once CRD ``name`` is Established and its names accepted."""
    crd = kube.get_or_none(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
    if not crd:
        return False
    status = crd.get("status") or {}
    conditions = {c["type"]: c["status"] for c in status.get("conditions") or []}
    return conditions.get("Established") == "True" and conditions.get("NamesAccepted") == "True"


def rolled_out(kube: Kube, namespace: str, name: str, kind: str = "Deployment") -> bool:
    """True once Deployment/StatefulSet ``name`` has all its replicas updated and ready."""
    plural = "deployments" if kind == "Deployment" else "statefulsets"
    obj = kube.get_or_none(f"/apis/apps/v1/namespaces/{namespace}/{plural}/{name}")
    if not obj:
        return False
    spec, status = obj.get("spec", {}), obj.get("status", {})
    replicas = spec.get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 0)
        and status.get("updatedReplicas", 0) == replicas
        and status.get("readyReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and (kind != "Deployment" or status.get("availableReplicas", 0) == replicas)
    )
