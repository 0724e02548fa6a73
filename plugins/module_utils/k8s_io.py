# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's only API layer, on kubernetes.core's module wrapper and client.

Auth options, ``K8S_AUTH_*`` variables (what AAP's credential injects), kubeconfig handling and
check mode's server-side dry run behave as in ``kubernetes.core.k8s``. Writes go through
``update``/``create``/``patch`` here, always with the ``resourceVersion`` that was read, and only
when the caller found a real difference: a re-run sends no write request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.rhdh.ai_connector.plugins.module_utils import inputs, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

    HAS_K8S_CORE = True
except ImportError:  # pragma: no cover - reported by the module wrapper
    HAS_K8S_CORE = False
    AUTH_ARG_SPEC = {}

try:
    from urllib3.exceptions import HTTPError as TransportError
except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes client

    class TransportError(Exception):  # type: ignore[no-redef]
        """Stand-in for urllib3.exceptions.HTTPError."""


try:
    from kubernetes.client.exceptions import ApiException
    from kubernetes.dynamic.exceptions import (
        ConflictError,
        DynamicApiError,
        NotFoundError,
        ResourceNotFoundError,
    )
except ImportError:  # pragma: no cover - AnsibleK8SModule reports the missing library

    # Stand-ins so that the except clauses below stay distinct; without the kubernetes client the
    # module fails before any request, so none of them is ever raised.
    class DynamicApiError(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.DynamicApiError."""

    class ConflictError(DynamicApiError):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.ConflictError."""

    class NotFoundError(DynamicApiError):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.NotFoundError."""

    class ResourceNotFoundError(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.ResourceNotFoundError."""

    class ApiException(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.client.exceptions.ApiException."""

USER_AGENT = "rhdh.ai_connector"
MANAGED_BY = "rhdh.ai_connector"
LABELS = {"app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/part-of": "rhdh-rhoai-connector"}
CONFLICT_ATTEMPTS = 5


def user_agent(module_name: str) -> str:
    """``rhdh.ai_connector/<module>``: the audit log tells each step's requests apart."""
    short = (module_name or "").rsplit(".", 1)[-1]
    return "{0}/{1}".format(USER_AGENT, short) if short else USER_AGENT


def describe(kind: str, name: str, namespace: Optional[str] = None) -> str:
    return "{0} {1}{2}".format(kind, namespace + "/" if namespace else "", name)


def api_message(exc: Exception) -> str:
    """The API server's own message of a failed request."""
    body = getattr(exc, "body", None)
    if body:
        try:
            return json.loads(body).get("message") or to_native(body)
        except (ValueError, TypeError, AttributeError):
            return to_native(body)
    return to_native(getattr(exc, "summary", lambda: exc)() if hasattr(exc, "summary") else exc)


class BlankIsUnsetModule(AnsibleModule):
    """AnsibleModule that reads an option given as ``""`` as not given (AAP sends ``""`` for a survey
    question left empty), before type checks and defaults: see ``inputs.blank_is_unset``."""

    def _load_params(self):
        super(BlankIsUnsetModule, self)._load_params()
        self.params = inputs.blank_is_unset(self.params)


class ConnectorModule:
    """An Ansible module of this collection: kubernetes.core's auth options plus its own."""

    def __init__(self, argument_spec: Dict[str, Any], **kwargs: Any) -> None:
        spec = copy.deepcopy(AUTH_ARG_SPEC)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        kwargs.setdefault("module_class", BlankIsUnsetModule)
        self.module = AnsibleK8SModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._client = None
        self.writes = 0
        # What this process has read, until its next write: one run reads each object once.
        self._reads = {}  # type: Dict[Any, Any]
        self._discovery = {}  # type: Dict[str, Any]

    # -- client and discovery -----------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            try:
                self._client = get_api_client(self.module)
            except CoreException as exc:
                self.fail(ConnectorError(str(exc), fix="check the kubeconfig/context or host and api_key options"))
            self._client.client.client.user_agent = user_agent(getattr(self.module, "_name", ""))
        return self._client

    def resource(self, api_version: str, kind: str):
        try:
            return self.client.resource(kind, api_version)
        except ResourceNotFoundError:
            raise ConnectorError(
                "the API server does not serve {0} {1}".format(api_version, kind),
                fix="install the operator that provides {0} or correct the apiVersion".format(kind),
            )

    def _discover(self, path: str, what: str) -> Optional[Dict[str, Any]]:
        """The discovery document at ``path`` (None when not served), asked once per process."""
        if path not in self._discovery:
            try:
                data = self.client.client.request("get", path)
                self._discovery[path] = data.to_dict() if hasattr(data, "to_dict") else dict(data)
            except NotFoundError:
                self._discovery[path] = None
            except DynamicApiError as exc:
                raise self._api_error(exc, "discover", what)
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
    # Reads are remembered until the process writes anything (any write forgets them all) or a wait
    # loop polls again: steps that look at the same object share one request, and what they see
    # is never older than the process's last write.
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
                raise self._api_error(exc, "get", describe(kind, name, namespace))
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
                raise self._api_error(exc, "list", "{0} in {1}".format(kind, namespace or "the cluster"))
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
            raise self._api_error(exc, "create", describe(kind, meta["name"], meta.get("namespace")))

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
            raise self._api_error(exc, "patch", describe(kind, name, namespace))

    def delete(self, api_version: str, kind: str, name: str, namespace: Optional[str] = None) -> bool:
        self._wrote()
        try:
            self.resource(api_version, kind).delete(name=name, namespace=namespace, **self._dry_run())
            return True
        except NotFoundError:
            return False
        except DynamicApiError as exc:
            raise self._api_error(exc, "delete", describe(kind, name, namespace))

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
                raise self._api_error(exc, "update", where)
            return {"before": live, "after": after, "changed": True}
        raise ConnectorError(
            "{0} kept changing while it was being updated ({1} conflicts in a row)".format(where, CONFLICT_ATTEMPTS),
            fix="find what else writes to it (an operator, GitOps, another run) and run again",
        )

    # -- errors and exit ------------------------------------------------------------------------
    def _api_error(self, exc: Exception, verb: str, what: str) -> ConnectorError:
        status = getattr(exc, "status", None)
        message = api_message(exc)
        if status == 401:
            return ConnectorError(
                "the API server at {0} refused the credentials (401 Unauthorized) when asked to {1} {2}".format(
                    self.api_server(), verb, what),
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

    def fail(self, err: Exception, **extra: Any) -> None:
        self.module.fail_json(msg=str(err), **extra)

    def exit(self, **result: Any) -> None:
        self.module.exit_json(**result)

    def run(self, body: Callable[[], Dict[str, Any]]) -> None:
        """Run ``body`` and exit with its result; a ConnectorError becomes a clear failure.

        What the error carries in ``partial`` (what a run of several steps did before it) is
        returned with the failure. Names are checked first: nothing is sent before they pass.
        """
        problems = inputs.invalid_names(self.params)
        if problems:
            self.fail(ConnectorError(
                "; ".join(problems) + "; nothing was sent to the cluster",
                fix="correct the option named (role variable rhoai_connector_<option>; the RHDH namespace is "
                    "rhoai_connector_rhdh_namespace, the Backstage CR or Helm release rhoai_connector_rhdh_name)"))
            return
        try:
            rules.normalize_rhdh_version(self.params.get("rhdh_version"))  # 1.1 (an unquoted 1.10) and the like
        except ConnectorError as err:
            self.fail(err)
            return
        try:
            result = body()
        except ConnectorError as err:
            self.fail(err, **getattr(err, "partial", {}))
            return
        except TransportError as exc:
            self.fail(self.unreachable(exc))
            return
        except (DynamicApiError, ApiException) as exc:
            # what the client's own discovery raised before any step could name the request
            self.fail(self._api_error(exc, "discover", "the API groups"))
            return
        self.exit(**result)

    def api_server(self) -> str:
        """The API server's URL, wherever it came from: the client, the host option, K8S_AUTH_HOST (what
        AAP's credential injects), or the kubeconfig the client loaded (before its first request failed)."""
        host = getattr(getattr(self._client, "configuration", None), "host", None)
        host = host or self.params.get("host") or os.environ.get("K8S_AUTH_HOST")
        if not host:
            try:
                from kubernetes.client import Configuration

                loaded = Configuration.get_default_copy().host
                host = loaded if loaded and loaded != "http://localhost" else None
            except Exception:  # noqa: BLE001 - only a better message is at stake
                host = None
        return host or "(the kubeconfig's current context)"

    def unreachable(self, exc: Exception) -> ConnectorError:
        """The API server did not answer (refused, timed out, TLS failed): say where and what to check."""
        return ConnectorError(
            "cannot reach the API server at {0}: {1}".format(self.api_server(), to_native(exc)),
            fix="check that the cluster is up and that the kubeconfig/context, or host, ca_cert and validate_certs, point at it",
        )


class StepModule:
    """One step of a run of several in one process: the run's client, reads, check and diff mode,
    with the step's own parameters (what the step's module would have been given)."""

    def __init__(self, run: ConnectorModule, params: Dict[str, Any]) -> None:
        self._run = run
        self.params = params

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)


def backoff(first: float, most: float, factor: float = 1.5) -> Iterator[float]:
    """Pauses between polls: ``first``, then each one ``factor`` times the last, at most ``most``."""
    pause = first
    while True:
        yield pause
        pause = min(most, pause * factor)


def ensure_labels(meta: Dict[str, Any], labels: Dict[str, str]) -> Dict[str, Any]:
    meta = copy.deepcopy(meta or {})
    meta.setdefault("labels", {})
    meta["labels"].update(labels)
    return meta


def owned(obj: Optional[Dict[str, Any]]) -> bool:
    """Whether the collection created ``obj`` (it carries the collection's managed-by label)."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get("app.kubernetes.io/managed-by") == MANAGED_BY


def diff_of(before: Any, after: Any, module: ConnectorModule) -> Dict[str, Any]:
    """``diff`` for diff mode (parsed content, not YAML strings); empty when diff mode is off."""
    if not module.module._diff:
        return {}
    return {"diff": {"before": before if before is not None else {}, "after": after if after is not None else {}}}
