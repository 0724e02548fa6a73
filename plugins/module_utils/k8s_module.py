"""The Ansible glue of the collection's modules, on kubernetes.core's module wrapper and client:
argument specs (kubernetes.core's auth options plus the module's own), the client, the step's call
with its validated options, and the module's exit or failure.

Auth options, ``K8S_AUTH_*`` variables (what AAP's credential injects), kubeconfig handling and
check mode's server-side dry run behave as in ``kubernetes.core.k8s``. The requests themselves go
through ``k8s_service.K8sService``; each step is a function of that service and named, typed
options that returns a ``common.StepResult``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
from typing import Any, Callable, Dict

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.rhdh.ai_connector.plugins.module_utils import inputs, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import StepResult, user_agent
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService, api_error

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
    from kubernetes.dynamic.exceptions import DynamicApiError
except ImportError:  # pragma: no cover - AnsibleK8SModule reports the missing library

    class DynamicApiError(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.dynamic.exceptions.DynamicApiError."""

    class ApiException(Exception):  # type: ignore[no-redef]
        """Stand-in for kubernetes.client.exceptions.ApiException."""


class BlankIsUnsetModule(AnsibleModule):
    """AnsibleModule that reads an option given as ``""`` as not given (AAP sends ``""`` for a survey
    question left empty), before type checks and defaults: see ``inputs.blank_is_unset``."""

    def _load_params(self):
        super(BlankIsUnsetModule, self)._load_params()
        self.params = inputs.blank_is_unset(self.params)


class ConnectorModule:
    """An Ansible module of this collection: kubernetes.core's auth options plus its own, the service its
    step talks to the API server through, and the step's call (``run_step``)."""

    def __init__(self, argument_spec: Dict[str, Any], **kwargs: Any) -> None:
        spec = copy.deepcopy(AUTH_ARG_SPEC)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        kwargs.setdefault("module_class", BlankIsUnsetModule)
        self.module = AnsibleK8SModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.own_options = sorted(argument_spec)
        self._client = None
        self._service = None  # type: K8sService | None

    @property
    def client(self):
        if self._client is None:
            try:
                self._client = get_api_client(self.module)
            except CoreException as exc:
                self.fail(ConnectorError(str(exc), fix="check the kubeconfig/context or host and api_key options"))
            self._client.client.client.user_agent = user_agent(getattr(self.module, "_name", ""))
        return self._client

    @property
    def service(self) -> K8sService:
        """The service of this module's process (its client is made on the first request)."""
        if self._service is None:
            self._service = K8sService(_LazyClient(self), self.module.check_mode, self.api_server)
        return self._service

    def options(self) -> Dict[str, Any]:
        """The module's own options, validated (kubernetes.core's auth options left out): the step's arguments."""
        return {name: self.params[name] for name in self.own_options}

    # -- errors and exit ------------------------------------------------------------------------
    def fail(self, err: Exception, **extra: Any) -> None:
        self.module.fail_json(msg=str(err), **extra)

    def exit(self, **result: Any) -> None:
        self.module.exit_json(**result)

    def run_step(self, step: Callable[..., StepResult]) -> None:
        """Call ``step`` with the service and the module's options, and exit with its result (the diff in
        diff mode, its warnings shown as Ansible's); a ConnectorError becomes a clear failure.

        What the error carries in ``partial`` (what a step did before it failed) is returned with the
        failure. Names are checked first: nothing is sent before they pass.
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
            result = step(self.service, **self.options())
        except ConnectorError as err:
            self.fail(err, **getattr(err, "partial", {}))
            return
        except TransportError as exc:
            self.fail(self.unreachable(exc))
            return
        except (DynamicApiError, ApiException) as exc:
            # what the client's own discovery raised before any step could name the request
            self.fail(api_error(exc, "discover", "the API groups", self.api_server()))
            return
        for warning in result.warnings:
            self.module.warn(warning)
        self.exit(**result.as_dict(with_diff=bool(self.module._diff)))

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


class _LazyClient:
    """The module's client, made on first use: a step that is refused before any request makes none."""

    def __init__(self, module: ConnectorModule) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module.client, name)
