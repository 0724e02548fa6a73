# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_connector_token's work: the ServiceAccount token Secret, waited for until filled in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, StepResult, describe, ensure_labels, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService

TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_ANNOTATION = "kubernetes.io/service-account.name"


def filled(secret):
    data = (secret or {}).get("data") or {}
    return bool(data.get("token")) and bool(data.get("ca.crt"))


def ensure_token(svc: K8sService, *, namespace: str, name: str, service_account: str,
                 labels: Optional[Dict[str, str]], state: str, wait_timeout: int, return_data: bool = False) -> StepResult:
    """The ServiceAccount's token Secret, created when missing and waited for until the token controller
    fills it in (``present``); deleted when the collection created it (``absent``). With ``return_data``, the
    token and ``ca.crt`` too (hub and spoke: copied to the RHDH cluster by a task that logs nothing)."""
    where = describe("Secret", name, namespace)
    live = svc.get("v1", "Secret", name, namespace)

    def result(created: bool, filled_in: bool, changes: Any = (), secret: Any = None) -> StepResult:
        # ca_data: the cluster's CA as the Secret holds it (base64 PEM), for the 2.x provider's caData
        ca_data = ((secret or {}).get("data") or {}).get("ca.crt") if filled_in else None
        out = StepResult(changed=bool(changes), changes=list(changes), secret=name, filled=filled_in, created=created,
                         ca_data=ca_data)
        if return_data:
            data = ((secret or {}).get("data") or {}) if filled_in else {}
            out.values["data"] = {key: data[key] for key in ("token", "ca.crt") if data.get(key)} or None
        return out

    if state == "absent":
        if live is None or not owned(live):
            return result(False, False)
        svc.delete("v1", "Secret", name, namespace)
        return result(False, False, [where + " deleted"])
    created = False
    if live is not None:
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        if live.get("type") != TOKEN_TYPE or annotations.get(SA_ANNOTATION) != service_account:
            raise ConnectorError(
                "{0} exists but is not a {1} Secret of ServiceAccount {2} (type {3}, for {4})".format(
                    where, TOKEN_TYPE, service_account, live.get("type"), annotations.get(SA_ANNOTATION)),
                fix="delete or rename that Secret, or choose another name (rhoai_connector_token_secret); it was left as it is",
            )
    else:
        if svc.get("v1", "ServiceAccount", service_account, namespace) is None and not svc.check_mode:
            raise ConnectorError("ServiceAccount {0}/{1} not found".format(namespace, service_account),
                                 fix="create the ServiceAccount before its token Secret")
        body = {"apiVersion": "v1", "kind": "Secret", "type": TOKEN_TYPE,
                "metadata": ensure_labels({"name": name, "namespace": namespace,
                                           "annotations": {SA_ANNOTATION: service_account}}, dict(LABELS, **(labels or {})))}
        live = svc.create("v1", "Secret", body)
        created = True
    changes = [where + " created"] if created else []
    if svc.check_mode or filled(live):
        return result(created, filled(live), changes, live)
    seen = {}  # type: Dict[str, Any]

    def missing():
        seen["secret"] = svc.get("v1", "Secret", name, namespace)
        return None if filled(seen["secret"]) else "token not filled in"

    if svc.wait_until(missing, wait_timeout) is not None:
        raise ConnectorError(
            "{0} was not filled in by the token controller within {1} s".format(where, wait_timeout),
            fix="check that kube-controller-manager runs its token controller (it needs --service-account-private-key-file)",
        )
    return result(created, True, changes, seen.get("secret"))


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    name=dict(type="str", default="rhdh-rhoai-connector-token"),
    service_account=dict(type="str", default="rhdh-rhoai-connector"),
    labels=dict(type="dict", default={}),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    wait_timeout=dict(type="int", default=60),
    return_data=dict(type="bool", default=False),
)
MODULE_OPTIONS = {}  # type: dict
