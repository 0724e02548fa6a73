"""The role's steps: RBAC objects, plugin identities, Helm values, what each step reports, and
one default per option (the role's defaults, its argument specs and the modules' own)."""

import re

import pytest
from pathlib import Path

import yaml

from ansible_collections.rhdh.ai_connector.plugins.filter import connector as role_filters
from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import objects, rbac, rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_app_config
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_objects
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_token
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_verify
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_dynamic_plugins
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_info
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_sidecar_patch
from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhoai_info

ROLE = Path(__file__).resolve().parents[2] / "roles" / "rhoai_connector"
#: The modules the role's tasks call (rhoai_info and rhdh_connector_token run inside rhdh_info and the RBAC step, and in
#: tasks of their own in hub and spoke mode only).
STEPS = {
    "rhoai_info": step_rhoai_info, "rhdh_connector_token": step_rhdh_connector_token,
    "rhdh_info": step_rhdh_info, "rhdh_connector_rbac": step_rhdh_connector_rbac,
    "rhdh_dynamic_plugins": step_rhdh_dynamic_plugins,
    "rhdh_app_config": step_rhdh_app_config, "rhdh_sidecar_patch": step_rhdh_sidecar_patch,
    "rhdh_connector_objects": step_rhdh_connector_objects, "rhdh_connector_verify": step_rhdh_connector_verify,
}
#: Every step module, with the function its module calls (named, typed arguments: the module's options).
STEP_FUNCTIONS = {
    "rhoai_info": step_rhoai_info.rhoai_info, "rhdh_info": step_rhdh_info.rhdh_info,
    "rhdh_connector_rbac": step_rhdh_connector_rbac.ensure_rbac, "rhdh_connector_token": step_rhdh_connector_token.ensure_token,
    "rhdh_dynamic_plugins": step_rhdh_dynamic_plugins.ensure_plugins, "rhdh_app_config": step_rhdh_app_config.ensure_app_config,
    "rhdh_sidecar_patch": step_rhdh_sidecar_patch.ensure_sidecars, "rhdh_connector_objects": step_rhdh_connector_objects.apply,
    "rhdh_connector_verify": step_rhdh_connector_verify.verify,
}
SPECS = dict(STEPS)
#: Options where the module used alone deliberately differs from the role, and why.
DELIBERATE = {
    ("rhdh_info", "preflight"): "alone, rhdh_info only finds RHDH; the role asks for the refusal checks too",
    ("rhdh_sidecar_patch", "wait"): "alone, the module returns after its write (as kubernetes.core.k8s); the role waits",
    ("rhdh_sidecar_patch", "app_config_configmap"): "alone, the module leaves app-config alone unless told",
}
PLAIN_VAR = re.compile(r"^\{\{ (rhoai_connector_[a-z_]+)(?: \| default\(omit, true\))? \}\}$")


def hub_only(task):
    """A task of hub and spoke mode only (OpenShift AI on a cluster of its own): skipped on one cluster."""
    when = task.get("when")
    return "__rhoai_connector_hub | bool" in (when if isinstance(when, list) else [when])


def role_module_tasks(single_cluster=False):
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            if single_cluster and hub_only(task):
                continue
            for key, args in task.items():
                if key.startswith("rhdh.ai_connector."):
                    yield path.name, task["name"], key.split(".")[-1], args


def test_every_step_of_the_role_is_a_module_task_with_a_tag():
    tasks = list(role_module_tasks())
    used = {module for _f, _n, module, _a in tasks}
    assert used == set(STEPS), used ^ set(STEPS)
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            if any(k.startswith("rhdh.ai_connector.") for k in task):
                assert task.get("tags"), "{0}: task {1!r} has no tag".format(path.name, task["name"])


def test_the_connector_is_six_module_tasks_and_the_uninstall_no_more():
    """Each module task is a process that pays Python's start and the kubernetes client's import:
    preflight, RBAC (with the token and the clean-up), plugins, app-config, sidecars, verify. Hub and spoke adds
    tasks of its own (OpenShift AI's preflight, its namespace, the token's copy), skipped on one cluster."""
    by_file = {}
    for file, _name, module, _args in role_module_tasks(single_cluster=True):
        by_file.setdefault(file, []).append(module)
    connect = by_file["preflight.yml"] + by_file["connect.yml"] + by_file["verify.yml"]
    assert connect == ["rhdh_info", "rhdh_connector_rbac", "rhdh_dynamic_plugins", "rhdh_app_config",
                       "rhdh_sidecar_patch", "rhdh_connector_verify"], connect
    assert len(by_file["preflight.yml"] + by_file["uninstall.yml"]) <= len(connect), by_file["uninstall.yml"]


def test_each_step_is_a_function_of_the_service_and_its_modules_options():
    """A module maps its validated options once (ConnectorModule.run_step): the step function takes
    exactly the options of its ARGUMENT_SPEC, as keywords, after the service."""
    import inspect

    for module, function in STEP_FUNCTIONS.items():
        parameters = inspect.signature(function).parameters
        names = list(parameters)
        assert names[0] == "svc", module
        assert all(parameters[n].kind is inspect.Parameter.KEYWORD_ONLY for n in names[1:]), module
        assert set(names[1:]) == set(SPECS[module].ARGUMENT_SPEC), (module, set(names[1:]) ^ set(SPECS[module].ARGUMENT_SPEC))


def test_one_default_per_option_the_role_passes_a_module():
    """A role variable passed as it is to a module option has the module's default, and the argument
    spec's: the module used alone behaves as the role does. The failure names the difference."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    differences, compared = [], 0
    for _file, name, module, args in role_module_tasks():
        spec = STEPS[module].ARGUMENT_SPEC
        for option, value in (args or {}).items():
            match = PLAIN_VAR.match(str(value)) if isinstance(value, str) else None
            if not match or option not in spec or spec[option].get("required") or (module, option) in DELIBERATE:
                continue
            var = match.group(1)
            role_default, module_default = defaults.get(var), spec[option].get("default")
            spec_default = specs.get(var, {}).get("default")
            compared += 1
            if role_default != spec_default:
                differences.append("{0}: defaults/main.yml {1!r}, argument_specs.yml {2!r}".format(var, role_default, spec_default))
            if role_default in ("", {}, None, []) and module_default in (None, "", {}, []):
                continue
            if module_default != role_default:
                differences.append("{0} -> {1}.{2} (task {3!r}): role {4!r}, module {5!r}".format(
                    var, module, option, name, role_default, module_default))
    assert compared >= 30
    assert differences == []


def test_the_identities_match_every_releases_plugins_and_nothing_else():
    identities = step_rhdh_info.plugin_identities(dp.EXPORT_OVERLAYS)
    for version in rules.RELEASES:
        released = dp.connector_packages(rules.plugin_tags(version, None), dp.EXPORT_OVERLAYS)
        doc = {"plugins": [{"package": pkg} for pkg in released]}
        found = dp.find_plugins(doc, identities)
        # every plugin of the release is found by one identity, and no identity finds two of them
        assert sum(v is not None for v in found.values()) == len(released), version


def test_plugins_annotation_changes_with_the_plugin_list_only():
    a = step_rhdh_info.plugins_annotation(["x:1", "y:1"])
    assert len(a) == 16
    assert a == step_rhdh_info.plugins_annotation(["x:1", "y:1"]) != step_rhdh_info.plugins_annotation(["x:2", "y:1"])


def test_rbac_objects_bind_the_service_account_to_the_guides_rules():
    objs = {o["kind"]: o for o in rbac.connector_objects("ai-rhdh", "sa", "cr", "r", sync_wave="0")}
    assert objs["ServiceAccount"]["metadata"] == {"name": "sa", "namespace": "ai-rhdh"}
    assert objs["ClusterRoleBinding"]["subjects"] == [{"kind": "ServiceAccount", "name": "sa", "namespace": "ai-rhdh"}]
    assert objs["RoleBinding"]["roleRef"]["name"] == "r" and objs["ClusterRoleBinding"]["roleRef"]["name"] == "cr"
    assert objs["ClusterRole"]["rules"] == rbac.CLUSTER_RULES and objs["Role"]["rules"] == rbac.NAMESPACE_RULES
    assert objs["ClusterRole"]["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "0"}
    no_wave = {o["kind"]: o for o in rbac.connector_objects("ai-rhdh", "sa", "cr", "r", sync_wave="")}
    assert no_wave["ClusterRole"]["metadata"]["annotations"] == {}


def test_registry_bindings_name_the_service_account_or_the_guides_group():
    own = rbac.registry_bindings("ai-rhdh", "sa", "rhdh-rhoai-dashboard-permissions", ["prod", "dev"], "rhoai-model-registries")
    assert [b["metadata"]["name"] for b in own] == ["rhdh-rhoai-dashboard-permissions-prod", "rhdh-rhoai-dashboard-permissions-dev"]
    assert own[0]["roleRef"]["name"] == "registry-user-prod" and own[0]["metadata"]["namespace"] == "rhoai-model-registries"
    assert own[0]["subjects"] == [{"kind": "ServiceAccount", "name": "sa", "namespace": "ai-rhdh"}]
    group = rbac.registry_bindings("ai-rhdh", "sa", "p", ["prod"], "regs", subject="group")
    assert group[0]["subjects"] == [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:ai-rhdh"}]
    assert rbac.registry_bindings("ai-rhdh", "sa", "p", ["prod"], None) == []


def test_removal_names_the_objects_in_reverse_order_and_nothing_else():
    defs = rbac.connector_objects("ai-rhdh", "sa", "cr", "r") + rbac.registry_bindings(
        "ai-rhdh", "sa", "rhdh-rhoai-dashboard-permissions", ["prod"], "regs")
    removal = rbac.bare(defs)
    assert [o["kind"] for o in removal] == ["RoleBinding", "RoleBinding", "Role", "ClusterRoleBinding", "ClusterRole", "ServiceAccount"]
    assert all(set(o) == {"apiVersion", "kind", "metadata"} and set(o["metadata"]) <= {"name", "namespace"} for o in removal)
    assert removal[0]["metadata"] == {"name": "rhdh-rhoai-dashboard-permissions-prod", "namespace": "regs"}


def test_legacy_objects_are_the_guides_first_names_token_first():
    legacy = rbac.legacy_objects("rhdh-rhoai-bridge", "ai-rhdh")
    assert legacy[0] == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "rhdh-rhoai-bridge-token", "namespace": "ai-rhdh"}}
    assert {o["kind"] for o in legacy} == {"Secret", "ServiceAccount", "RoleBinding", "Role", "ClusterRoleBinding", "ClusterRole"}


def test_helm_values_merge_mappings_and_replace_lists():
    sidecars = {"upstream": {"backstage": {"extraContainers": [{"name": "location"}]}}, "global": {"a": 1}}
    plugins = {"global": {"dynamic": {"plugins": [{"package": "p"}]}}}
    merged = objects.overlay(sidecars, plugins)
    assert merged == {"upstream": {"backstage": {"extraContainers": [{"name": "location"}]}},
                      "global": {"a": 1, "dynamic": {"plugins": [{"package": "p"}]}}}
    assert objects.overlay({"l": [1, 2]}, {"l": [3]}) == {"l": [3]}
    assert sidecars["global"] == {"a": 1}  # inputs untouched


def test_step_changes_say_what_each_step_did_in_the_order_of_the_steps():
    results = {
        "sidecars": {"changed": True, "changes": ["added container location"]},
        "rbac": {"changed": True, "changes": ["ServiceAccount ns/sa created", "Secret ns/t created"],
                 "results": [{"object": "ServiceAccount ns/sa", "action": "created"}]},
        "app_config": {"changed": False, "changes": ["x"]},
        "helm_values": {"changed": True},
    }
    assert role_filters.step_changes(results, None, "/tmp/v.yml") == [
        {"step": "rbac", "changes": ["ServiceAccount ns/sa created", "Secret ns/t created"]},
        {"step": "sidecars", "changes": ["added container location"]},
        {"step": "helm_values", "changes": ["wrote /tmp/v.yml"]},
    ]
    assert [c["step"] for c in role_filters.step_changes(results, list(role_filters.UNINSTALL_ORDER))] == [
        "sidecars", "rbac"]


def test_a_refused_preflight_is_one_message_with_every_reason():
    assert role_filters.refusal([]) == ""
    message = role_filters.refusal(["ConfigMap a/b key k does not hold valid YAML. Fix: correct it.", "Backstage a/c: x. Fix: y."])
    assert message.startswith("Preflight refused, nothing was changed: ")
    assert message.endswith("correct it. | Backstage a/c: x. Fix: y.")


def test_polls_start_fast_and_slow_down_to_a_ceiling():
    from itertools import islice

    from ansible_collections.rhdh.ai_connector.plugins.module_utils.k8s_service import backoff

    pauses = list(islice(backoff(0.1, 5.0), 14))
    assert pauses[0] == 0.1 and pauses[1] == pytest.approx(0.15)
    assert all(b >= a for a, b in zip(pauses, pauses[1:]))
    assert max(pauses) == 5.0 and pauses[-1] == 5.0
    assert sum(pauses[:5]) < 1.5  # a rollout of a second is seen within about a second


def _deployment(containers, generation=2, observed=2, replicas=1, total=1):
    return {"metadata": {"generation": generation},
            "spec": {"replicas": 1, "template": {"spec": {"containers": containers}}},
            "status": {"observedGeneration": observed, "updatedReplicas": replicas, "readyReplicas": replicas,
                       "availableReplicas": replicas, "replicas": total}}


def test_a_rollout_counts_only_once_the_template_holds_the_sidecars_as_written():
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import rhdh
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc

    new = sc.build_sidecars("tok", sc.image_refs(sc.DEFAULT_REGISTRY, {}, {"location": "quay.io/x/location@sha256:new"}),
                            sc.DEFAULT_METRICS_PORT, {}, "IfNotPresent", {"location": {"limits": {"cpu": "1000m"}}})
    old = [dict(c, image="quay.io/x/location@sha256:old") if c["name"] == "location" else c for c in new]
    backend = {"name": "backstage-backend", "image": "rhdh"}
    # An upgrade before the operator re-rendered the Deployment: the old sidecars look rolled out.
    assert rhdh.rollout_missing(_deployment([backend] + old), "present") is None
    assert "new location" in rhdh.rollout_missing(_deployment([backend] + old), "present", new)
    # Rendered, defaulted by the API server (quantities rewritten, fields added): done.
    rendered = [dict(c, terminationMessagePath="/dev/termination-log") for c in new]
    rendered = [dict(c, resources={"limits": {"cpu": "1"}}) if c["name"] == "location" else c for c in rendered]
    assert rhdh.rollout_missing(_deployment([backend] + rendered), "present", new) is None
    assert "terminating" in rhdh.rollout_missing(_deployment([backend] + rendered, total=2), "present", new)


def test_each_module_sends_its_own_user_agent():
    """The audit log tells each step's requests apart (bench/ counts reads per step from it)."""
    from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import user_agent

    assert user_agent("rhdh.ai_connector.rhdh_info") == "rhdh.ai_connector/rhdh_info"
    assert user_agent("rhdh_sidecar_patch") == "rhdh.ai_connector/rhdh_sidecar_patch"
    assert user_agent("") == "rhdh.ai_connector"


PURE = ("app_config", "common", "dynamic_plugins", "errors", "hub", "inputs", "objects", "rbac", "report", "rules", "sidecars",
        "yaml_text")


def test_pure_helpers_import_nothing_of_the_io_layers():
    """Merges, rules and naming stay testable without a cluster or Ansible's module wrapper."""
    import ast

    root = Path(__file__).resolve().parents[2] / "plugins" / "module_utils"
    io_layers = ("k8s_service", "k8s_module", "rhdh", "step_", "kubernetes", "ansible.module_utils.basic", "urllib3")
    found = []
    for name in PURE:
        tree = ast.parse((root / (name + ".py")).read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + ["{0}.{1}".format(node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for imported in names:
                last = imported.rsplit(".", 1)[-1]
                if imported.startswith(("kubernetes", "urllib3", "ansible.module_utils.basic")) or last in io_layers \
                        or last.startswith("step_"):
                    found.append("{0}.py imports {1}".format(name, imported))
    assert found == []


def test_a_clash_in_the_crs_patch_and_in_the_pod_rendered_from_it_is_named_once():
    from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc

    theirs = {"name": "location", "image": "geo:2", "ports": [{"containerPort": 7070}]}
    proxy = {"name": "proxy", "image": "p:1", "ports": [{"containerPort": 9090}]}
    pod = {"containers": [{"name": sc.BACKEND_CONTAINER}, theirs, proxy], "volumes": [{"name": sc.PLUGINS_VOLUME}]}
    problems = step_rhdh_sidecar_patch.pod_problems("Deployment ns/backstage-x", pod, [theirs, proxy], sc.DEFAULT_METRICS_PORT)
    text = [str(p) for p in problems]
    assert len(text) == 2, text
    assert text[0].count("container location of") == 1 and text[1].count("container proxy of") == 1, text
    assert all("Fix:" in t for t in text)


def test_names_and_the_rhdh_version_are_refused_before_any_request_with_the_variable_to_fix():
    assert role_filters.input_problems({"namespace": "ai-rhdh", "registries": [], "rhdh_version": "", "name": ""}) == ""
    bad = role_filters.input_problems({"namespace": "AI_RHDH", "registries": ["Prod_Registry"], "rhdh_version": 1.1,
                                       "registry_rolebinding": "rhdh-rhoai-dashboard-permissions"})
    assert "namespace 'AI_RHDH' is not a DNS-1123 label" in bad and "registries item 'Prod_Registry'" in bad
    assert "unquoted 1.10 in YAML is read as the number 1.1" in bad
    assert "nothing was sent to the cluster" in bad and "Fix: correct the variable named (rhoai_connector_<option>" in bad


def test_a_step_result_nested_in_another_adds_its_change_changes_warnings_and_diff():
    from ansible_collections.rhdh.ai_connector.plugins.module_utils.common import StepResult, diff

    rbac_step = StepResult(changes=[], results=[])
    token = StepResult(changed=True, changes=["Secret ns/t created"], warnings=["w"], diff=diff(None, {"a": 1}), filled=True)
    quiet = StepResult(results=[])
    rbac_step.nest("token", token).nest("legacy", quiet)
    out = rbac_step.as_dict()
    assert out["changed"] is True and out["changes"] == ["Secret ns/t created"] and rbac_step.warnings == ["w"]
    assert out["token"] == {"changed": True, "changes": ["Secret ns/t created"], "filled": True}  # no diff inside
    assert out["legacy"] == {"changed": False, "changes": [], "results": []}
    assert out["diff"] == {"before": {"token": {}}, "after": {"token": {"a": 1}}}
    assert "diff" not in StepResult(results=[]).as_dict() and "diff" not in rbac_step.as_dict(with_diff=False)
