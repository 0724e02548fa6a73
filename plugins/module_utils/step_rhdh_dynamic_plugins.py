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

from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh, yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError
from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_io import (
    LABELS,
    describe,
    diff_of,
    ensure_labels,
    owned,
)


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


def run(mod):
    p = mod.params
    ns, key, state = p["namespace"], p["key"], p["state"]
    desired = [{k: v for k, v in entry.items() if v is not None} for entry in p["plugins"] or []]
    desired += [{"package": package} for package in p["packages"] or []]
    result = dict(changed=False, created=False, deleted=False, backstage_updated=False, changes=[])
    cr = api_version = None
    name = p["configmap"]
    if p["backstage"]:
        api_version = rhdh.backstage_api_version(mod, p["backstage_api_version"])
        cr = mod.get(api_version, "Backstage", p["backstage"], ns) if api_version else None
        if cr is None:
            raise ConnectorError("Backstage {0}/{1} not found".format(ns, p["backstage"]),
                                 fix="check the namespace and name of the RHDH custom resource")
        named = ((cr.get("spec") or {}).get("application") or {}).get("dynamicPluginsConfigMapName")
        name = named or name or "{0}-dynamic-plugins".format(p["backstage"])
        if name == "backstage-dynamic-plugins-" + p["backstage"]:
            raise ConnectorError(
                "Backstage {0}/{1} names the operator-owned ConfigMap {2} as its user plugin ConfigMap".format(ns, p["backstage"], name),
                fix="point spec.application.dynamicPluginsConfigMapName at a ConfigMap of your own; the operator overwrites {0}".format(name),
            )
    elif not name:
        raise ConnectorError("neither configmap nor backstage given", fix="name the ConfigMap, or the Backstage custom resource")
    where = describe("ConfigMap", name, ns)
    key_where = "{0} key {1}".format(where, key)
    result["configmap"] = name

    live = mod.get("v1", "ConfigMap", name, ns)
    if live is None:
        if state != "present":
            result.update(plugins=[], helm_values={})
            return _point_cr(mod, result, cr, api_version, None, state)
        if not p["backstage"]:
            raise ConnectorError("{0} not found".format(where), fix="check the name (Helm installs: <release>-dynamic-plugins)")
        text, changes, before, after, record = edit("", key_where, desired, state)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ensure_labels({"name": name, "namespace": ns}, dict(LABELS, **p["labels"])),
                "data": {key: text}}
        set_record(body, record)
        mod.create("v1", "ConfigMap", body)
        result.update(changed=True, created=True, changes=changes, **diff_of({}, after, mod))
        result.update(plugins=_managed(after, desired), helm_values=helm_values(after))
        return _point_cr(mod, result, cr, api_version, name, state)

    outcome = {}

    def mutate(obj):
        data = obj.get("data") or {}
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        text, changes, before, after, record = edit(
            data.get(key, ""), key_where, desired, state, dp.load_record(annotations.get(dp.RECORD_ANNOTATION)),
            p["adopt_entries"])
        outcome.update(changes=changes, before=before, after=after)
        recorded = set_record(obj, record)
        if text is None and not recorded:
            return None
        if text is not None:
            obj["data"] = dict(data, **{key: text})
        return obj

    update = mod.update("v1", "ConfigMap", name, ns, mutate)
    after = outcome["after"]
    result.update(changed=update["changed"], changes=outcome["changes"],
                  plugins=_managed(after, desired), helm_values=helm_values(after))
    if update["changed"]:
        result.update(diff_of(outcome["before"], after, mod))
    if state == "absent" and owned(live) and not (after or {}).get("plugins"):
        mod.delete("v1", "ConfigMap", name, ns)
        result.update(changed=True, deleted=True)
        return _point_cr(mod, result, cr, api_version, None, state)
    return _point_cr(mod, result, cr, api_version, name, state)


def _point_cr(mod, result, cr, api_version, name, state):
    """Point the custom resource at ``name`` (or away from a ConfigMap that was deleted)."""
    if cr is None:
        return result
    current = ((cr.get("spec") or {}).get("application") or {}).get("dynamicPluginsConfigMapName")
    if name is not None and current == name:
        return result
    if name is None and (not result["deleted"] or current != result["configmap"]):
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

    update = mod.update(api_version, "Backstage", cr["metadata"]["name"], cr["metadata"]["namespace"], mutate)
    if update["changed"]:
        result.update(changed=True, backstage_updated=True)
        result["changes"] = result["changes"] + ["{0} spec.application.dynamicPluginsConfigMapName of Backstage {1}".format(
            "set" if name else "removed", cr["metadata"]["name"])]
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
