# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module rhdh_info's work: find RHDH, its install type, version and the plugin tags that fit it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError


def run(mod):
    params = mod.params
    rules.normalize_rhdh_version(params["rhdh_version"])  # a bad version is refused before any request
    info = rhdh.find(mod, params["namespace"], params["name"], params["install_type"], params["rhdh_version"])
    try:
        info["plugin_tags"] = rules.plugin_tags(info["rhdh_version"], params["plugin_tags"], info["rhdh_version_source"])
        info["plugin_packages"] = dp.connector_packages(info["plugin_tags"], params["plugin_registry"])
    except ConnectorError as err:
        info["plugin_tags"] = None
        info["plugin_packages"] = []
        info["plugin_tags_error"] = str(err)
    return dict(changed=False, **info)


ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    name=dict(type="str"),
    install_type=dict(type="str", choices=["auto", "operator", "helm"], default="auto"),
    rhdh_version=dict(type="str"),
    plugin_tags=dict(type="dict"),
    plugin_registry=dict(type="str", default=dp.EXPORT_OVERLAYS),
)
MODULE_OPTIONS = {}  # type: dict
