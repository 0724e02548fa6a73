"""Every refusal comes before the first write (issue 10): the role, run as users run it
(playbooks/install.yml), against a real API server with the real RHDH operator or the real chart in
a bad state, stops in its read-only preflight. Each test checks that the run failed, that the
message starts with "Preflight refused, nothing was changed: " and holds the reason naming the
object and the fix (several reasons joined by " | "), that the audit log shows no write by the
collection, and that what the user had is as it was. Each test starts where the collection never
ran, so that any write would show, and puts the cluster back afterwards."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ansible_run import PlaybookRun, describe, our_writes, run_playbook
from testbed.kube import rolled_out, wait_for

NS = "ai-rhdh"
ROLE_VARS = {"rhoai_connector_rhdh_namespace": NS}
PREFIX = "Preflight refused, nothing was changed: "

# The operator install (scenario rhdh-operator-1.10): the user's CR, its plugin ConfigMap, the Deployment the operator renders.
CR = "developer-hub"
PLUGINS_CM = "dynamic-plugins-rhdh"
PLUGINS_KEY = "dynamic-plugins.yaml"
# The workload of each install type, and how a reason about its pod may name it: on an operator install
# the clash is both in the rendered Deployment and in the CR's spec.deployment.patch.
WORKLOAD = {"operator": "backstage-developer-hub", "helm": "rhdh-developer-hub"}
WHERE = {"operator": (f"Deployment {NS}/backstage-developer-hub", f"Backstage {NS}/{CR}"),
         "helm": (f"Deployment {NS}/rhdh-developer-hub",)}

# The role's defaults these refusals are about.
SERVICE_ACCOUNT = "rhdh-rhoai-connector"               # rhoai_connector_service_account: the collection's first object
APP_CONFIG_CM = "rhdh-rhoai-connector-app-config"      # rhoai_connector_app_config_configmap (also its volume's name)
APP_CONFIG_PATH = "/opt/app-root/src/app-config.rhoai-connector.yaml"  # where backstage-backend reads the connector's file

BAD_YAML = "plugins: [unclosed\n"
FOREIGN_LOCATION = {"name": "location", "image": "quay.io/example/geo-location:2"}


@pytest.fixture(scope="module")
def operator(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")


@pytest.fixture(scope="module")
def helm(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-helm")


def get(cluster, *args) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def user_view(obj: dict) -> dict:
    """An object as its owner wrote it: without status and the API server's bookkeeping
    (metadata.generation stays: it moves on every change of spec)."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    for key in ("resourceVersion", "managedFields"):
        obj["metadata"].pop(key, None)
    return obj


# ----- the role, and what a refusal must look like -------------------------------------------------------------
def run_role(cluster) -> PlaybookRun:
    return run_playbook("playbooks/install.yml", cluster.kubeconfig, ROLE_VARS)


def fail_message(run: PlaybookRun) -> str:
    """The msg of the task the run stopped at."""
    fatal = [line for line in run.output.splitlines() if "FAILED! => " in line]
    assert fatal, run.output[-3000:]
    return json.loads(fatal[-1].split("FAILED! => ", 1)[1]).get("msg", "")


def assert_refused(run: PlaybookRun, *expected: tuple[tuple[str, ...], tuple[str, ...]]) -> list[str]:
    """The run failed in preflight, and for each (objects, phrases) one reason holds every phrase,
    names one of the objects and gives a fix. Returns the reasons."""
    assert run.rc != 0 and run.failed, run.output[-3000:]
    msg = fail_message(run)
    assert msg.startswith(PREFIX), msg
    reasons = msg[len(PREFIX):].split(" | ")
    for objects, phrases in expected:
        holding = [r for r in reasons if all(p in r for p in phrases)]
        assert holding, f"no reason says {phrases}: {msg}"
        assert any(any(o in r for o in objects) and re.search(r"Fix: \S", r) for r in holding), (
            f"the reason saying {phrases} names none of {objects} or gives no fix: {holding}")
    return reasons


def assert_no_writes(cluster, since: float) -> None:
    writes = our_writes(cluster, since)
    assert writes == [], describe(writes)


# ----- states: the collection never ran, and each bad state, put back afterwards --------------------------------
@contextmanager
def never_ran(cluster) -> Iterator[float]:
    """Checks that the collection never ran on ``cluster`` and yields the time to look for writes from.
    Should the role write after all (the regression these tests catch, and the role before issue 10),
    the uninstall playbook removes what it made, so that the next test again starts where the
    collection never ran."""
    leftover = cluster.kubectl("get", "serviceaccount", SERVICE_ACCOUNT, "-n", NS, check=False)
    assert leftover.returncode != 0, f"ServiceAccount {NS}/{SERVICE_ACCOUNT} exists: the collection ran on this cluster before"
    since = time.time()
    try:
        yield since
    finally:
        if our_writes(cluster, since):
            run_playbook("playbooks/uninstall.yml", cluster.kubeconfig, ROLE_VARS)


def _deployed(cr: dict) -> str | None:
    """The status of the operator's Deployed condition on the CR."""
    return next((c.get("status") for c in (cr.get("status") or {}).get("conditions") or [] if c.get("type") == "Deployed"), None)


@contextmanager
def plugins_text(cluster, text: str) -> Iterator[dict]:
    """The user's plugin ConfigMap (operator install) holding ``text``; afterwards the user's text back
    and, if the operator had deployed the CR, deployed again (it cannot render from plugin YAML it
    cannot parse)."""
    def put(value: str) -> None:
        cluster.kubectl("patch", "configmap", PLUGINS_CM, "-n", NS, "--type", "merge", "-p",
                        json.dumps({"data": {PLUGINS_KEY: value}}))

    original = get(cluster, "configmap", PLUGINS_CM, "-n", NS)["data"][PLUGINS_KEY]
    deployed = _deployed(get(cluster, "backstage", CR, "-n", NS)) == "True"
    put(text)
    try:
        yield get(cluster, "configmap", PLUGINS_CM, "-n", NS)
    finally:
        put(original)
        if deployed:
            wait_for("the operator to deploy the user's plugins again",
                     lambda: _deployed(get(cluster, "backstage", CR, "-n", NS)) == "True", 120)
            wait_for("the rollout", lambda: rolled_out(cluster.kube(), NS, WORKLOAD["operator"]), 120)


@contextmanager
def cr_spec(cluster, change: Callable[[dict], None], acted: Callable[[dict, dict], bool]) -> Iterator[dict]:
    """Backstage CR developer-hub with ``change(spec)`` applied, once the operator has acted on it
    (``acted(cr, pod spec of the rendered Deployment)``); afterwards the user's spec back, rendered
    again and rolled out."""
    def replace(spec: dict) -> None:
        cluster.kubectl("patch", "backstage", CR, "-n", NS, "--type", "json", "-p",
                        json.dumps([{"op": "replace", "path": "/spec", "value": spec}]))

    def rendered_pod() -> dict:
        return get(cluster, "deployment", WORKLOAD["operator"], "-n", NS)["spec"]["template"]["spec"]

    original, pod = get(cluster, "backstage", CR, "-n", NS)["spec"], rendered_pod()
    spec = copy.deepcopy(original)
    change(spec)
    replace(spec)
    try:
        wait_for("the operator to act on the changed Backstage CR",
                 lambda: acted(get(cluster, "backstage", CR, "-n", NS), rendered_pod()), 120)
        wait_for("the rollout", lambda: rolled_out(cluster.kube(), NS, WORKLOAD["operator"]), 120)
        yield get(cluster, "backstage", CR, "-n", NS)
    finally:
        replace(original)
        wait_for("the operator to render the user's CR again",
                 lambda: _deployed(get(cluster, "backstage", CR, "-n", NS)) == "True" and rendered_pod() == pod, 120)
        wait_for("the rollout", lambda: rolled_out(cluster.kube(), NS, WORKLOAD["operator"]), 120)


@contextmanager
def helm_pod(cluster, change: Callable[[dict], None]) -> Iterator[dict]:
    """The chart's Deployment with ``change(pod spec)`` applied (as `kubectl patch` would) and rolled
    out; afterwards the chart's pod spec back and rolled out."""
    def replace(spec: dict) -> None:
        cluster.kubectl("patch", "deployment", WORKLOAD["helm"], "-n", NS, "--type", "json", "-p",
                        json.dumps([{"op": "replace", "path": "/spec/template/spec", "value": spec}]))

    original = get(cluster, "deployment", WORKLOAD["helm"], "-n", NS)["spec"]["template"]["spec"]
    spec = copy.deepcopy(original)
    change(spec)
    replace(spec)
    try:
        wait_for("the rollout", lambda: rolled_out(cluster.kube(), NS, WORKLOAD["helm"]), 120)
        yield get(cluster, "deployment", WORKLOAD["helm"], "-n", NS)
    finally:
        replace(original)
        wait_for("the rollout", lambda: rolled_out(cluster.kube(), NS, WORKLOAD["helm"]), 120)


@contextmanager
def bad_pod(cluster, install: str, change: Callable[[dict], None],
            rendered: Callable[[dict], bool]) -> Iterator[Callable[[], dict]]:
    """The user's pod changed by ``change(pod spec)``: on an operator install in the CR's
    spec.deployment.patch (awaiting the operator's rendering, ``rendered(pod spec)``), on a Helm install
    on the Deployment. Yields how to read the object changed, as its owner sees it."""
    if install == "operator":
        def in_patch(spec: dict) -> None:
            pod = spec.setdefault("deployment", {}).setdefault("patch", {}).setdefault("spec", {})
            change(pod.setdefault("template", {}).setdefault("spec", {}))

        with cr_spec(cluster, in_patch, lambda cr, pod: rendered(pod)):
            yield lambda: user_view(get(cluster, "backstage", CR, "-n", NS))
    else:
        with helm_pod(cluster, change):
            yield lambda: user_view(get(cluster, "deployment", WORKLOAD["helm"], "-n", NS))


# ----- the bad pods ---------------------------------------------------------------------------------------------
def add_container(container: dict) -> Callable[[dict], None]:
    return lambda pod: pod.setdefault("containers", []).append(copy.deepcopy(container))


def has_container(name: str) -> Callable[[dict], bool]:
    return lambda pod: name in [c["name"] for c in pod.get("containers") or []]


def has_volume(name: str) -> Callable[[dict], bool]:
    return lambda pod: name in [v["name"] for v in pod.get("volumes") or []]


def mount_user_file_at_app_config_path(pod: dict) -> None:
    """backstage-backend reads a file of the user's (from their app-config-rhdh) where the connector's goes."""
    containers = pod.setdefault("containers", [])
    backend = next((c for c in containers if c["name"] == "backstage-backend"), None)
    if backend is None:
        backend = {"name": "backstage-backend"}
        containers.append(backend)
    backend.setdefault("volumeMounts", []).append(
        {"name": "my-extra-config", "mountPath": APP_CONFIG_PATH, "subPath": "app-config-rhdh.yaml"})
    pod.setdefault("volumes", []).append({"name": "my-extra-config", "configMap": {"name": "app-config-rhdh"}})


# ----- the refusals ---------------------------------------------------------------------------------------------
def test_invalid_plugin_yaml(operator):
    with never_ran(operator) as since, plugins_text(operator, BAD_YAML) as broken:
        run = run_role(operator)
        assert_refused(run, ((f"ConfigMap {NS}/{PLUGINS_CM} key {PLUGINS_KEY}",), ("does not hold valid YAML",)))
        assert_no_writes(operator, since)
        assert user_view(get(operator, "configmap", PLUGINS_CM, "-n", NS)) == user_view(broken)


def _set_patch(value: Any) -> Callable[[dict], None]:
    def change(spec: dict) -> None:
        spec.setdefault("deployment", {})["patch"] = value
    return change


def _operator_refused_the_patch(cr: dict, _pod: dict) -> bool:
    """The operator cannot merge a patch that is no mapping: it keeps the Deployment it had and says
    DeployFailed ("can not merge spec.deployment: wrong node kind")."""
    return _deployed(cr) == "False"


# The Backstage CRD keeps whatever spec.deployment.patch holds (x-kubernetes-preserve-unknown-fields, no type).
@pytest.mark.parametrize("patch", ["spec: {}", [{"spec": {}}]], ids=["string", "list"])
def test_deployment_patch_that_is_no_mapping(operator, patch):
    with never_ran(operator) as since, cr_spec(operator, _set_patch(patch), _operator_refused_the_patch) as broken:
        assert broken["spec"]["deployment"]["patch"] == patch  # the CRD took it as it is
        run = run_role(operator)
        assert_refused(run, ((f"Backstage {NS}/{CR}",), ("spec.deployment.patch must be a mapping",)))
        assert_no_writes(operator, since)
        assert user_view(get(operator, "backstage", CR, "-n", NS)) == user_view(broken)


@pytest.mark.parametrize("install", ["operator", "helm"])
def test_foreign_container_named_location(request, install):
    cluster = request.getfixturevalue(install)
    with never_ran(cluster) as since, bad_pod(cluster, install, add_container(FOREIGN_LOCATION),
                                              has_container("location")) as user_object:
        before = user_object()
        run = run_role(cluster)
        assert_refused(run, (WHERE[install], ("container location", "is not the connector's")))
        assert_no_writes(cluster, since)
        assert user_object() == before


@pytest.mark.parametrize("install, port", [("operator", 9090), ("helm", 7070)])
def test_port_the_sidecars_need_is_taken(request, install, port):
    cluster = request.getfixturevalue(install)
    proxy = {"name": "metrics-proxy", "image": "quay.io/example/proxy:1", "ports": [{"containerPort": port}]}
    with never_ran(cluster) as since, bad_pod(cluster, install, add_container(proxy), has_container("metrics-proxy")) as user_object:
        before = user_object()
        run = run_role(cluster)
        assert_refused(run, (WHERE[install], ("container metrics-proxy", f"already uses port {port}")))
        assert_no_writes(cluster, since)
        assert user_object() == before


@pytest.mark.parametrize("install", ["operator", "helm"])
def test_app_config_path_already_mounted(request, install):
    cluster = request.getfixturevalue(install)
    with never_ran(cluster) as since, bad_pod(cluster, install, mount_user_file_at_app_config_path,
                                              has_volume("my-extra-config")) as user_object:
        before = user_object()
        run = run_role(cluster)
        assert_refused(run, (WHERE[install], (f"already mounts {APP_CONFIG_PATH}",)))
        assert_no_writes(cluster, since)
        assert user_object() == before


@pytest.mark.parametrize("install", ["operator", "helm"])
def test_volume_of_the_app_config_name_holds_something_else(request, install):
    cluster = request.getfixturevalue(install)
    scratch = {"name": APP_CONFIG_CM, "emptyDir": {}}
    with never_ran(cluster) as since, bad_pod(cluster, install, lambda pod: pod.setdefault("volumes", []).append(scratch),
                                              has_volume(APP_CONFIG_CM)) as user_object:
        before = user_object()
        run = run_role(cluster)
        assert_refused(run, (WHERE[install], (f"volume {APP_CONFIG_CM} already exists and holds",)))
        assert_no_writes(cluster, since)
        assert user_object() == before


def test_two_refusals_at_once(operator):
    # The ConfigMap is broken last and put back first: the operator renders the user's CR again only
    # from plugin YAML it can parse.
    with never_ran(operator) as since, cr_spec(operator, _set_patch("spec: {}"), _operator_refused_the_patch) as cr, \
            plugins_text(operator, BAD_YAML) as plugins:
        run = run_role(operator)
        reasons = assert_refused(run, ((f"ConfigMap {NS}/{PLUGINS_CM} key {PLUGINS_KEY}",), ("does not hold valid YAML",)),
                                 ((f"Backstage {NS}/{CR}",), ("spec.deployment.patch must be a mapping",)))
        assert not [r for r in reasons if "valid YAML" in r and "must be a mapping" in r], reasons  # two reasons, not one
        assert_no_writes(operator, since)
        assert user_view(get(operator, "configmap", PLUGINS_CM, "-n", NS)) == user_view(plugins)
        assert user_view(get(operator, "backstage", CR, "-n", NS)) == user_view(cr)
