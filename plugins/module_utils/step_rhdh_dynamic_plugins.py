# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_dynamic_plugins's work: merge the connector's plugins into the dynamic-plugins ConfigMap.

Which entries the collection added and which it found (the user's, as they were) is recorded in
the ConfigMap's annotation ``dp.RECORD_ANNOTATION`` at install time; ``state=absent`` removes the
former and gives the latter their content back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import LABELS, StepResult, describe, diff, ensure_labels, owned
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import K8sService


def edit(text, key_where, desired, state, record=None, adopt=True):
    """(new text or None when unchanged, changes, before, after, record) for a document ``text``.

    ``record`` is what the ConfigMap's annotation holds; the record returned is the one to write
    (None: remove the annotation).
    """
    doc = dp.validate(yaml_text.load(text, key_where), key_where)
    before = yaml_text.plain(doc)
    record = record or {}
    if state == "absent":
        changes = dp.restore_entries(doc, desired, record)
        new_record = None
    else:
        new_record = dp.record_entries(yaml_text.plain(doc), desired, record, state, adopt)
        changes = dp.ensure_plugins(doc, desired, state)
        changes += ["recorded the entry {0} found before the install (state=absent gives it back)".format(
            entry["package"]) for name, entry in sorted(new_record.items()) if entry and name not in record]
    after = yaml_text.plain(doc)
    if after == before:
        return None, changes, before, after, new_record
    return yaml_text.dump(doc, like=text or ""), changes, before, after, new_record


def set_record(obj, record):
    """Write ``record`` into the annotation of ConfigMap ``obj`` (None removes it); whether it changed."""
    meta = obj.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    if record:
        annotations[dp.RECORD_ANNOTATION] = dp.dump_record(record)
    else:
        annotations.pop(dp.RECORD_ANNOTATION, None)
    if annotations == (meta.get("annotations") or {}):
        return False
    meta["annotations"] = annotations
    return True


def ensure_plugins(svc: K8sService, *, namespace: str, configmap: Optional[str], backstage: Optional[str],
                   backstage_api_version: Optional[str], key: str, packages: Optional[List[str]],
                   plugins: Optional[List[Dict[str, Any]]], state: str, labels: Optional[Dict[str, str]],
                   adopt_entries: bool) -> StepResult:
    """The plugin entries in the user's dynamic-plugins ConfigMap (merged by tag-less identity); on
    operator installs the ConfigMap the Backstage CR names, created and named in the CR when it names none."""
    ns = namespace
    desired = [{k: v for k, v in entry.items() if v is not None} for entry in plugins or []]
    desired += [{"package": package} for package in packages or []]
    result = StepResult(created=False, deleted=False, backstage_updated=False)
    cr = api_version = None
    name = configmap
    if backstage:
        api_version = rhdh.backstage_api_version(svc, backstage_api_version)
        cr = svc.get(api_version, "Backstage", backstage, ns) if api_version else None
        if cr is None:
            raise ConnectorError("Backstage {0}/{1} not found".format(ns, backstage),
                                 fix="check the namespace and name of the RHDH custom resource")
        named = ((cr.get("spec") or {}).get("application") or {}).get("dynamicPluginsConfigMapName")
        name = named or name or "{0}-dynamic-plugins".format(backstage)
        if name == "backstage-dynamic-plugins-" + backstage:
            raise ConnectorError(
                "Backstage {0}/{1} names the operator-owned ConfigMap {2} as its user plugin ConfigMap".format(ns, backstage, name),
                fix="point spec.application.dynamicPluginsConfigMapName at a ConfigMap of your own; the operator overwrites {0}".format(name),
            )
    elif not name:
        raise ConnectorError("neither configmap nor backstage given", fix="name the ConfigMap, or the Backstage custom resource")
    where = describe("ConfigMap", name, ns)
    key_where = "{0} key {1}".format(where, key)
    result.values["configmap"] = name

    live = svc.get("v1", "ConfigMap", name, ns)
    if live is None:
        if state != "present":
            result.values.update(plugins=[], helm_values={})
            return _point_cr(svc, result, cr, api_version, None, state)
        if not backstage:
            raise ConnectorError("{0} not found".format(where), fix="check the name (Helm installs: <release>-dynamic-plugins)")
        text, changes, before, after, record = edit("", key_where, desired, state)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ensure_labels({"name": name, "namespace": ns}, dict(LABELS, **(labels or {}))),
                "data": {key: text}}
        set_record(body, record)
        svc.create("v1", "ConfigMap", body)
        result.changed, result.changes, result.diff = True, list(changes), diff({}, after)
        result.values.update(created=True, plugins=_managed(after, desired), helm_values=helm_values(after))
        return _point_cr(svc, result, cr, api_version, name, state)

    outcome = {}  # type: Dict[str, Any]

    def mutate(obj):
        data = obj.get("data") or {}
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        text, changes, before, after, record = edit(
            data.get(key, ""), key_where, desired, state, dp.load_record(annotations.get(dp.RECORD_ANNOTATION)),
            adopt_entries)
        outcome.update(changes=changes, before=before, after=after)
        recorded = set_record(obj, record)
        if text is None and not recorded:
            return None
        if text is not None:
            obj["data"] = dict(data, **{key: text})
        return obj

    update = svc.update("v1", "ConfigMap", name, ns, mutate)
    after = outcome["after"]
    result.changed, result.changes = update["changed"], list(outcome["changes"])
    result.values.update(plugins=_managed(after, desired), helm_values=helm_values(after))
    if update["changed"]:
        result.diff = diff(outcome["before"], after)
    if state == "absent" and owned(live) and not (after or {}).get("plugins"):
        svc.delete("v1", "ConfigMap", name, ns)
        result.changed = True
        result.values["deleted"] = True
        return _point_cr(svc, result, cr, api_version, None, state)
    return _point_cr(svc, result, cr, api_version, name, state)


def _point_cr(svc: K8sService, result: StepResult, cr: Optional[Dict[str, Any]], api_version: Optional[str],
              name: Optional[str], state: str) -> StepResult:
    """Point the custom resource at ``name`` (or away from a ConfigMap that was deleted)."""
    if cr is None:
        return result
    current = ((cr.get("spec") or {}).get("application") or {}).get("dynamicPluginsConfigMapName")
    if name is not None and current == name:
        return result
    if name is None and (not result.values["deleted"] or current != result.values["configmap"]):
        return result

    def mutate(obj):
        app = obj.setdefault("spec", {}).setdefault("application", {})
        if name is None:
            app.pop("dynamicPluginsConfigMapName", None)
            if not app:
                del obj["spec"]["application"]
        else:
            app["dynamicPluginsConfigMapName"] = name
        return obj

    update = svc.update(api_version, "Backstage", cr["metadata"]["name"], cr["metadata"]["namespace"], mutate)
    if update["changed"]:
        result.changed = True
        result.values["backstage_updated"] = True
        result.changes.append("{0} spec.application.dynamicPluginsConfigMapName of Backstage {1}".format(
            "set" if name else "removed", cr["metadata"]["name"]))
    return result


def _managed(doc, desired):
    found = dp.find_plugins(doc, [d["package"] for d in desired])
    return [copy.deepcopy(v) for v in found.values() if v is not None]


def helm_values(doc):
    """The document as the chart's ``global.dynamic`` values (whole lists: Helm does not merge them)."""
    return {"global": {"dynamic": {k: v for k, v in (doc or {}).items() if k in ("includes", "plugins")}}}


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    configmap=dict(type="str"),
    backstage=dict(type="str"),
    backstage_api_version=dict(type="str"),
    key=dict(type="str", default=dp.CONFIG_KEY, no_log=False),
    packages=dict(type="list", elements="str"),
    plugins=dict(type="list", elements="dict", options=dict(
        package=dict(type="str", required=True),
        pluginConfig=dict(type="dict"),
    )),
    state=dict(type="str", choices=["present", "disabled", "absent"], default="present"),
    labels=dict(type="dict", default={}),
    adopt_entries=dict(type="bool", default=True),
)
MODULE_OPTIONS = dict(
    required_one_of=[("packages", "plugins")],
)
