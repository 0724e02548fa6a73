# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_app_config's work: the model catalog provider's entry in the app-config ConfigMap."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, StepResult, describe, diff, ensure_labels, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService


def ensure_app_config(svc: K8sService, *, namespace: str, configmap: str, key: str, provider_id: str, base_url: str,
                      state: str, labels: Optional[Dict[str, str]]) -> StepResult:
    """The provider's ``baseUrl`` entry in ``configmap`` (created, owned by the collection, when missing);
    ``absent`` removes the entry, and the ConfigMap when the collection made it and nothing else is left."""
    ns, name = namespace, configmap
    where = "{0} key {1}".format(describe("ConfigMap", name, ns), key)
    result = StepResult(created=False, deleted=False, configmap=name)
    live = svc.get("v1", "ConfigMap", name, ns)
    if live is None:
        if state == "absent":
            return result
        doc = {}  # type: Dict[str, Any]
        changes = ac.ensure_base_url(doc, provider_id, base_url, state, where)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ensure_labels({"name": name, "namespace": ns}, dict(LABELS, **(labels or {}))),
                "data": {key: yaml_text.dump(doc)}}
        svc.create("v1", "ConfigMap", body)
        return StepResult(changed=True, changes=changes, diff=diff({}, yaml_text.plain(doc)), created=True,
                          deleted=False, configmap=name)

    outcome = {}  # type: Dict[str, Any]

    def mutate(obj):
        data = dict(obj.get("data") or {})
        moved = []
        if owned(obj):  # the collection's own ConfigMap from an earlier version: move its key
            for legacy in ac.LEGACY_CONFIG_KEYS:
                if legacy != key and legacy in data:
                    legacy_text = data.pop(legacy)
                    data.setdefault(key, legacy_text)
                    moved.append("moved the document from key {0} to key {1} (the RHDH operator mounts each key at "
                                 "/opt/app-root/src/<key>, where {0} hides the user's own file)".format(legacy, key))
        text = data.get(key, "")
        doc = ac.validate(yaml_text.load(text, where), where)
        before = yaml_text.plain(doc)
        changes = moved + ac.ensure_base_url(doc, provider_id, base_url, state, where)
        outcome.update(changes=changes, before=before, after=yaml_text.plain(doc))
        if not changes:
            return None
        data[key] = yaml_text.dump(doc, like=text) if doc else ""
        obj["data"] = data
        return obj

    update = svc.update("v1", "ConfigMap", name, ns, mutate)
    result.changed, result.changes = update["changed"], list(outcome["changes"])
    if update["changed"]:
        result.diff = diff(outcome["before"], outcome["after"])
    after = update["after"] or live
    others = [k for k, v in (after.get("data") or {}).items() if k != key and str(v).strip()] + list(after.get("binaryData") or {})
    if state == "absent" and owned(live) and not outcome["after"] and not others:
        svc.delete("v1", "ConfigMap", name, ns)
        result.changed = True
        result.values["deleted"] = True
    return result


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    configmap=dict(type="str", default="rhdh-rhoai-connector-app-config"),
    key=dict(type="str", default=ac.CONFIG_KEY, no_log=False),
    provider_id=dict(type="str", default=ac.DEFAULT_PROVIDER_ID),
    base_url=dict(type="str", default=ac.DEFAULT_BASE_URL),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    labels=dict(type="dict", default={}),
)
MODULE_OPTIONS = {}  # type: dict
