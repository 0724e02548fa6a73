# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_app_config's work: the model catalog provider's entry in the app-config ConfigMap."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import app_config as ac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rules, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, Options, StepResult, describe, diff, ensure_labels, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService


def edit(doc: Dict[str, Any], p: Options, owned_by_us: bool, where: str) -> List[str]:
    """The connector's entries in ``doc``, in place; one line per change. ``absent`` removes the entries
    of both connectors (and the ``catalog.rules`` the collection wrote in a ConfigMap of its own)."""
    if p.state == "absent":
        changes = ac.ensure_base_url(doc, p.provider_id, p.base_url, "absent", where)
        return changes + ac.ensure_kserve(doc, p.cluster["name"] if p.cluster else ac.DEFAULT_CLUSTER, None,
                                          [] if owned_by_us else None, None, "absent", where)
    if p.connector != rules.PLUGIN_ONLY_CONNECTOR:
        return ac.ensure_base_url(doc, p.provider_id, p.base_url, "present", where)
    if not p.cluster or not p.cluster.get("url"):
        raise ConnectorError("{0}: the plugin-only connector needs the OpenShift AI cluster's API URL".format(where),
                             fix="give cluster.url (the role passes rhoai_connector_rhoai_url)")
    c = p.cluster
    entry = ac.kserve_entry(c["name"], c["url"], c.get("ca_data"), c.get("catalog_url"), c.get("default_owner"),
                            c.get("default_lifecycle"), p.token_env)
    return ac.ensure_kserve(doc, c["name"], entry, p.catalog_rules, p.provider_id, "present", where)


def ensure_app_config(svc: K8sService, *, namespace: str, configmap: str, key: str, provider_id: str, base_url: str,
                      state: str, labels: Optional[Dict[str, str]], connector: str, cluster: Optional[Dict[str, Any]],
                      catalog_rules: Optional[List[Any]], token_env: str) -> StepResult:
    """The connector's entry in ``configmap`` (created, owned by the collection, when missing): the
    provider's ``baseUrl`` (sidecar connector), or the kserve provider's cluster entry and
    ``catalog.rules`` (plugin-only connector, which also removes the ``baseUrl`` entry); ``absent``
    removes them, and the ConfigMap when the collection made it and nothing else is left."""
    p = Options(**{k: v for k, v in locals().items() if k != "svc"})
    ns, name = namespace, configmap
    where = "{0} key {1}".format(describe("ConfigMap", name, ns), key)
    result = StepResult(created=False, deleted=False, configmap=name)
    live = svc.get("v1", "ConfigMap", name, ns)
    if live is None:
        if state == "absent":
            return result
        doc = {}  # type: Dict[str, Any]
        changes = edit(doc, p, True, where)
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
        changes = moved + edit(doc, p, owned(obj), where)
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
    connector=dict(type="str", choices=["sidecar", "plugin-only"], default="sidecar"),
    cluster=dict(type="dict", options=dict(
        name=dict(type="str", default="rhoai"),
        url=dict(type="str"),
        ca_data=dict(type="str"),
        catalog_url=dict(type="str"),
        default_owner=dict(type="str"),
        default_lifecycle=dict(type="str"),
    )),
    catalog_rules=dict(type="list", elements="raw"),
    token_env=dict(type="str", default=ac.TOKEN_ENV, no_log=False),
)
MODULE_OPTIONS = {}  # type: dict
