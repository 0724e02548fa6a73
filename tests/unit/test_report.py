"""The report people read: readable lines, the permission checks in one line, check mode's pending work."""

from pathlib import Path

import yaml

from ansible_collections.rhdh.ai_connector.plugins.module_utils import report
from ansible_collections.rhdh.ai_connector.plugins.module_utils.report import report_lines

TASKS = Path(__file__).resolve().parents[2] / "roles" / "rhoai_connector" / "tasks" / "verify.yml"
SA = "system:serviceaccount:ai-rhdh:rhdh-rhoai-connector"
VERDICTS = [{"check": "platform", "status": "ok", "msg": "OpenShift AI Self-Managed 2.25.0 found"},
            {"check": "dashboard", "status": "warn", "msg": "OdhDashboardConfig not found"}]
RHDH = {"install_type": "operator", "namespace": "ai-rhdh", "name": "developer-hub", "rhdh_version": "1.8",
        "rhdh_version_source": "ClusterServiceVersion rhdh-operator/rhdh-operator.v1.8.2",
        "workload": {"kind": "Deployment", "name": "backstage-developer-hub"}, "plugin_tags": {}}


def access(what, allowed=True):
    return {"check": "access " + what, "status": "ok" if allowed else "fail",
            "msg": "{0} {1} {2}".format(SA, "may" if allowed else "may NOT", what)}


PERMISSIONS = [access("verb{0} things (cluster)".format(i)) for i in range(21)]


def test_lines_are_status_and_message_and_say_where_the_rhdh_version_came_from():
    lines = report_lines(VERDICTS, RHDH, [{"check": "token", "status": "ok", "msg": "Secret ai-rhdh/t has token and ca.crt"}])
    assert lines[0] == "OK  OpenShift AI Self-Managed 2.25.0 found"
    assert lines[1].startswith("WARN ") and lines[1].endswith("OdhDashboardConfig not found")
    assert "RHDH 1.8 (operator install, Deployment ai-rhdh/backstage-developer-hub); version from ClusterServiceVersion" in lines[2]
    assert not any("{'check'" in line for line in lines)


def test_an_rhdh_release_the_connector_cannot_be_installed_on_is_a_failed_line_saying_why():
    refused = dict(RHDH, rhdh_version="2.0", plugin_tags=None,
                   rhdh_version_source="ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0",
                   plugin_tags_error="RHDH 2.0 (ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0) needs the "
                                     "plugin-only connector. Fix: leave this cluster out.")
    (found,) = report_lines([], refused, [])
    assert found.startswith("FAIL ") and "RHDH 2.0 (operator install, Deployment ai-rhdh/backstage-developer-hub): " \
        "RHDH 2.0 (ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0) needs the plugin-only connector" in found
    unknown = dict(RHDH, rhdh_version=None, plugin_tags=None, rhdh_version_source="image x:next has no release tag",
                   plugin_tags_error="the RHDH release could not be told (image x:next has no release tag)")
    (found,) = report_lines([], unknown, [])
    assert found.startswith("FAIL ") and "RHDH version unknown" in found and "could not be told" in found


def test_the_permission_checks_make_one_line_naming_only_the_missing_ones():
    checks = list(PERMISSIONS)
    assert report_lines([], {}, checks) == ["OK  {0}: all 21 permissions allowed (SubjectAccessReview)".format(SA)]
    checks[3] = access("get services (cluster)", allowed=False)
    checks[7] = access("list routes.route.openshift.io (cluster)", allowed=False)
    (only,) = report_lines([], {}, checks)
    assert only.startswith("FAIL ")
    assert only.endswith("2 of 21 permissions not allowed: get services (cluster), list routes.route.openshift.io (cluster)")


def test_hub_and_spoke_gives_one_permission_line_per_serviceaccount_and_cluster():
    remote = "{0} (OpenShift AI cluster)".format(SA)
    checks = [dict(c, msg=c["msg"].replace(SA, remote)) for c in PERMISSIONS[:13]] + PERMISSIONS[:9]
    checks[2] = {"check": "access get routes (cluster)", "status": "fail", "msg": remote + " may NOT get routes (cluster)"}
    lines = report_lines([], {}, checks)
    assert lines == ["FAIL  {0}: 1 of 13 permissions not allowed: get routes (cluster)".format(remote),
                     "OK  {0}: all 9 permissions allowed (SubjectAccessReview)".format(SA)], lines


def test_check_mode_says_would_create_for_what_the_run_would_make():
    checks = [{"check": "token", "status": "fail", "msg": "Secret ai-rhdh/rhdh-rhoai-connector-token not found"},
              {"check": "plugin x", "status": "fail", "msg": "x in ConfigMap ai-rhdh/p has tag a, expected b"},
              access("get services (cluster)", allowed=False)]
    changes = [{"step": "rbac", "changes": ["ServiceAccount ai-rhdh/rhdh-rhoai-connector created"]}]
    lines = report_lines([], {}, checks, check_mode=True, changes=changes)
    assert lines[0].startswith("WOULD CREATE  Secret ai-rhdh/rhdh-rhoai-connector-token not found")
    assert lines[1].startswith("WOULD CHANGE  x in ConfigMap")
    assert lines[2].startswith("WOULD CREATE  " + SA)
    # nothing to change: a failed check in check mode is a failure
    assert report_lines([], {}, checks[:1], check_mode=True, changes=[])[0].startswith("FAIL ")


def test_the_role_prints_the_report_lines_not_python_dicts():
    """The role's report task used to zip statuses with the verdict dicts (`map` bound to the wrong operand)."""
    tasks = yaml.safe_load(TASKS.read_text())
    (report,) = [t for t in tasks if t["name"].startswith("Report | The prerequisite verdicts")]
    assert report["ansible.builtin.debug"]["msg"].replace(" ", "") == "{{__rhoai_connector_report}}"
    role_vars = yaml.safe_load((TASKS.parents[1] / "vars" / "main.yml").read_text())
    assert "rhdh.ai_connector.report_lines(" in role_vars["__rhoai_connector_report"]


def test_the_move_off_the_sidecars_warns_of_the_entities_left_and_how_to_unregister_them():
    moved = [{"step": "sidecars", "changes": ["removed the sidecars from spec.deployment.patch of Backstage a/b"],
              "moved_off_sidecars": True}]
    lines = report.report_lines([], None, [], False, moved)
    assert lines == ["WARN  " + report.LEFT_ENTITIES]
    assert "Components of type model-server, Resources of type ai-model" in lines[0]
    assert "DELETE /api/catalog/entities/by-uid/<uid>" in lines[0]
    assert report.report_lines([], None, [], False, [dict(moved[0], moved_off_sidecars=False)]) == []
