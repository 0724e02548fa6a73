"""fleet.yml sliced the way AAP slices a job template, then merged by fleet_merge.yml.

AAP's job slicing (job_slice_count N) runs the playbook as N jobs; job k gets the hosts of the
inventory taken in name order, from the k-th on, every N-th (``hosts[k-1::N]``), and nothing else.
Each slice here is such a run with an inventory of its hosts only and a report folder of its own;
fleet_merge.yml then merges the slices' fleet-report.json files. The merged report must be the
report of one unsliced run over the whole inventory (timestamps aside).

Fleet: ``a-healthy`` (RHOAI 2.25, RHDH Helm chart), ``b-refusing`` (RHOAI 2.19: refused by the
preflight), ``c-unreachable`` (a closed port). Runs, in order: drift (--check --diff) unsliced, then
in 2 slices; a real run in 2 slices; a re-run unsliced, then in 2 slices.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_run import ROOT, _playbook_bin, ansible_env, describe, our_writes

FLEET = ROOT / "playbooks" / "fleet.yml"
MERGE = ROOT / "playbooks" / "fleet_merge.yml"
SLICES = 2


@dataclass
class Report:
    rc: int
    output: str
    started: float
    data: dict[str, Any]
    markdown: str


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aap_slice(hosts: list[str], number: int, count: int) -> list[str]:
    """The hosts of slice ``number`` (1-based) of ``count``, as AAP's controller picks them."""
    return sorted(hosts)[number - 1::count]


def run(cmd: list[str], report_dir: Path) -> Report:
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(None), capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    json_report = report_dir / "fleet-report.json"
    assert json_report.exists(), f"no report in {report_dir} (rc {proc.returncode}):\n{output[-4000:]}"
    return Report(proc.returncode, output, started, json.loads(json_report.read_text()),
                  (report_dir / "fleet-report.md").read_text())


def fleet_run(hosts: dict[str, dict[str, Any]], names: list[str], report_dir: Path, check: bool,
              batches: str | None = None) -> Report:
    inventory = report_dir.parent / f"{report_dir.name}-inventory.yml"
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    inventory.write_text(yaml.safe_dump({"fleet": {"hosts": {n: hosts[n] for n in names},
                                                   "vars": {"rhoai_connector_wait_timeout": 120}}}))
    extra: dict[str, Any] = {"fleet_report_dir": str(report_dir)}
    if batches:
        extra["fleet_batches"] = batches
    cmd = [_playbook_bin(), str(FLEET), "-i", str(inventory), "-e", json.dumps(extra)]
    return run(cmd + (["--check", "--diff"] if check else []), report_dir)


def sliced_run(hosts: dict[str, dict[str, Any]], folder: Path, check: bool,
               batches: str | None = None) -> tuple[list[Report], Report]:
    """N slice jobs (one after the other, as on one execution node), then the merge job."""
    slices = [fleet_run(hosts, aap_slice(list(hosts), k, SLICES), folder / "slices" / f"slice-{k}", check, batches)
              for k in range(1, SLICES + 1)]
    merged_dir = folder / "merged"
    cmd = [_playbook_bin(), str(MERGE), "-e", json.dumps({"fleet_slices_dir": str(folder / "slices"),
                                                          "fleet_slices": SLICES, "fleet_report_dir": str(merged_dir)})]
    return slices, run(cmd, merged_dir)


def comparable(report: Report) -> tuple[dict[str, Any], str]:
    """The report without what differs between any two runs: when it (and each cluster) ran, how many
    slices."""
    data = {k: v for k, v in report.data.items() if k not in ("generated", "started", "slices")}
    data["clusters"] = [{k: v for k, v in c.items() if k != "finished"} for c in data["clusters"]]
    markdown = "\n".join(line for line in report.markdown.splitlines() if not line.startswith("Started "))
    return data, markdown


@dataclass
class Runs:
    healthy: Any
    refusing: Any
    drift: Report
    drift_slices: list[Report]
    drift_merged: Report
    first_slices: list[Report]
    first_merged: Report
    rerun: Report
    rerun_slices: list[Report]
    rerun_merged: Report


@pytest.fixture(scope="module")
def runs(module_cluster_factory, tmp_path_factory) -> Runs:
    healthy = module_cluster_factory("rhoai-2.25", "rhdh-helm")
    refusing = module_cluster_factory("rhoai-2.19", "rhdh-helm")
    tmp = tmp_path_factory.mktemp("slices")

    def by_kubeconfig(cluster: Any) -> dict[str, Any]:
        context = yaml.safe_load(Path(cluster.kubeconfig).read_text())["current-context"]
        return {"rhoai_connector_kubeconfig": str(cluster.kubeconfig), "rhoai_connector_context": context}

    hosts = {
        "a-healthy": by_kubeconfig(healthy),
        "b-refusing": by_kubeconfig(refusing),
        "c-unreachable": {"rhoai_connector_host": f"https://127.0.0.1:{closed_port()}",
                          "rhoai_connector_validate_certs": False, "rhoai_connector_api_key": "not-a-token"},
    }
    assert aap_slice(list(hosts), 1, SLICES) == ["a-healthy", "c-unreachable"]
    drift = fleet_run(hosts, list(hosts), tmp / "drift" / "unsliced", check=True, batches="100%")
    drift_slices, drift_merged = sliced_run(hosts, tmp / "drift", check=True, batches="100%")
    first_slices, first_merged = sliced_run(hosts, tmp / "first", check=False)
    rerun = fleet_run(hosts, list(hosts), tmp / "rerun" / "unsliced", check=False, batches="100%")
    rerun_slices, rerun_merged = sliced_run(hosts, tmp / "rerun-sliced", check=False, batches="100%")
    return Runs(healthy, refusing, drift, drift_slices, drift_merged, first_slices, first_merged,
                rerun, rerun_slices, rerun_merged)


def test_each_slice_reports_only_its_own_clusters(runs: Runs) -> None:
    names = [[c["name"] for c in s.data["clusters"]] for s in runs.drift_slices]
    assert names == [["a-healthy", "c-unreachable"], ["b-refusing"]]


def test_merged_drift_report_equals_the_unsliced_one(runs: Runs) -> None:
    merged, unsliced = comparable(runs.drift_merged), comparable(runs.drift)
    assert merged[0] == unsliced[0], json.dumps({"merged": merged[0], "unsliced": unsliced[0]}, indent=1)[:6000]
    assert merged[1] == unsliced[1]
    assert runs.drift.data["totals"] == {"clusters": 3, "ok": 0, "changed": 1, "refused": 1, "unreachable": 1,
                                         "failed": 0, "not_run": 0}
    assert runs.drift_merged.data["slices"] == SLICES
    assert runs.drift_merged.data["started"] == min(s.data["started"] for s in runs.drift_slices)
    healthy = next(c for c in runs.drift_merged.data["clusters"] if c["name"] == "a-healthy")
    assert healthy["would_change"] is True and healthy["changes"], healthy


def test_sliced_real_run_converges_and_the_merge_fails_like_the_fleet(runs: Runs) -> None:
    merged = runs.first_merged
    statuses = {c["name"]: c["status"] for c in merged.data["clusters"]}
    assert statuses == {"a-healthy": "changed", "b-refusing": "refused", "c-unreachable": "unreachable"}
    assert [s.rc for s in runs.first_slices] == [2, 2], "each slice holds a cluster that did not converge"
    assert merged.rc == 2 and "2 of 3 clusters did not converge" in merged.output, merged.output[-2000:]
    assert merged.markdown.startswith("# Fleet report")
    assert "## a-healthy: changed" in merged.markdown and "## b-refusing: REFUSED by preflight" in merged.markdown


def test_merged_rerun_report_equals_the_unsliced_one_and_nothing_is_written(runs: Runs) -> None:
    merged, unsliced = comparable(runs.rerun_merged), comparable(runs.rerun)
    assert merged == unsliced
    healthy = next(c for c in runs.rerun_merged.data["clusters"] if c["name"] == "a-healthy")
    assert healthy["status"] == "ok" and healthy["changes"] == []
    writes = our_writes(runs.healthy, runs.rerun.started)
    assert writes == [], f"a re-run wrote: {describe(writes)}"


def test_merge_refuses_a_missing_slice(runs: Runs, tmp_path: Path) -> None:
    slices = tmp_path / "slices"
    only = slices / "slice-1"
    only.mkdir(parents=True)
    (only / "fleet-report.json").write_text(json.dumps(runs.drift_slices[0].data))
    proc = subprocess.run([_playbook_bin(), str(MERGE), "-e", json.dumps(
        {"fleet_slices_dir": str(slices), "fleet_slices": SLICES, "fleet_report_dir": str(tmp_path / "merged")})],
        cwd=ROOT, env=ansible_env(None), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "1 slice reports" in proc.stdout, proc.stdout[-2000:]
    assert not (tmp_path / "merged" / "fleet-report.json").exists()
