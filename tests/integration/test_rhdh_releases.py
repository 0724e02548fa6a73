"""Which RHDH release the collection faces (issue 16), on the real RHDH operator 2.0 (main at VERSION
2.0.0) and on a 1.10 install whose operator is upgraded to 2.0, as users run it (playbooks/*.yml).

RHDH 2.0 serves the same Backstage versions as 1.10 (v1alpha4, v1alpha5) and its operator's default
image is ``rhdh:next``, a tag that names no release: read from those, 2.0 was taken for 1.10 and got
1.10's sidecars with verify saying OK. Each refusal here is checked for its message and for no write
by the collection in the API server's audit log; each test puts the cluster back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import yaml

from ansible_run import PlaybookRun, describe, our_writes, run_playbook
from testbed.kube import wait_for
from testbed.scenarios import upgrade_operator

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
def csv(cluster, name: str = CSV_20) -> Iterator[None]:
    """The RHDH operator's ClusterServiceVersion, as OLM makes it in the operator's namespace."""
    cluster.kubectl("create", "namespace", OPERATOR_NS, check=False)
    version = name.split(".v", 1)[1]
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "operators.coreos.com/v1alpha1", "kind": "ClusterServiceVersion",
        "metadata": {"name": name, "namespace": OPERATOR_NS},
        "spec": {"displayName": "Red Hat Developer Hub Operator", "version": version, "install": {"strategy": "deployment"}}}))
    try:
        yield
    finally:
        cluster.kubectl("delete", "clusterserviceversion", name, "-n", OPERATOR_NS, "--wait=true")


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


def test_a_2_0_clusterserviceversion_is_refused_as_rhdh_2(rhdh20):
    with csv(rhdh20):
        run, since = install(rhdh20)
        assert_refused_without_writes(
            rhdh20, run, since,
            f"RHDH 2.0 (ClusterServiceVersion {OPERATOR_NS}/{CSV_20}) needs the plugin-only connector",
            "which this version of the collection does not install")


def test_an_image_pinned_to_a_2_0_tag_through_related_image_backstage_is_refused_as_rhdh_2(rhdh20):
    default = containers(rhdh20)["backstage-backend"]["image"]
    rhdh20.start_operator("2.0", {"RELATED_IMAGE_backstage": IMAGE_20})  # what OLM gives the operator
    try:
        wait_for_backend_image(rhdh20, IMAGE_20)
        run, since = install(rhdh20)
        assert_refused_without_writes(
            rhdh20, run, since, f"RHDH 2.0 (the tag of image {IMAGE_20}) needs the plugin-only connector")
    finally:
        rhdh20.start_operator("2.0")
        wait_for_backend_image(rhdh20, default)


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
def test_an_install_on_1_10_upgraded_to_2_0_is_refused_then_verify_names_the_mismatch_and_absent_removes_it(
        module_cluster_factory):
    cluster = module_cluster_factory("rhoai-2.25", "rhdh-operator-1.10")
    run, _since = install(cluster)
    assert run.rc == 0, run.output[-3000:]
    assert SIDECARS <= set(containers(cluster))
    with csv(cluster):
        upgrade_operator(cluster, "2.0")  # its CRD, then the operator, as OLM does
        wait_for_backend_image(cluster, "quay.io/rhdh-community/rhdh:next")

        # the next run refuses before any write and says what to do
        run, since = install(cluster)
        assert run.rc != 0 and run.failed, run.output[-3000:]
        msg = fail_message(run)
        assert msg.startswith(PREFIX) and "RHDH 2.0 (ClusterServiceVersion" in msg, msg
        assert "needs the plugin-only connector" in msg and "remove it with rhoai_connector_state: absent" in msg, msg
        assert our_writes(cluster, since) == [], describe(our_writes(cluster, since))

        # verify (read-only) fails on the release, naming the sidecars that no longer work there
        since = time.time()
        report = run_playbook("playbooks/verify.yml", cluster.kubeconfig, ROLE_VARS)
        assert report.rc != 0, report.output[-3000:]
        assert "RHDH 2.0 (ClusterServiceVersion rhdh-operator/rhdh-operator.v2.0.0) needs the plugin-only connector, " \
               "not the sidecar connector this version of the collection installs; the sidecars" in report.output
        assert f"in Deployment {NS}/{WORKLOAD} do not work there" in report.output
        assert our_writes(cluster, since) == []

        # absent removes the sidecar connector on 2.0 too
        removed = run_playbook("playbooks/uninstall.yml", cluster.kubeconfig, ROLE_VARS)
        assert removed.rc == 0, removed.output[-3000:]
        assert not SIDECARS & set(containers(cluster))
        assert cluster.kubectl("get", "serviceaccount", "rhdh-rhoai-connector", "-n", NS, check=False).returncode != 0
