"""The role's steps as tasks (issues 10 and 17): six module tasks, each step a task with its tags, a
step skipped by tag sends nothing, each step sends its requests under its own user agent, and none
reads an object twice."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter

import pytest

from ansible_run import ROOT, _playbook_bin, ansible_env, our_writes, run_playbook
from testbed import audit

NS = "ai-rhdh"
STEPS = {  # tag -> the module of its task (the RBAC task also does the token and the clean-up of older objects)
    "rbac": "rhdh_connector_rbac", "token": "rhdh_connector_rbac", "plugins": "rhdh_dynamic_plugins",
    "app_config": "rhdh_app_config", "sidecars": "rhdh_sidecar_patch", "legacy": "rhdh_connector_rbac",
    "verify": "rhdh_connector_verify",
}


@pytest.fixture(scope="module")
def operator(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")


def pod_containers(cluster) -> list[str]:
    deployment = json.loads(cluster.kubectl("get", "deployment", "backstage-developer-hub", "-n", NS, "-o", "json").stdout)
    return [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]]


def test_list_tasks_shows_every_step_with_its_tag():
    out = subprocess.run([_playbook_bin(), str(ROOT / "playbooks" / "install.yml"), "--list-tasks"], cwd=ROOT,
                         env=ansible_env(None), capture_output=True, text=True, timeout=300, check=True).stdout
    lines = [line.strip() for line in out.splitlines() if "rhoai_connector : " in line]
    for prefix in ("Preflight | OpenShift AI", "Preflight | Stop when preflight refuses"):
        assert any(prefix in line and "TAGS: [always]" in line for line in lines), (prefix, lines)
    for tags, step in (("legacy, rbac, token", "RBAC |"), ("plugins", "Plugins |"), ("app_config", "App-config |"),
                       ("sidecars", "Sidecars |"), ("verify", "Verify |")):
        assert any(step in line and "TAGS: [{0}]".format(tags) in line for line in lines), (tags, lines)


def test_skipping_the_sidecar_step_leaves_the_pod_alone_and_each_step_reads_once(operator):
    since = time.time()
    run = run_playbook(ROOT / "playbooks" / "install.yml", operator.kubeconfig,
                       {"rhoai_connector_verify_fail": False}, extra_args=["--skip-tags", "sidecars"])
    assert run.rc == 0, run.output[-3000:]
    assert "Sidecars |" not in run.output  # the task is not even listed as skipped
    writes = our_writes(operator, since)
    agents = Counter(w["userAgent"].split("/")[1].split(" ")[0] for w in writes)
    assert agents["rhdh_sidecar_patch"] == 0 and agents["rhdh_connector_rbac"] > 0 and agents["rhdh_dynamic_plugins"] > 0
    assert not set(pod_containers(operator)) & {"location", "storage-rest", "rhoai-normalizer"}

    since = time.time()
    run = run_playbook(ROOT / "playbooks" / "install.yml", operator.kubeconfig)
    assert run.rc == 0 and run.changed > 0, run.output[-3000:]
    assert {"location", "storage-rest", "rhoai-normalizer"} <= set(pod_containers(operator))
    writes = our_writes(operator, since)
    assert {w["userAgent"].split("/")[1].split(" ")[0] for w in writes} == {"rhdh_sidecar_patch"}, [
        audit.describe(w) for w in writes]

    # a re-run: no write, and no task reads an object twice (each task is one process: its reads are its own)
    since = time.time()
    run = run_playbook(ROOT / "playbooks" / "install.yml", operator.kubeconfig)
    assert run.rc == 0 and run.changed == 0, run.output[-3000:]
    events = operator.audit_events(since)
    assert our_writes(operator, since) == []
    by_step: dict[str, list] = {}
    for e in events:
        if "rhdh.ai_connector/" in e.get("userAgent", ""):
            by_step.setdefault(e["userAgent"].split("/")[1].split(" ")[0], []).append(e)
    assert set(STEPS.values()) | {"rhdh_info"} == set(by_step), sorted(by_step)
    twice = {step: audit.repeated_reads(found) for step, found in by_step.items()}
    assert {step: r for step, r in twice.items() if r} == {}
    # Later steps take what an earlier one found: verify asks no discovery of the Backstage API (rhdh_info
    # passed its version), and the RBAC step's labelled list answers the reads of the registry bindings.
    verify_discovery = [e["requestURI"] for e in by_step["rhdh_connector_verify"]
                        if e["requestURI"].split("?")[0].startswith("/apis/rhdh.redhat.com") and not e.get("objectRef")]
    assert verify_discovery == []
    binding_gets = [audit.describe(e) for e in by_step["rhdh_connector_rbac"]
                    if e["verb"] == "get" and (e.get("objectRef") or {}).get("resource") == "rolebindings"
                    and (e["objectRef"].get("name") or "").startswith("rhdh-rhoai-dashboard-permissions-")]
    assert binding_gets == []
