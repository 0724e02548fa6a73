# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service the steps talk to the API server through: reads, writes, waits. It takes a client
(kubernetes.core's ``get_api_client``), not a module: the Ansible glue (``k8s_module``) builds it.

Two choices differ from kubernetes.core's ``K8sService``, on purpose:

- **Read once per process.** What was read is remembered until the process writes anything (any
  write forgets it all) or a wait polls again. Steps joined in one process (the RBAC step and the
  token) share one request per object, and what a step sees is never older than its last write; a
  list answers the reads of its items too.
- **Read-modify-write with the resourceVersion read, retried on 409 Conflict** (``update``). The API
  server refuses strategic-merge patches on custom resources, and a JSON merge patch replaces whole
  lists (a Backstage CR's containers): so the object is read, changed locally, and written back only
  when it differs, with the version that was read.

Check mode is the API server's dry run (``dryRun=All``), as in kubernetes.core.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import describe
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

try:
    from kubernetes.dynamic.exceptions import (
        ConflictError,
        DynamicApiError,
        NotFoundError,
        ResourceNotFoundError,
    )
except ImportError:  # pragma: no cover - the module glue reports the missing library before any request

    class DynamicApiError(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.DynamicApiError."""

    class ConflictError(DynamicApiError):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.ConflictError."""

    class NotFoundError(DynamicApiError):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.NotFoundError."""

    class ResourceNotFoundError(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.ResourceNotFoundError."""

CONFLICT_ATTEMPTS = 5


def api_message(exc: Exception) -> str:
    """The API server's own message of a failed request."""
    body = getattr(exc, "body", None)
    if body:
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        try:
            return json.loads(body).get("message") or str(body)
        except (ValueError, TypeError, AttributeError):
            return str(body)
    summary = getattr(exc, "summary", None)
    return str(summary() if callable(summary) else exc)


def api_error(exc: Exception, verb: str, what: str, server: str) -> ConnectorError:
    """A failed request as the user can act on it: refused credentials, a missing permission, a rejected
    object, or the API server's own message; ``server`` is the API server's URL, for the first."""
    status = getattr(exc, "status", None)
    message = api_message(exc)
    if status == 401:
        return ConnectorError(
            "the API server at {0} refused the credentials (401 Unauthorized) when asked to {1} {2}".format(
                server, verb, what),
            fix="the token or client certificate is wrong or has expired: log in again (oc login) or renew the token "
                "given as api_key / K8S_AUTH_API_KEY (in AAP, the credential's token), and check that the "
                "kubeconfig/context or host names this cluster",
        )
    if status == 403:
        return ConnectorError(
            "forbidden: cannot {0} {1}: {2}".format(verb, what, message),
            fix="grant the identity running the collection this permission (docs/least-privilege.md lists them all)",
        )
    if status == 422:
        return ConnectorError("the API server rejected the {0} of {1}: {2}".format(verb, what, message),
                              fix="correct the input it names")
    return ConnectorError("{0} of {1} failed ({2}): {3}".format(verb, what, status, message),
                          fix="check the cluster's API server and run again")


def backoff(first: float, most: float, factor: float = 1.5) -> Iterator[float]:
    """Pauses between polls: ``first``, then each one ``factor`` times the last, at most ``most``."""
    pause = first
    while True:
        yield pause
        pause = min(most, pause * factor)


class K8sService:
    """Reads, writes and waits against one API server through ``client`` (kubernetes.core's dynamic
    client). ``server`` names the API server in error messages; ``check_mode`` makes every write a dry
    run. ``writes`` counts the write requests sent."""

    def __init__(self, client: Any, check_mode: bool = False, server: Callable[[], str] = lambda: "the API server") -> None:
        self.client = client
        self.check_mode = check_mode
        self._server = server
        self.writes = 0
        self._reads = {}  # type: Dict[Any, Any]
        self._discovery = {}  # type: Dict[str, Any]

    def api_server(self) -> str:
        """The API server's URL as the client reached it (hub and spoke: the OpenShift AI cluster's)."""
        return self._server()

    def error(self, exc: Exception, verb: str, what: str) -> ConnectorError:
        return api_error(exc, verb, what, self._server())

    def resource(self, api_version: str, kind: str) -> Any:
        try:
            return self.client.resource(kind, api_version)
        except ResourceNotFoundError:
            raise ConnectorError(
                "the API server does not serve {0} {1}".format(api_version, kind),
                fix="install the operator that provides {0} or correct the apiVersion".format(kind),
            )

    # -- discovery ------------------------------------------------------------------------------
    def _discover(self, path: str, what: str) -> Optional[Dict[str, Any]]:
        """The discovery document at ``path`` (None when not served), asked once per process."""
        if path not in self._discovery:
            try:
                data = self.client.client.request("get", path)
                self._discovery[path] = data.to_dict() if hasattr(data, "to_dict") else dict(data)
            except NotFoundError:
                self._discovery[path] = None
            except DynamicApiError as exc:
                raise self.error(exc, "discover", what)
        return self._discovery[path]

    def served_versions(self, group: str) -> List[str]:
        """Versions the API server serves for ``group``, preferred first; [] when the group is unknown."""
        doc = self._discover("/apis/{0}".format(group), "API group " + group)
        if doc is None:
            return []
        preferred = (doc.get("preferredVersion") or {}).get("version")
        versions = [v["version"] for v in doc.get("versions") or []]
        return ([preferred] if preferred else []) + [v for v in versions if v != preferred]

    def group_has(self, group: str, version: str, plural: str) -> bool:
        """Whether ``group/version`` serves the resource ``plural`` (discovery, no RBAC needed)."""
        doc = self._discover("/apis/{0}/{1}".format(group, version), "API {0}/{1}".format(group, version))
        if doc is None:
            return False
        return any(r.get("name") == plural for r in doc.get("resources") or [])

    # -- reads ----------------------------------------------------------------------------------
    def forget(self) -> None:
        """Drop what was read: the next read of each object asks the API server again."""
        self._reads.clear()

    def get(self, api_version: str, kind: str, name: str, namespace: Optional[str] = None) -> Optional[Dict[str, Any]]:
        key = ("get", api_version, kind, namespace, name)
        if key not in self._reads:
            resource = self.resource(api_version, kind)
            try:
                self._reads[key] = resource.get(name=name, namespace=namespace).to_dict()
            except NotFoundError:
                self._reads[key] = None
            except DynamicApiError as exc:
                raise self.error(exc, "get", describe(kind, name, namespace))
        return copy.deepcopy(self._reads[key])

    def list(self, api_version: str, kind: str, namespace: Optional[str] = None,
             label_selector: Optional[str] = None) -> List[Dict[str, Any]]:
        key = ("list", api_version, kind, namespace, label_selector)
        if key not in self._reads:
            resource = self.resource(api_version, kind)
            try:
                items = resource.get(namespace=namespace, label_selector=label_selector).to_dict().get("items") or []
            except NotFoundError:
                items = []
            except DynamicApiError as exc:
                raise self.error(exc, "list", "{0} in {1}".format(kind, namespace or "the cluster"))
            self._reads[key] = items
            for item in items:  # a list answers the reads of its items too
                item = dict(item, apiVersion=api_version, kind=kind)
                meta = item.get("metadata") or {}
                self._reads[("get", api_version, kind, meta.get("namespace"), meta.get("name"))] = item
        return copy.deepcopy(self._reads[key])

    def wait_until(self, check: Callable[[], Optional[str]], timeout: float, sleep: float = 0.1,
                   max_sleep: float = 5.0) -> Optional[str]:
        """Poll ``check`` (None = done, else what is still missing) until done or ``timeout``.

        The first check may use what was already read; every later one reads again. The pause
        between polls starts at ``sleep`` and grows by half each time up to ``max_sleep``: what is
        done in a moment (a token filled in, a rollout on a small cluster) is seen at once, and a
        long rollout is not polled more than every ``max_sleep`` seconds.
        """
        deadline = time.monotonic() + timeout
        missing = check()
        for pause in backoff(sleep, max_sleep):
            if missing is None or time.monotonic() >= deadline:
                break
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            self.forget()
            missing = check()
        return missing

    # -- writes ---------------------------------------------------------------------------------
    def _dry_run(self) -> Dict[str, str]:
        return {"dry_run": "All"} if self.check_mode else {}

    def _wrote(self) -> None:
        self.writes += 1
        self.forget()

    def create(self, api_version: str, kind: str, body: Dict[str, Any]) -> Dict[str, Any]:
        meta = body["metadata"]
        self._wrote()
        try:
            return self.resource(api_version, kind).create(body=body, namespace=meta.get("namespace"), **self._dry_run()).to_dict()
        except DynamicApiError as exc:
            raise self.error(exc, "create", describe(kind, meta["name"], meta.get("namespace")))

    def ask(self, api_version: str, kind: str, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create a review object (SubjectAccessReview): a question, never a dry run, nothing forgotten."""
        try:
            return self.resource(api_version, kind).create(body=body).to_dict()
        except DynamicApiError as exc:
            raise self.error(exc, "create", kind)

    def replace(self, api_version: str, kind: str, body: Dict[str, Any]) -> Dict[str, Any]:
        meta = body["metadata"]
        self._wrote()
        return self.resource(api_version, kind).replace(body=body, namespace=meta.get("namespace"), **self._dry_run()).to_dict()

    def patch(self, api_version: str, kind: str, name: str, namespace: Optional[str], body: Dict[str, Any],
              content_type: str = "application/merge-patch+json") -> Dict[str, Any]:
        self._wrote()
        try:
            return self.resource(api_version, kind).patch(
                body=body, name=name, namespace=namespace, content_type=content_type, **self._dry_run()).to_dict()
        except DynamicApiError as exc:
            raise self.error(exc, "patch", describe(kind, name, namespace))

    def delete(self, api_version: str, kind: str, name: str, namespace: Optional[str] = None) -> bool:
        self._wrote()
        try:
            self.resource(api_version, kind).delete(name=name, namespace=namespace, **self._dry_run())
            return True
        except NotFoundError:
            return False
        except DynamicApiError as exc:
            raise self.error(exc, "delete", describe(kind, name, namespace))

    def update(self, api_version: str, kind: str, name: str, namespace: Optional[str],
               mutate: Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]) -> Dict[str, Any]:
        """Read-modify-write with the ``resourceVersion`` read, retried on 409 Conflict.

        ``mutate`` gets a copy of the live object and returns the desired one, or None when nothing
        is to change. Returns ``{"before", "after", "changed"}``; ``after`` is the server's answer
        (a dry-run answer in check mode).
        """
        where = describe(kind, name, namespace)
        for _attempt in range(CONFLICT_ATTEMPTS):
            live = self.get(api_version, kind, name, namespace)
            if live is None:
                raise ConnectorError("{0} not found".format(where), fix="check the name and namespace, or create it first")
            desired = mutate(copy.deepcopy(live))
            if desired is None or desired == live:
                return {"before": live, "after": live, "changed": False}
            desired.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
            try:
                after = self.replace(api_version, kind, desired)
            except ConflictError:
                time.sleep(0.2)
                continue
            except DynamicApiError as exc:
                raise self.error(exc, "update", where)
            return {"before": live, "after": after, "changed": True}
        raise ConnectorError(
            "{0} kept changing while it was being updated ({1} conflicts in a row)".format(where, CONFLICT_ATTEMPTS),
            fix="find what else writes to it (an operator, GitOps, another run) and run again",
        )
