"""Issue 18: RHDH's pod rolls out when the set of model registries changes, and only then.

The normalizer looks for registries once, when it starts; the pod template carries the annotation
``rhdh.ai-connector/registries`` (the names sorted, comma-separated), so a change of the set changes
the template and the pod rolls out once. Pure logic: the annotation's value, the +/- text, the patch
of the Backstage CR and of the Helm Deployment, the chart values, and the report lines.
"""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.rhdh.ai_connector.plugins.filter import connector as role_filters
from ansible_collections.rhdh.ai_connector.plugins.module_utils import report
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_sidecar_patch as step
from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import Options
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

KEY = sc.REGISTRIES_ANNOTATION
WHERE = "Backstage ai-rhdh/developer-hub"
NAMES = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,12}[a-z0-9])?", fullmatch=True)
NAME_LISTS = st.lists(NAMES, max_size=6)


def sidecars():
    return sc.build_sidecars("rhdh-rhoai-connector-token", sc.image_refs())


# --- the annotation's value -------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(NAME_LISTS, st.randoms(use_true_random=False))
def test_the_same_set_gives_the_same_value_whatever_the_order_or_repeats(names, rnd):
    shuffled = list(names) + list(names[:2])
    rnd.shuffle(shuffled)
    assert sc.registries_annotation(shuffled) == sc.registries_annotation(names)
    assert sc.registries_in(sc.registries_annotation(names)) == sorted(set(names))


@settings(max_examples=200, deadline=None)
@given(NAME_LISTS, NAME_LISTS)
def test_different_sets_give_different_values(a, b):
    assert (sc.registries_annotation(a) == sc.registries_annotation(b)) == (set(a) == set(b))


def test_the_value_is_readable():
    assert sc.registries_annotation(["team-b", "registry-prod", "team-a-registry"]) == "registry-prod,team-a-registry,team-b"
    assert sc.registries_annotation([]) == ""
    assert sc.registries_in(None) == [] and sc.registries_in("") == []


# --- the +/- text ------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(NAME_LISTS, NAME_LISTS)
def test_the_diff_names_exactly_the_registries_added_and_removed(before, after):
    text = sc.registries_diff(sc.registries_annotation(before), sc.registries_annotation(after))
    items = text.split(", ") if text else []
    assert [i[2:] for i in items if i.startswith("+ ")] == sorted(set(after) - set(before))
    assert [i[2:] for i in items if i.startswith("- ")] == sorted(set(before) - set(after))
    assert len(items) == len(set(after) ^ set(before))
    assert (text == "") == (set(before) == set(after))


def test_the_diff_reads_plus_then_minus():
    assert sc.registries_diff("registry-prod,team-a-registry", "team-a-registry,team-b") == "+ team-b, - registry-prod"
    assert sc.registries_diff(None, "a,b") == "+ a, + b"
    assert sc.registries_diff("a", None) == "- a"
    assert sc.registries_diff("b,a", "a,b") == ""


def test_the_rollout_reason_names_the_registries_only_while_the_sidecars_stay():
    ours = sidecars()
    assert sc.rollout_reason(ours, ours, "a", "a,b") == "registries changed: + b"
    assert sc.rollout_reason(ours, ours, "a", "a") == ""
    assert sc.rollout_reason(ours, ours, None, "a") == "registries changed: + a"  # recorded by an upgrade of the collection
    assert sc.rollout_reason(ours, ours, None, "") == "registries recorded: none"
    assert sc.rollout_reason([], ours, None, "a,b") == "sidecars added"  # a new normalizer finds them anyway
    assert sc.rollout_reason(ours, [], "a", None) == "sidecars removed"
    changed = copy.deepcopy(ours)
    changed[0]["image"] = "mirror.example/x@sha256:" + "1" * 64
    assert sc.rollout_reason(ours, changed, "a", "b", ["app-config registered"]) == \
        "sidecars updated; registries changed: + b, - a; app-config registered"
    assert sc.rollout_reason([], [], "a", None) == "pod annotation {0} removed".format(KEY)


# --- operator installs: the Backstage CR's spec.deployment.patch --------------------------------

@settings(max_examples=100, deadline=None)
@given(NAME_LISTS, st.dictionaries(st.sampled_from(["team", "example.com/owner", "x"]), NAMES, max_size=3))
def test_setting_then_removing_the_annotation_gives_back_the_users_patch(names, users):
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "backstage-backend"}]}}}}
    if users:
        patch["spec"]["template"]["metadata"] = {"annotations": dict(users)}
    original = copy.deepcopy(patch)
    value = sc.registries_annotation(names)
    set_once = sc.set_patch_annotation(patch, KEY, value, WHERE)
    assert patch == original  # not changed in place
    assert sc.pod_annotations_of_patch(set_once) == dict(users, **{KEY: value})
    assert sc.set_patch_annotation(set_once, KEY, value, WHERE) == set_once  # same set: same patch, nothing to write
    assert sc.set_patch_annotation(set_once, KEY, None, WHERE) == original


def test_removing_the_annotation_from_a_patch_with_nothing_else_leaves_no_empty_mappings():
    with_it = sc.set_patch_annotation(None, KEY, "a,b", WHERE)
    assert with_it == {"spec": {"template": {"metadata": {"annotations": {KEY: "a,b"}}}}}
    assert sc.set_patch_annotation(with_it, KEY, None, WHERE) == {}
    assert sc.set_patch_annotation({}, KEY, None, WHERE) == {}


def test_a_patch_whose_annotations_are_no_mapping_is_refused():
    with pytest.raises(ConnectorError, match="annotations must be a mapping.*nothing was changed"):
        sc.set_patch_annotation({"spec": {"template": {"metadata": {"annotations": ["x"]}}}}, KEY, "a", WHERE)


def test_the_sidecars_and_the_annotation_come_and_go_together_in_the_patch():
    users = {"metadata": {"labels": {"team": "a"}},
             "spec": {"template": {"metadata": {"annotations": {"team": "ai"}},
                                   "spec": {"containers": [{"name": "lightspeed-core", "image": "ls"}]}}}}
    installed = sc.set_patch_annotation(sc.apply_operator_patch(users, sidecars(), "present", WHERE), KEY, "a,b", WHERE)
    assert installed["spec"]["template"]["metadata"]["annotations"] == {"team": "ai", KEY: "a,b"}
    removed = sc.set_patch_annotation(sc.apply_operator_patch(installed, sidecars(), "absent", WHERE), KEY, None, WHERE)
    assert removed == users


# --- Helm installs: the Deployment's pod template and the chart values --------------------------

def deployment(annotations=None, with_sidecars=True):
    containers = [{"name": "backstage-backend", "image": "rhdh"}] + (sidecars() if with_sidecars else [])
    template = {"spec": {"containers": containers, "volumes": [{"name": sc.PLUGINS_VOLUME}]}}
    if annotations is not None:
        template["metadata"] = {"annotations": dict(annotations)}
    return {"metadata": {"name": "rhdh-developer-hub", "resourceVersion": "7"}, "spec": {"template": template}}


def params(registries, state="present", pod_annotations=None):
    return Options(state=state, registries=registries, pod_annotations=pod_annotations or {},
                   app_config_configmap=None, app_config_key="app-config.rhoai-connector.yaml", connector="sidecar")


def test_helm_the_same_set_writes_nothing_and_another_set_patches_only_the_annotation():
    live = deployment({"team": "ai", KEY: "registry-prod,team-a-registry"})
    assert step.helm_patch(params(["team-a-registry", "registry-prod"]), live, sidecars()) == (None, [])
    patch, changes = step.helm_patch(params(["team-a-registry", "registry-prod", "team-b"]), live, sidecars())
    assert patch["spec"]["template"]["metadata"] == {"annotations": {KEY: "registry-prod,team-a-registry,team-b"}}
    assert "containers" not in patch["spec"]["template"]["spec"]  # the user's "team" annotation is not in the patch: kept
    assert changes == ["registries changed: + team-b (pod annotation {0})".format(KEY)]


def test_helm_absent_removes_the_annotation_and_not_given_leaves_it():
    live = deployment({"team": "ai", KEY: "a"}, with_sidecars=False)
    patch, changes = step.helm_patch(params(None, state="absent"), live, sidecars())
    assert patch["spec"]["template"]["metadata"] == {"annotations": {KEY: None}}
    assert changes == ["removed pod annotation {0}".format(KEY)]
    assert step.helm_patch(params(None, state="absent"), deployment({"team": "ai"}, with_sidecars=False), sidecars()) == (None, [])
    assert step.helm_patch(params(None), live, sidecars())[0]["spec"]["template"]["spec"]["containers"]  # sidecars only
    assert "metadata" not in step.helm_patch(params(None), live, sidecars())[0]["spec"]["template"]


def test_helm_values_carry_the_annotation_in_pod_annotations():
    values = sc.helm_values(sidecars(), None, "k", None, {KEY: "a,b"})
    assert values["upstream"]["backstage"]["podAnnotations"] == {KEY: "a,b"}
    assert "podAnnotations" not in sc.helm_values(sidecars())["upstream"]["backstage"]


def test_the_rollout_wait_waits_for_the_annotation_the_operator_renders():
    assert step.annotation_missing(deployment({KEY: "a"}), "a") is None
    assert "does not have annotation" in step.annotation_missing(deployment({KEY: "a"}), "a,b")
    assert "does not have annotation" in step.annotation_missing(deployment(), "a")
    assert "still has annotation" in step.annotation_missing(deployment({KEY: "a"}), None)
    assert step.annotation_missing(deployment({KEY: "a"}), False) is None  # not managed


# --- the role's report and the fleet report ------------------------------------------------------

def test_the_step_changes_carry_the_rollout_reason_and_the_report_says_it():
    results = {"sidecars": {"changed": True, "changes": ["registries changed: + team-b (pod annotation x)"],
                            "rollout_reason": "registries changed: + team-b"},
               "rbac": {"changed": True, "changes": ["RoleBinding r/b created"], "rollout_reason": ""}}
    changes = role_filters.step_changes(results)
    assert changes == [{"step": "rbac", "changes": ["RoleBinding r/b created"]},
                       {"step": "sidecars", "changes": ["registries changed: + team-b (pod annotation x)"],
                        "rollout_reason": "registries changed: + team-b"}]
    lines = report.report_lines([], {}, [], False, changes)
    assert lines == ["OK  RHDH's pod rolled out: registries changed: + team-b "
                     "(the normalizer looks for registries only when it starts)"]
    (would,) = report.report_lines([], {}, [], True, changes)
    assert would.startswith("WOULD CHANGE  RHDH's pod would roll out: registries changed: + team-b")
    assert report.report_lines([], {}, [], False, [{"step": "rbac", "changes": ["x"]}]) == []
