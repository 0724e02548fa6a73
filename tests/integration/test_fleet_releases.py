"""A fleet is never on one release: playbooks/fleet.yml over an RHDH 1.8, a 1.10 and a 2.0 cluster (the
real operators; 2.0 told by its ClusterServiceVersion, on OpenShift AI 3.x) gives each the connector
its release takes, and the report says which."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_run import ROOT, _playbook_bin, ansible_env
from testbed.scenarios import ensure_rhdh_operator_csv

RELEASES = {"rhdh-18": ("rhoai-2.25", "rhdh-operator-1.8", "1.8", "sidecar"),
            "rhdh-110": ("rhoai-2.25", "rhdh-operator-1.10", "1.10", "sidecar"),
            "rhdh-20": ("rhoai-3.x", "rhdh-operator-2.0", "2.0", "plugin-only")}


@pytest.fixture(scope="module")
def fleet_report(module_cluster_factory, tmp_path_factory) -> tuple[dict, str, dict]:
    clusters = {name: module_cluster_factory(rhoai, rhdh) for name, (rhoai, rhdh, _r, _c) in RELEASES.items()}
    ensure_rhdh_operator_csv(clusters["rhdh-20"], "2.0.0")
    tmp = tmp_path_factory.mktemp("fleet-releases")
    inventory = tmp / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"fleet": {
        "hosts": {name: {"rhoai_connector_kubeconfig": str(c.kubeconfig)} for name, c in clusters.items()},
        "vars": {"rhoai_connector_rhdh_namespace": "ai-rhdh", "rhoai_connector_wait_timeout": 120}}}))
    extra = {"fleet_report_dir": str(tmp / "report"), "fleet_batches": "100%"}
    proc = subprocess.run([_playbook_bin(), str(ROOT / "playbooks" / "fleet.yml"), "-i", str(inventory), "-e", json.dumps(extra)],
                          cwd=ROOT, env=ansible_env(None), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return (json.loads((tmp / "report" / "fleet-report.json").read_text()), (tmp / "report" / "fleet-report.md").read_text(),
            clusters)


@pytest.mark.parametrize("name", list(RELEASES))
def test_each_cluster_gets_the_connector_of_its_release_and_the_report_says_which(fleet_report, name):
    report, markdown, clusters = fleet_report
    _rhoai, _rhdh, release, connector = RELEASES[name]
    row = next(c for c in report["clusters"] if c["name"] == name)
    assert row["status"] == "changed" and row["verify"]["ok"], row
    assert (row["rhdh"]["rhdh_version"], row["rhdh"]["connector"]) == (release, connector)
    assert f"| {name} | changed |" in markdown and f"| {release} (operator, {connector} connector) |" in markdown, markdown
    pod = json.loads(clusters[name].kubectl("get", "deployment", "backstage-developer-hub", "-n", "ai-rhdh", "-o", "json").stdout)
    names = {c["name"] for c in pod["spec"]["template"]["spec"]["containers"]}
    assert ({"location", "storage-rest", "rhoai-normalizer"} <= names) == (connector == "sidecar"), names
