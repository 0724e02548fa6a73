# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of role rhoai_connector: what its steps' results add up to (pure, no I/O)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

from ansible_collections.rhdh.ai_connector.plugins.module_utils import hub, inputs, report, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

#: The role's steps that write, in the order they run (the RBAC step also does the token and the
#: clean-up of the guide's older objects; rhoai_namespace, token_copy and rbac_rhdh, the RHDH cluster's part of the
#: sidecar connector's RBAC, run in hub and spoke mode only).
CONNECT_ORDER = ("rhoai_namespace", "rbac", "token_copy", "rbac_rhdh", "dynamic_plugins", "app_config", "sidecars",
                 "helm_values")
UNINSTALL_ORDER = ("sidecars", "dynamic_plugins", "app_config", "rbac", "token_copy", "rbac_rhdh", "rhoai_namespace",
                   "storage_cache")
REFUSED = "Preflight refused, nothing was changed: "


def step_changes(results, order=None, helm_values_file=""):
    # type: (Dict[str, Any], Optional[List[str]], str) -> List[Dict[str, Any]]
    """``[{step, changes}]`` of the steps that changed something, in ``order`` (default: connect's); a
    step that rolled RHDH's pod out also has ``rollout_reason``."""
    out = []
    for step in order or CONNECT_ORDER:
        result = results.get(step) or {}
        if not result.get("changed"):
            continue
        if step == "helm_values":
            lines = ["wrote " + helm_values_file]
        elif result.get("changes") is not None:
            lines = list(result["changes"])
        else:
            lines = ["{0} {1}".format(r["object"], r["action"]) for r in result.get("results") or []
                     if r["action"] not in ("unchanged", "kept", "absent")]
        entry = {"step": step, "changes": lines}
        if result.get("rollout_reason"):  # the sidecar step rolled the pod out (or would): why
            entry["rollout_reason"] = result["rollout_reason"]
        if result.get("moved_off_sidecars"):  # the move off the sidecars: the report names what stays
            entry["moved_off_sidecars"] = True
        out.append(entry)
    return out


def refusal(reasons):
    # type: (List[str]) -> str
    """The one message of a refused preflight: every reason (each naming the object and the fix); empty: none."""
    reasons = [str(r) for r in reasons or [] if r]
    return REFUSED + " | ".join(reasons) if reasons else ""


def input_problems(options):
    # type: (Dict[str, Any]) -> str
    """Why the names or the RHDH version given cannot work (empty: they can), checked before any request:
    ``options`` are the role's variables by module option name (``namespace``, ``registries``...)."""
    options = inputs.blank_is_unset(options)
    problems = inputs.invalid_names(options)
    try:
        rules.normalize_rhdh_version(options.get("rhdh_version"))
    except ConnectorError as err:
        problems.append(str(err))
    if not problems:
        return ""
    return str(ConnectorError(
        "; ".join(problems) + "; nothing was sent to the cluster",
        fix="correct the variable named (rhoai_connector_<option>; the RHDH namespace is rhoai_connector_rhdh_namespace, "
            "the Backstage CR or Helm release rhoai_connector_rhdh_name)"))


def report_lines(verdicts, rhdh, checks, check_mode=False, changes=None):
    # type: (List[Dict[str, Any]], Dict[str, Any], List[Dict[str, Any]], bool, Optional[List[Any]]) -> List[str]
    """The report people read: see module_utils/report.py."""
    return report.report_lines(verdicts, rhdh, checks, bool(check_mode), changes)


def token_copy(data, name, namespace, url, as_kubeconfig=False):
    # type: (Dict[str, str], str, str, str, bool) -> Dict[str, Any]
    """Hub and spoke: the copy of the connector's token on the RHDH cluster (``hub.token_copy``): the token, or
    (``as_kubeconfig``, sidecar connector) a kubeconfig for the rhoai-normalizer."""
    return hub.token_copy(name, namespace, url, data or {}, bool(as_kubeconfig))


def pod_rhoai_url(given, connection_server):
    # type: (str, Optional[str]) -> str
    """Hub and spoke: the OpenShift AI URL for RHDH's pod (``hub.pod_url``)."""
    return hub.pod_url(given, connection_server)


class FilterModule(object):
    def filters(self):
        return {
            "step_changes": step_changes,
            "refusal": refusal,
            "input_problems": input_problems,
            "report_lines": report_lines,
            "token_copy": token_copy,
            "pod_rhoai_url": pod_rhoai_url,
        }
