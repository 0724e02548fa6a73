"""Which RHDH release the collection faces, on the real RHDH operator 2.0 (main at VERSION 2.0.0) and
on a 1.10 install whose operator is upgraded to 2.0, as users run it (playbooks/*.yml).

RHDH 2.0 serves the same Backstage versions as 1.10 (v1alpha4, v1alpha5) and its operator's default
image is ``rhdh:next``, a tag that names no release: read from those, 2.0 was taken for 1.10 and got
1.10's sidecars with verify saying OK. Where a source tells 2.0 (the ClusterServiceVersion, an image
pinned through ``RELATED_IMAGE_backstage`` as OLM does), the plugin-only connector is installed and
checked on the pod the operator renders; where none tells, the run refuses. Each refusal here is
checked for its message and for no write by the collection in the API server's audit log; each test
puts the cluster back. (The move of a 1.10 install to 2.0 is molecule's ``upgrade-to-2``.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ansible_run import PlaybookRun, describe, our_writes, run_playbook
from testbed.kube import wait_for
from testbed.scenarios import ensure_rhdh_operator_csv, remove_rhdh_operator_csv, upgrade_operator

NS = "ai-rhdh"
ROLE_VARS = {"rhoai_connector_rhdh_namespace": NS}
PREFIX = "Preflight refused, nothing was changed: "
WORKLOAD = "backstage-developer-hub"
SIDECARS = {"location", "storage-rest", "rhoai-normalizer"}
OPERATOR_NS = "rhdh-operator"
CSV_20 = "rhdh-operator.v2.0.0"
IMAGE_20 = "registry.redhat.io/rhdh/rhdh-hub-rhel9:2.0"


@pytest.fixture(scope="module")
def rhdh20(module_cluster_factory):
    return module_cluster_factory("rhoai-2.25", "rhdh-operator-2.0")


def get(cluster, *args) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def containers(cluster) -> dict[str, dict]:
    pod = get(cluster, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]["spec"]
    return {c["name"]: c for c in pod["containers"]}


def fail_message(run: PlaybookRun) -> str:
    fatal = [line for line in run.output.splitlines() if "FAILED! => " in line]
    assert fatal, run.output[-3000:]
    return json.loads(fatal[-1].split("FAILED! => ", 1)[1]).get("msg", "")


def install(cluster, **extra) -> tuple[PlaybookRun, float]:
    since = time.time()
    return run_playbook("playbooks/install.yml", cluster.kubeconfig, dict(ROLE_VARS, **extra)), since


def assert_refused_without_writes(cluster, run: PlaybookRun, since: float, *phrases: str) -> str:
    assert run.rc != 0 and run.failed, run.output[-3000:]
    msg = fail_message(run)
    assert msg.startswith(PREFIX), msg
    for phrase in phrases:
        assert phrase in msg, f"{phrase!r} not in: {msg}"
    assert "Fix: " in msg, msg
    writes = our_writes(cluster, since)
    assert writes == [], describe(writes)
    assert cluster.kubectl("get", "serviceaccount", "rhdh-rhoai-connector", "-n", NS, check=False).returncode != 0
    assert not SIDECARS & set(containers(cluster)), sorted(containers(cluster))
    return msg


@contextmanager
def csv(cluster, version: str = "2.0.0") -> Iterator[None]:
    """The RHDH operator's ClusterServiceVersion rhdh-operator.v<version>, as OLM makes it in the
    operator's namespace, for the block; removed afterwards."""
    ensure_rhdh_operator_csv(cluster, version)
    try:
        yield
    finally:
        remove_rhdh_operator_csv(cluster, version)


def wait_for_backend_image(cluster, image: str) -> None:
    wait_for(f"the operator to render image {image} into Deployment {NS}/{WORKLOAD}",
             lambda: containers(cluster)["backstage-backend"]["image"] == image, 60, 0.5)


# ----- the real 2.0 operator -----------------------------------------------------------------------------------
def test_no_source_tells_the_release_refused_naming_what_was_read_and_the_variable(rhdh20):
    run, since = install(rhdh20)
    assert_refused_without_writes(
        rhdh20, run, since, "the RHDH release could not be told",
        "image quay.io/rhdh-community/rhdh:next has no release tag", "no RHDH operator ClusterServiceVersion readable",
        "fit RHDH 1.10 and 2.0 alike", "Fix: set rhoai_connector_rhdh_version")


def assert_plugin_only_connector(cluster, run: PlaybookRun, said: str) -> None:
    """The run installed the plugin-only connector (the release read from ``said``), and the pod the
    operator rendered has no connector container and takes the token from its Secret."""
    assert run.rc == 0, run.output[-3000:]
    assert f"OK  RHDH 2.0 ({said}) takes the plugin-only connector" in run.output, run.output[-3000:]
    backend = containers(cluster)["backstage-backend"]
    assert not SIDECARS & set(containers(cluster)), sorted(containers(cluster))
    refs = [e["valueFrom"]["secretKeyRef"] for e in backend.get("env") or [] if e["name"] == "token"]
    assert refs == [{"name": "rhdh-kserve-kubeflow-connector-token", "key": "token"}], backend.get("env")
    assert "/opt/app-root/src/app-config.rhoai-connector.yaml" in backend["args"], backend["args"]
    assert cluster.kubectl("get", "serviceaccount", "rhdh-rhoai-connector", "-n", NS, check=False).returncode != 0
    rules = get(cluster, "clusterrole", "rhdh-kserve-kubeflow-connector")["rules"]
    assert {r for rule in rules for r in rule["resources"]} == {"inferenceservices", "routes", "serviceaccounts"}


def uninstall_plugin_only(cluster) -> None:
    since = time.time()
    removed = run_playbook("playbooks/uninstall.yml", cluster.kubeconfig, ROLE_VARS)
    assert removed.rc == 0, removed.output[-3000:]
    backend = containers(cluster)["backstage-backend"]
    assert [e for e in backend.get("env") or [] if e["name"] == "token"] == []
    assert "/opt/app-root/src/app-config.rhoai-connector.yaml" not in backend["args"]
    assert cluster.kubectl("get", "serviceaccount", "rhdh-kserve-kubeflow-connector", "-n", NS, check=False).returncode != 0
    assert our_writes(cluster, since)


def test_a_2_0_clusterserviceversion_gets_the_plugin_only_connector_and_a_rerun_writes_nothing(rhdh20):
    with csv(rhdh20):
        run, _since = install(rhdh20)
        try:
            assert_plugin_only_connector(rhdh20, run, f"ClusterServiceVersion {OPERATOR_NS}/{CSV_20}")
            again, since = install(rhdh20)
            assert again.rc == 0 and "changed=0" in again.output, again.output[-3000:]
            assert our_writes(rhdh20, since) == [], describe(our_writes(rhdh20, since))
        finally:
            uninstall_plugin_only(rhdh20)


def test_an_image_pinned_to_a_2_0_tag_through_related_image_backstage_gets_the_plugin_only_connector(rhdh20):
    default = containers(rhdh20)["backstage-backend"]["image"]
    rhdh20.start_operator("2.0", {"RELATED_IMAGE_backstage": IMAGE_20})  # what OLM gives the operator
    try:
        wait_for_backend_image(rhdh20, IMAGE_20)
        run, _since = install(rhdh20)
        try:
            assert_plugin_only_connector(rhdh20, run, f"the tag of image {IMAGE_20}")
            assert containers(rhdh20)["backstage-backend"]["image"] == IMAGE_20
        finally:
            uninstall_plugin_only(rhdh20)
    finally:
        rhdh20.start_operator("2.0")
        wait_for_backend_image(rhdh20, default)


def test_a_2_x_release_of_unknown_plugin_tags_is_refused_naming_the_four_plugins(rhdh20):
    with csv(rhdh20, "2.1.0"):
        run, since = install(rhdh20)
        assert_refused_without_writes(
            rhdh20, run, since,
            f"RHDH 2.1 (ClusterServiceVersion {OPERATOR_NS}/rhdh-operator.v2.1.0) takes the plugin-only connector, "
            "but its plugin tags are not known",
            "Fix: give a tag for each of kserve-kubeflow-connector-backend, catalog-backend-module-ai-model-server, "
            "catalog-backend-module-model-catalog, catalog-techdoc-url-reader-backend in rhoai_connector_plugin_tags")


def test_a_given_1_10_where_the_clusterserviceversion_says_2_0_is_refused_naming_both(rhdh20):
    with csv(rhdh20):
        run, since = install(rhdh20, rhoai_connector_rhdh_version="1.10")
        assert_refused_without_writes(
            rhdh20, run, since, "rhoai_connector_rhdh_version says RHDH 1.10, which takes the sidecar connector",
            f"ClusterServiceVersion {OPERATOR_NS}/{CSV_20} says RHDH 2.0, which takes the plugin-only connector",
            "Fix: leave rhoai_connector_rhdh_version empty")


def test_a_given_1_10_where_nothing_else_can_tell_stands(rhdh20):
    """As documented: where the cluster cannot tell, the user's word decides (and is theirs to get right)."""
    run, since = install(rhdh20, rhoai_connector_rhdh_version="1.10")
    try:
        assert run.rc == 0, run.output[-3000:]
        assert "RHDH 1.10 (operator install, Deployment ai-rhdh/backstage-developer-hub); version from given " \
               "(rhoai_connector_rhdh_version 1.10)" in run.output
        assert SIDECARS <= set(containers(rhdh20))
    finally:
        removed = run_playbook("playbooks/uninstall.yml", rhdh20.kubeconfig, dict(ROLE_VARS, rhoai_connector_rhdh_version="1.10"))
        assert removed.rc == 0, removed.output[-3000:]
    assert not SIDECARS & set(containers(rhdh20))


# ----- a 1.10 install whose operator is upgraded to 2.0 ----------------------------------------------------------
def test_verify_on_an_install_upgraded_to_2_0_names_what_the_move_has_to_change(module_cluster_factory):
    """Between the operator's upgrade and the next run of the role, verify (read-only) says what is wrong."""
    cluster = module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")
    run, _since = install(cluster)
    assert run.rc == 0, run.output[-3000:]
    with csv(cluster):
        upgrade_operator(cluster, "2.0")  # its CRD, then the operator, as OLM does
        wait_for_backend_image(cluster, "quay.io/rhdh-community/rhdh:next")
        since = time.time()
        report = run_playbook("playbooks/verify.yml", cluster.kubeconfig, ROLE_VARS)
        assert report.rc != 0, report.output[-3000:]
        assert f"Deployment {NS}/{WORKLOAD}: the pod template still has sidecars" in report.output, report.output[-3000:]
        assert "catalog.providers.modelCatalog.development.baseUrl (the sidecar connector's) is still" in report.output
        assert our_writes(cluster, since) == []
        removed = run_playbook("playbooks/uninstall.yml", cluster.kubeconfig, ROLE_VARS)
        assert removed.rc == 0, removed.output[-3000:]
        assert not SIDECARS & set(containers(cluster))
        assert cluster.kubectl("get", "serviceaccount", "rhdh-rhoai-connector", "-n", NS, check=False).returncode != 0
