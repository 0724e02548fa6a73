# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report people read at the end of a run: one line per verdict or check. Pure, no I/O.

- The permission checks (one SubjectAccessReview per verb, about twenty) make one line that names
  only the permissions missing.
- In check mode nothing was created, so a check of an object the run would create says so
  (``WOULD CREATE``) instead of ``FAIL``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional

ACCESS_PREFIX = "access "
#: Words of a failed check that mean the object or entry is not there yet (else it is there but differs).
NOT_THERE = ("not found", "missing", "does not exist", "no sidecars", "may NOT", "not filled in", "does not list",
             "does not have")


def line(status: str, msg: str) -> str:
    """``OK  <msg>``: the status, two spaces, what was seen (the form the report has always had)."""
    return "{0}  {1}".format(status.upper(), msg)


def pending(check: Dict[str, Any]) -> str:
    """What a failed check means in check mode, where the run's changes were not made."""
    return "would create" if any(word in str(check.get("msg")) for word in NOT_THERE) else "would change"


def access_line(checks: List[Dict[str, Any]], check_mode: bool) -> Optional[str]:
    """One line for every permission check: how many, and only the ones not allowed."""
    if not checks:
        return None
    missing = [c for c in checks if c.get("status") != "ok"]
    who = str(checks[0].get("msg", "")).split(" may", 1)[0]
    if not missing:
        return line("ok", "{0}: all {1} permissions allowed (SubjectAccessReview)".format(who, len(checks)))
    what = ", ".join(str(c.get("check", ""))[len(ACCESS_PREFIX):] or str(c.get("msg")) for c in missing)
    status = "would create" if check_mode else "fail"
    return line(status, "{0}: {1} of {2} permissions not allowed: {3}".format(who, len(missing), len(checks), what))


def rhdh_line(rhdh: Dict[str, Any]) -> Optional[str]:
    if not rhdh or not rhdh.get("install_type"):
        return None
    workload = rhdh.get("workload") or {}
    where = "{0} install, {1}".format(rhdh["install_type"], "{0} {1}/{2}".format(
        workload.get("kind"), rhdh.get("namespace"), workload.get("name")) if workload else rhdh.get("name"))
    if rhdh.get("rhdh_version") and rhdh.get("plugin_tags_error"):  # a release the connector cannot be installed on
        return line("fail", "RHDH {0} ({1}): {2}".format(rhdh["rhdh_version"], where, rhdh["plugin_tags_error"]))
    if rhdh.get("rhdh_version"):
        return line("ok", "RHDH {0} ({1}); version from {2}".format(rhdh["rhdh_version"], where, rhdh.get("rhdh_version_source")))
    return line("fail" if rhdh.get("plugin_tags") is None else "warn",
                "RHDH version unknown ({0}): {1}".format(where, rhdh.get("plugin_tags_error") or rhdh.get("rhdh_version_source")))


def rollout_lines(changes: Optional[List[Any]], check_mode: bool) -> List[str]:
    """One line per step that rolled RHDH's pod out (or would, in check mode), saying why: the
    ``rollout_reason`` the sidecar step returns (a change of the registries among the reasons: the
    normalizer looks for registries only when it starts)."""
    out = []
    for step in changes or []:
        reason = step.get("rollout_reason") if isinstance(step, dict) else None
        if reason:
            why = " (the normalizer looks for registries only when it starts)" if "registries changed" in reason else ""
            out.append(line("would change" if check_mode else "ok",
                            "RHDH's pod {0}: {1}{2}".format("would roll out" if check_mode else "rolled out", reason, why)))
    return out


def report_lines(verdicts: Optional[List[Dict[str, Any]]], rhdh: Optional[Dict[str, Any]],
                 checks: Optional[List[Dict[str, Any]]], check_mode: bool = False,
                 changes: Optional[List[Any]] = None) -> List[str]:
    """The report: preflight verdicts, the RHDH found, then the verify checks (permissions summed up).

    ``changes`` are the changes the run made, or in check mode would make: with some, a failed check
    in check mode is what the run would create or change, not a failure; a step that rolled the pod
    out adds a line saying why (rollout_lines()).
    """
    out = [line(v.get("status", ""), v.get("msg", "")) for v in verdicts or []]
    found = rhdh_line(rhdh or {})
    if found:
        out.append(found)
    out.extend(rollout_lines(changes, check_mode))
    out.extend(move_lines(changes))
    planned = check_mode and bool(changes)
    access = []  # type: List[Dict[str, Any]]
    for check in checks or []:
        if str(check.get("check", "")).startswith(ACCESS_PREFIX):
            access.append(check)
            continue
        status = check.get("status", "")
        if status == "fail" and planned:
            status = pending(check)
        out.append(line(status, check.get("msg", "")))
    by_who = {}  # type: Dict[str, List[Dict[str, Any]]]
    for check in access:  # one line per ServiceAccount (hub and spoke: one on each cluster)
        by_who.setdefault(str(check.get("msg", "")).split(" may", 1)[0], []).append(check)
    for checks_of_one in by_who.values():
        out.append(access_line(checks_of_one, planned))
    return out


#: What the move off the sidecars leaves: the old provider's entities, which nothing updates or removes.
LEFT_ENTITIES = (
    "the sidecar connector's catalog entities stay in RHDH until unregistered (Components of type model-server, "
    "Resources of type ai-model, and their APIs; the plugin-only connector makes AiModelServerAPI entities instead): "
    "unregister each in RHDH (the entity's menu, Unregister entity) or through the catalog API "
    "(DELETE /api/catalog/entities/by-uid/<uid>)")


def move_lines(changes: Optional[List[Any]]) -> List[str]:
    """A warning when a step moved the cluster off the sidecars (``moved_off_sidecars``), naming what stays."""
    if any(isinstance(step, dict) and step.get("moved_off_sidecars") for step in changes or []):
        return [line("warn", LEFT_ENTITIES)]
    return []
