"""The Helm values the collection writes keep the connector through the user's next `helm upgrade`.

Against the real RHDH 1.8 chart installed by a real Helm: install the connector with
``rhoai_connector_helm_values_file``, then ``helm upgrade <release> <chart> -f <user values> -f
<connector values>`` as the file's header says. Afterwards the pod Helm renders still holds the
sidecars, both plugins, the connector's app-config and every app-config file of the user's, with no
mount or --config twice, and a re-run of the collection writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_run import our_writes, run_playbook
from testbed import rendered
from testbed.build import rhdh_chart
from testbed.kube import rolled_out, wait_for
from testbed.scenarios import DATA

INSTALL = "playbooks/install.yml"
CONNECTOR_CM = "rhdh-rhoai-connector-app-config"
PLUGINS = ("catalog-backend-module-model-catalog", "catalog-techdoc-url-reader-backend")


def _deployment(cluster, name: str) -> dict:
    return cluster.kube().get_or_none(f"/apis/apps/v1/namespaces/ai-rhdh/deployments/{name}")


def _plugins(cluster, release: str) -> list[dict]:
    cm = cluster.kube().get_or_none(f"/api/v1/namespaces/ai-rhdh/configmaps/{release}-dynamic-plugins")
    return yaml.safe_load(cm["data"]["dynamic-plugins.yaml"])["plugins"]


@pytest.mark.parametrize("release, scenario", [("developer-hub", "rhdh-helm-developer-hub")])
def test_helm_upgrade_with_the_written_values_keeps_the_connector(cluster_factory, tmp_path: Path, release: str,
                                                                  scenario: str) -> None:
    cluster = cluster_factory("rhoai-2.25", scenario)
    workload = release if "developer-hub" in release else f"{release}-developer-hub"
    before = _deployment(cluster, workload)
    user_plugins = _plugins(cluster, release)
    values = tmp_path / "rhoai-connector-values.yaml"
    extra = {"rhoai_connector_rhdh_namespace": "ai-rhdh", "rhoai_connector_helm_values_file": str(values)}

    run = run_playbook(INSTALL, cluster.kubeconfig, extra)
    assert run.rc == 0, run.output[-4000:]
    installed = _deployment(cluster, workload)
    assert rendered.problems(before, installed, connector_configmap=CONNECTOR_CM) == []

    upgrade = cluster.helm("upgrade", release, str(rhdh_chart()), "--namespace", "ai-rhdh",
                           "--values", str(DATA / "rhdh-helm-values.yaml"), "--values", str(values))
    assert "STATUS: deployed" in upgrade.stdout, upgrade.stdout + upgrade.stderr
    kube = cluster.kube()
    wait_for(f"Deployment {workload} to roll out after helm upgrade",
             lambda: rolled_out(kube, "ai-rhdh", workload), 180)
    upgraded = _deployment(cluster, workload)
    assert upgraded["metadata"]["generation"] > installed["metadata"]["generation"], "helm upgrade changed nothing"
    assert rendered.problems(before, upgraded, connector_configmap=CONNECTOR_CM) == []
    assert rendered.config_files(upgraded).count(rendered.CONNECTOR_FILE) == 1
    plugins = _plugins(cluster, release)
    for name in PLUGINS:
        entries = [p for p in plugins if f"plugin-{name}:" in p["package"]]
        assert len(entries) == 1 and not entries[0].get("disabled"), plugins
    assert [p for p in plugins if p in user_plugins] == user_plugins

    rerun = run_playbook(INSTALL, cluster.kubeconfig, extra)
    assert rerun.rc == 0 and rerun.changed == 0, rerun.output[-4000:]
    assert our_writes(cluster, rerun.started) == []
