# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_connector_token's work: the ServiceAccount token Secret, waited for until filled in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import (
    LABELS,
    describe,
    ensure_labels,
    owned,
)

TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_ANNOTATION = "kubernetes.io/service-account.name"


def filled(secret):
    data = (secret or {}).get("data") or {}
    return bool(data.get("token")) and bool(data.get("ca.crt"))


def run(mod):
    p = mod.params
    ns, name = p["namespace"], p["name"]
    where = describe("Secret", name, ns)
    live = mod.get("v1", "Secret", name, ns)
    if p["state"] == "absent":
        if live is None or not owned(live):
            return dict(changed=False, secret=name, filled=False, created=False, changes=[])
        mod.delete("v1", "Secret", name, ns)
        return dict(changed=True, secret=name, filled=False, created=False, changes=[where + " deleted"])
    created = False
    if live is not None:
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        if live.get("type") != TOKEN_TYPE or annotations.get(SA_ANNOTATION) != p["service_account"]:
            raise ConnectorError(
                "{0} exists but is not a {1} Secret of ServiceAccount {2} (type {3}, for {4})".format(
                    where, TOKEN_TYPE, p["service_account"], live.get("type"), annotations.get(SA_ANNOTATION)),
                fix="delete or rename that Secret, or choose another name (rhoai_connector_token_secret); it was left as it is",
            )
    else:
        if mod.get("v1", "ServiceAccount", p["service_account"], ns) is None and not mod.check_mode:
            raise ConnectorError("ServiceAccount {0}/{1} not found".format(ns, p["service_account"]),
                                 fix="create the ServiceAccount before its token Secret")
        body = {"apiVersion": "v1", "kind": "Secret", "type": TOKEN_TYPE,
                "metadata": ensure_labels({"name": name, "namespace": ns,
                                           "annotations": {SA_ANNOTATION: p["service_account"]}}, dict(LABELS, **p["labels"]))}
        live = mod.create("v1", "Secret", body)
        created = True
    if mod.check_mode or filled(live):
        return dict(changed=created, secret=name, filled=filled(live), created=created,
                    changes=[where + " created"] if created else [])

    def missing():
        return None if filled(mod.get("v1", "Secret", name, ns)) else "token not filled in"

    if mod.wait_until(missing, p["wait_timeout"]) is not None:
        raise ConnectorError(
            "{0} was not filled in by the token controller within {1} s".format(where, p["wait_timeout"]),
            fix="check that kube-controller-manager runs its token controller (it needs --service-account-private-key-file)",
        )
    return dict(changed=created, secret=name, filled=True, created=created, changes=[where + " created"] if created else [])


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    name=dict(type="str", default="rhdh-rhoai-connector-token"),
    service_account=dict(type="str", default="rhdh-rhoai-connector"),
    labels=dict(type="dict", default={}),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    wait_timeout=dict(type="int", default=60),
)
MODULE_OPTIONS = {}  # type: dict
