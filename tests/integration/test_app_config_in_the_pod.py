"""The user's app-config stays in the pod the real RHDH operator renders.

The operator mounts every key of every ConfigMap the Backstage CR lists at /opt/app-root/src/<key>
(subPath); a later mount at the same path replaces the earlier one. Users create theirs with
``--from-file=app-config.yaml``, so a connector ConfigMap under that key hid the user's title, auth,
catalog rules and integrations while verify said OK. These tests read what the operator rendered.
"""

from __future__ import annotations

import json
import time

import yaml

from ansible_run import our_writes, run_playbook
from testbed import rendered
from testbed.kube import rolled_out, wait_for

NS = "ai-rhdh"
WORKLOAD = "backstage-developer-hub"
CONNECTOR_CM = "rhdh-rhoai-connector-app-config"
INSTALL = "playbooks/install.yml"
VERIFY = "playbooks/verify.yml"
LABELS = {"app.kubernetes.io/managed-by": "rhdh.ai_connector", "app.kubernetes.io/part-of": "rhdh-rhoai-connector"}


def workload(cluster) -> dict:
    return cluster.kube().get_or_none(f"/apis/apps/v1/namespaces/{NS}/deployments/{WORKLOAD}")


def settle(cluster, check) -> dict:
    """Wait until the operator re-rendered the workload so that ``check(workload)`` holds and it rolled out."""
    kube = cluster.kube()
    wait_for("the operator to re-render the workload", lambda: check(workload(cluster)) and rolled_out(kube, NS, WORKLOAD), 120)
    return workload(cluster)


def test_an_operator_install_keeps_every_app_config_file_of_the_users(cluster_factory) -> None:
    cluster = cluster_factory("rhoai-2.25", "rhdh-operator-1.8")
    before = workload(cluster)
    assert set(rendered.user_app_configs(before)) >= {f"{rendered.WORKING_DIR}/app-config.yaml",
                                                       f"{rendered.WORKING_DIR}/app-config-auth.yaml"}
    run = run_playbook(INSTALL, cluster.kubeconfig, {"rhoai_connector_rhdh_namespace": NS})
    assert run.rc == 0, run.output[-4000:]
    after = workload(cluster)
    assert rendered.problems(before, after, connector_configmap=CONNECTOR_CM) == []
    assert "app-config file(s) mounted once each and passed with --config" in run.output, run.output[-4000:]


def test_an_install_by_an_earlier_version_moves_to_the_new_key_and_the_users_file_comes_back(cluster_factory) -> None:
    cluster = cluster_factory("rhoai-2.25", "rhdh-operator-1.8")
    before = workload(cluster)
    # What earlier versions of the collection left: their ConfigMap under key app-config.yaml, listed in the CR.
    old = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": CONNECTOR_CM, "namespace": NS, "labels": LABELS},
           "data": {"app-config.yaml": yaml.safe_dump(
               {"catalog": {"providers": {"modelCatalog": {"development": {"baseUrl": "http://localhost:9090"}}}}})}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(old))
    cluster.kubectl("patch", "backstage", "developer-hub", "-n", NS, "--type", "json", "-p", json.dumps(
        [{"op": "add", "path": "/spec/application/appConfig/configMaps/-", "value": {"name": CONNECTOR_CM}}]))
    hidden = settle(cluster, lambda w: CONNECTOR_CM in json.dumps(rendered.pod_spec(w)["volumes"]))
    # The real operator shows the defect: the user's file is replaced by the connector's.
    assert any("is no longer mounted" in p for p in rendered.problems(before, hidden, connector_configmap=CONNECTOR_CM))
    verify = run_playbook(VERIFY, cluster.kubeconfig, {"rhoai_connector_rhdh_namespace": NS, "rhoai_connector_verify_fail": False})
    assert ("/opt/app-root/src/app-config.yaml (ConfigMap app-config-rhdh key app-config.yaml) is not mounted in "
            "backstage-backend: ConfigMap rhdh-rhoai-connector-app-config key app-config.yaml is mounted there instead "
            "and hides it") in verify.output, verify.output[-4000:]

    run = run_playbook(INSTALL, cluster.kubeconfig, {"rhoai_connector_rhdh_namespace": NS})
    assert run.rc == 0, run.output[-4000:]
    data = cluster.kube().get_or_none(f"/api/v1/namespaces/{NS}/configmaps/{CONNECTOR_CM}")["data"]
    assert list(data) == ["app-config.rhoai-connector.yaml"]
    after = settle(cluster, lambda w: not rendered.problems(before, w, connector_configmap=CONNECTOR_CM))
    assert rendered.problems(before, after, connector_configmap=CONNECTOR_CM) == []

    since = time.time()
    rerun = run_playbook(INSTALL, cluster.kubeconfig, {"rhoai_connector_rhdh_namespace": NS})
    assert rerun.rc == 0 and rerun.changed == 0, rerun.output[-4000:]
    assert our_writes(cluster, since) == []
