# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_app_config's work: the model catalog provider's entry in the app-config ConfigMap."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import (
    LABELS,
    describe,
    diff_of,
    ensure_labels,
    owned,
)


def run(mod):
    p = mod.params
    ns, name, key, state = p["namespace"], p["configmap"], p["key"], p["state"]
    where = "{0} key {1}".format(describe("ConfigMap", name, ns), key)
    result = dict(changed=False, created=False, deleted=False, changes=[], configmap=name)
    live = mod.get("v1", "ConfigMap", name, ns)
    if live is None:
        if state == "absent":
            return result
        doc = {}
        changes = ac.ensure_base_url(doc, p["provider_id"], p["base_url"], state, where)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ensure_labels({"name": name, "namespace": ns}, dict(LABELS, **p["labels"])),
                "data": {key: yaml_text.dump(doc)}}
        mod.create("v1", "ConfigMap", body)
        result.update(changed=True, created=True, changes=changes, **diff_of({}, yaml_text.plain(doc), mod))
        return result

    outcome = {}

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
        changes = moved + ac.ensure_base_url(doc, p["provider_id"], p["base_url"], state, where)
        outcome.update(changes=changes, before=before, after=yaml_text.plain(doc))
        if not changes:
            return None
        data[key] = yaml_text.dump(doc, like=text) if doc else ""
        obj["data"] = data
        return obj

    update = mod.update("v1", "ConfigMap", name, ns, mutate)
    result.update(changed=update["changed"], changes=outcome["changes"])
    if update["changed"]:
        result.update(diff_of(outcome["before"], outcome["after"], mod))
    after = update["after"] or live
    others = [k for k, v in (after.get("data") or {}).items() if k != key and str(v).strip()] + list(after.get("binaryData") or {})
    if state == "absent" and owned(live) and not outcome["after"] and not others:
        mod.delete("v1", "ConfigMap", name, ns)
        result.update(changed=True, deleted=True)
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
