"""Issue 18 on real API servers: RHDH's pod rolls out when the set of model registries changes, and
only then (the normalizer looks for registries once, when it starts).

On the real RHDH operator 1.10 (scenario rhdh-operator-1.10) and on the real RHDH 1.8 chart
(scenario rhdh-helm), each with RHOAI 2.25's two registries, in order on one cluster per install
type: the install records the two registries in the pod template annotation
``rhdh.ai-connector/registries``; a third ModelRegistry gets its RoleBinding and, once, a new
ReplicaSet (check mode says so first and changes nothing); a re-run writes nothing; a ModelRegistry
deleted, or left out by ``registries``, loses its binding and rolls the pod; disabled (Helm) and the
uninstall (operator) remove the annotation, and the uninstall leaves none. A pod annotation of the
user's own is kept throughout. What is asserted is what the cluster renders: the Deployment's pod
template and its ReplicaSets (the operator renders the Deployment from the Backstage CR).
"""

from __future__ import annotations

import json
import os
import time
from string import Template

import pytest
import yaml

from ansible_run import ROOT, describe, our_writes, run_playbook, run_role
from testbed.build import rhdh_chart
from testbed.kube import rolled_out, wait_for
from testbed.scenarios import DATA

NS = "ai-rhdh"
REG_NS = "rhoai-model-registries"
KEY = "rhdh.ai-connector/registries"
USERS_KEY = "example.com/owner"
USERS_VALUE = "team-ai"
MANAGED = "app.kubernetes.io/managed-by=rhdh.ai_connector"
BINDING = "rhdh-rhoai-dashboard-permissions-"
INSTALLS = {  # install type -> (scenario, Deployment)
    "operator": ("rhdh-operator-1.10", "backstage-developer-hub"),
    "helm": ("rhdh-helm", "rhdh-developer-hub"),
}


class Install:
    def __init__(self, kind: str, cluster) -> None:
        self.kind, self.cluster = kind, cluster
        self.deployment = INSTALLS[kind][1]

    def get(self, *args, check=True):
        out = self.cluster.kubectl("get", *args, "-o", "json", check=check)
        return json.loads(out.stdout) if out.returncode == 0 else None

    def template_annotations(self) -> dict:
        deployment = self.get("deployment", self.deployment, "-n", NS)
        return deployment["spec"]["template"]["metadata"].get("annotations") or {}

    def replicasets(self) -> dict[str, dict]:
        """The Deployment's ReplicaSets by name (each is one pod template the Deployment rolled out)."""
        return {rs["metadata"]["name"]: rs for rs in self.get("replicasets", "-n", NS)["items"]
                if any(o.get("name") == self.deployment for o in rs["metadata"].get("ownerReferences") or [])}

    def registry_bindings(self) -> list[str]:
        items = self.get("rolebindings", "-n", REG_NS, "-l", MANAGED)["items"]
        return sorted(b["metadata"]["name"][len(BINDING):] for b in items if b["metadata"]["name"].startswith(BINDING))

    def cr_patch_annotations(self) -> dict:
        cr = self.get("backstages.rhdh.redhat.com", "developer-hub", "-n", NS)
        patch = (cr["spec"].get("deployment") or {}).get("patch") or {}
        return ((patch.get("spec") or {}).get("template") or {}).get("metadata", {}).get("annotations") or {}

    def wait_rolled_out(self) -> None:
        kube = self.cluster.kube()
        wait_for(f"Deployment {self.deployment} to roll out", lambda: rolled_out(kube, NS, self.deployment), 180)


@pytest.fixture(scope="module", params=sorted(INSTALLS))
def install(request, module_cluster_factory):
    """One cluster per install type, with an annotation of the user's own on the pod first; deleted
    as soon as its install type's tests are done, so that the two never run at once."""
    scenario, _ = INSTALLS[request.param]
    cluster = module_cluster_factory("rhoai-2.25", scenario)
    found = Install(request.param, cluster)
    if request.param == "operator":  # the user's annotation in the CR's patch: the operator renders it
        cluster.kubectl("patch", "backstages.rhdh.redhat.com", "developer-hub", "-n", NS, "--type", "merge", "-p", json.dumps(
            {"spec": {"deployment": {"patch": {"spec": {"template": {"metadata": {"annotations": {USERS_KEY: USERS_VALUE}}}}}}}}))
        wait_for("the operator to render the user's annotation", lambda: found.template_annotations().get(USERS_KEY), 120)
    else:
        cluster.kubectl("patch", "deployment", found.deployment, "-n", NS, "-p", json.dumps(
            {"spec": {"template": {"metadata": {"annotations": {USERS_KEY: USERS_VALUE}}}}}))
    found.wait_rolled_out()
    yield found
    if os.environ.get("RHDH_TESTBED_KEEP") != "1":
        cluster.delete()  # the factory's own clean-up at the module's end finds it gone


def connector(install: Install, check: bool = False, **args) -> dict:
    result = run_role(dict({"namespace": NS, "wait_timeout": 180}, **args), install.cluster.kubeconfig, check=check)
    assert not result["failed"], result["msg"]
    return result


def rollout_reason(result: dict) -> str:
    return next((step.get("rollout_reason", "") for step in result["changes"] if step["step"] == "sidecars"), "")


def add_registry(install: Install, name: str) -> None:
    text = Template((DATA / "model-registry.yaml").read_text()).safe_substitute(REGISTRY=name, REGISTRIES_NS=REG_NS)
    kube = install.cluster.kube()
    for obj in yaml.safe_load_all(text):
        if obj:
            kube.ensure(obj)


def assert_rolled_once_to(install: Install, before: dict[str, dict], value: str) -> None:
    """One new ReplicaSet, the Deployment's current one, whose pod template names ``value``; the user's
    annotation still there."""
    after = install.replicasets()
    new = sorted(set(after) - set(before))
    assert len(new) == 1, (install.kind, sorted(before), sorted(after))
    annotations = after[new[0]]["spec"]["template"]["metadata"].get("annotations") or {}
    assert annotations.get(KEY) == value and annotations.get(USERS_KEY) == USERS_VALUE, annotations
    assert after[new[0]]["spec"].get("replicas") == 1  # the one serving now
    assert install.template_annotations().get(KEY) == value


def test_the_install_records_the_registries_on_the_pod(install, tmp_path):
    values = tmp_path / "rhoai-connector-values.yaml"
    connector(install, **({"helm_values_file": str(values)} if install.kind == "helm" else {}))
    annotations = install.template_annotations()
    assert annotations.get(KEY) == "registry-prod,team-a-registry", annotations
    assert annotations.get(USERS_KEY) == USERS_VALUE
    assert install.registry_bindings() == ["registry-prod", "team-a-registry"]
    if install.kind == "operator":  # written in the CR, next to the user's annotation
        assert install.cr_patch_annotations() == {USERS_KEY: USERS_VALUE, KEY: "registry-prod,team-a-registry"}
        return
    # The chart values: the real chart renders podAnnotations on the pod, next to its own checksum.
    assert yaml.safe_load(values.read_text())["upstream"]["backstage"]["podAnnotations"] == {KEY: "registry-prod,team-a-registry"}
    server = json.loads(install.cluster.kubectl("version", "-o", "json").stdout)["serverVersion"]["gitVersion"]
    rendered = install.cluster.helm("template", "rhdh", str(rhdh_chart()), "--namespace", NS, "--kube-version", server,
                                    "--values", str(DATA / "rhdh-helm-values.yaml"), "--values", str(values)).stdout
    (deployment,) = [d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Deployment"]
    pod_annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert pod_annotations[KEY] == "registry-prod,team-a-registry" and "checksum/dynamic-plugins" in pod_annotations


def test_a_new_registry_gets_its_binding_then_one_rollout(install):
    add_registry(install, "team-b")
    before = install.replicasets()

    preview = connector(install, check=True)
    assert rollout_reason(preview) == "registries changed: + team-b", preview["changes"]
    assert "WOULD CHANGE  RHDH's pod would roll out: registries changed: + team-b" in preview["output"]
    assert set(install.replicasets()) == set(before) and install.registry_bindings() == ["registry-prod", "team-a-registry"]

    bindings_before = install.registry_bindings()
    result = connector(install)
    assert sorted(set(install.registry_bindings()) - set(bindings_before)) == ["team-b"]
    assert rollout_reason(result) == "registries changed: + team-b", result["changes"]
    assert "OK  RHDH's pod rolled out: registries changed: + team-b" in result["output"]
    assert_rolled_once_to(install, before, "registry-prod,team-a-registry,team-b")


def test_a_rerun_with_the_same_registries_writes_nothing(install):
    before = install.replicasets()
    since = time.time()
    again = connector(install)
    assert again["changed"] is False and again["changes"] == [], again["changes"]
    writes = our_writes(install.cluster, since)
    assert writes == [], describe(writes)
    assert set(install.replicasets()) == set(before)


def test_a_removed_registry_loses_its_binding_then_one_rollout(install):
    install.cluster.kubectl("delete", "modelregistries.modelregistry.opendatahub.io", "registry-prod", "-n", REG_NS)
    before = install.replicasets()
    result = connector(install)
    assert install.registry_bindings() == ["team-a-registry", "team-b"]
    assert rollout_reason(result) == "registries changed: - registry-prod", result["changes"]
    assert_rolled_once_to(install, before, "team-a-registry,team-b")


def test_a_registry_left_out_counts_as_removed(install):
    before = install.replicasets()
    result = connector(install, registries=["team-b"])
    assert install.registry_bindings() == ["team-b"]
    assert rollout_reason(result) == "registries changed: - team-a-registry", result["changes"]
    assert_rolled_once_to(install, before, "team-b")


def test_disabled_and_the_uninstall_remove_the_annotation_and_keep_the_users_own(install):
    if install.kind == "helm":  # disabled removes it with the sidecars; on operator installs that removal
        # (state absent of the sidecar step, through the CR) is the uninstall's, below
        result = connector(install, state="disabled")
        reason = rollout_reason(result)  # the pod loses its normalizer: the registries are no reason of their own
        assert reason.startswith("sidecars removed") and "registries" not in reason, result["changes"]
        annotations = install.template_annotations()
        assert KEY not in annotations and annotations.get(USERS_KEY) == USERS_VALUE, annotations
    connector(install, state="absent")
    install.wait_rolled_out()
    annotations = install.template_annotations()
    assert KEY not in annotations and annotations.get(USERS_KEY) == USERS_VALUE, annotations
    assert install.registry_bindings() == []
    if install.kind == "operator":
        assert install.cr_patch_annotations() == {USERS_KEY: USERS_VALUE}


def test_the_fleet_report_says_why_the_pod_rolled_out(tmp_path):
    """The fleet report (no cluster: fleet_merge.yml writes it from a slice's fleet-report.json) names
    the rollout and its reason under the cluster's sidecar step."""
    cluster = {"name": "prod-1", "status": "changed", "would_change": False, "connection": {"context": "prod"},
               "finished": "2025-01-01T00:00:00Z", "state": "present", "rhoai": {}, "rhdh": {}, "preflight": [],
               "changes": [{"step": "rbac", "changes": ["RoleBinding rhoai-model-registries/x created"]},
                           {"step": "sidecars", "changes": ["registries changed: + team-b (pod annotation {0})".format(KEY)],
                            "rollout_reason": "registries changed: + team-b"}],
               "verify": {}, "error": {}}
    slice_dir = tmp_path / "slices" / "one"
    slice_dir.mkdir(parents=True)
    (slice_dir / "fleet-report.json").write_text(json.dumps({
        "generated": "2025-01-01T00:00:00Z", "started": "2025-01-01T00:00:00Z", "check_mode": False, "state": "present",
        "totals": {}, "clusters": [cluster]}))
    out = tmp_path / "merged"
    run = run_playbook(ROOT / "playbooks" / "fleet_merge.yml", None,
                       {"fleet_slices_dir": str(tmp_path / "slices"), "fleet_report_dir": str(out)})
    assert run.rc == 0, run.output[-3000:]
    report = (out / "fleet-report.md").read_text()
    assert ("- sidecars: registries changed: + team-b (pod annotation {0})\n"
            "  - RHDH's pod rolled out: registries changed: + team-b\n".format(KEY)) in report, report
