#!/usr/bin/env python3
"""Mitogen (strategy mitogen_linear) against ansible-core's own linear strategy, for the role.

On fresh testbed clusters (RHOAI 2.25, RHDH Helm chart), per cluster: controller wall and CPU time
(the whole ansible-playbook process tree) of a fresh converge (install.yml), of a no-op re-run
(median of three), and of a no-op fleet.yml run over every cluster at once (divided by the number
of clusters). Each strategy gets clusters of its own; each no-op must write nothing. Results go to
bench/results/mitogen-<timestamp>.json and a Markdown table to stdout.

    bench/run-mitogen                 # 3 clusters per strategy (about 4 minutes on 2 cores)
    bench/run-mitogen --clusters 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import Run, log, mitogen_env, run_playbook  # noqa: E402
from testbed import Cluster  # noqa: E402

SCENARIOS = ("rhoai-2.25", "rhdh-helm")
AGENT = "rhdh.ai_connector"


def strategy_env(mitogen: bool, kubeconfig: Path | None = None) -> dict[str, str]:
    env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections")}
    if kubeconfig:
        env["K8S_AUTH_KUBECONFIG"] = str(kubeconfig)
    return mitogen_env(env) if mitogen else env


def cluster(name: str) -> Cluster:
    if name in Cluster.list():
        Cluster(name).delete()
    made = Cluster.create(name)
    made.load(*SCENARIOS)
    return made


def checked(run: Run, cluster_list: list[Cluster], noop: bool, fleet: bool = False) -> Run:
    if run.rc != 0:
        raise SystemExit(f"{run.name} failed (rc {run.rc}); see {run.log}")
    if noop:
        writes = [w for c in cluster_list for w in c.write_requests(since=run.started, user_agent=AGENT)]
        # fleet.yml's report play writes its files on localhost: there only the clusters must be unchanged
        changed = sum(h["changed"] for name, h in run.recap.items() if not fleet or name != "localhost")
        if writes or changed:
            raise SystemExit(f"{run.name} was not a no-op: changed={changed}, {len(writes)} writes")
    return run


def figures(runs: list[Run], per: int = 1) -> dict[str, float]:
    return {"wall_s": round(statistics.median(r.wall_s for r in runs) / per, 2),
            "cpu_s": round(statistics.median(r.cpu_s for r in runs) / per, 2),
            "peak_rss_mb": max(r.peak_rss_mb for r in runs)}


def measure(label: str, mitogen: bool, count: int, logdir: Path) -> dict[str, Any]:
    clusters = [cluster(f"bm-{label}-{i}") for i in range(count)]
    try:
        install = ROOT / "playbooks" / "install.yml"
        converge = [checked(run_playbook(f"{label}-converge-{i}", [str(install)], logdir,
                                         strategy_env(mitogen, c.kubeconfig)), [c], noop=False)
                    for i, c in enumerate(clusters)]
        noop = [checked(run_playbook(f"{label}-noop-{i}", [str(install)], logdir,
                                     strategy_env(mitogen, clusters[0].kubeconfig)), [clusters[0]], noop=True)
                for i in range(3)]
        inventory = logdir / f"{label}-fleet.yml"
        hosts = {}
        for c in clusters:
            context = yaml.safe_load(Path(c.kubeconfig).read_text())["current-context"]
            hosts[c.name] = {"rhoai_connector_kubeconfig": str(c.kubeconfig), "rhoai_connector_context": context}
        inventory.write_text(yaml.safe_dump({"fleet": {"hosts": hosts}}))
        fleet_args = [str(ROOT / "playbooks" / "fleet.yml"), "-i", str(inventory), "-e",
                      json.dumps({"fleet_batches": "100%", "fleet_report_dir": str(logdir / f"{label}-report")})]
        fleet = [checked(run_playbook(f"{label}-fleet-noop-{i}", fleet_args, logdir, strategy_env(mitogen)),
                         clusters, noop=True, fleet=True) for i in range(3)]
        result = {"converge": figures(converge), "noop": figures(noop), "fleet_noop_per_cluster": figures(fleet, count),
                  "fleet_noop_total": figures(fleet), "clusters": count}
        log(f"{label}: {json.dumps(result)}")
        return result
    finally:
        for c in clusters:
            c.delete()


def table(results: dict[str, Any]) -> str:
    rows = [("fresh converge, one cluster", "converge"), ("no-op re-run, one cluster", "noop"),
            (f"fleet no-op, per cluster ({results['linear']['clusters']} at once)", "fleet_noop_per_cluster")]
    lines = ["| run | linear wall | linear CPU | mitogen_linear wall | mitogen_linear CPU |", "|---|---|---|---|---|"]
    for title, key in rows:
        a, b = results["linear"][key], results["mitogen_linear"][key]
        lines.append(f"| {title} | {a['wall_s']} s | {a['cpu_s']} s | {b['wall_s']} s | {b['cpu_s']} s |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=3)
    args = parser.parse_args()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    logdir = ROOT / "bench" / "results" / f"mitogen-{stamp}"
    logdir.mkdir(parents=True)
    started = time.monotonic()
    results = {"linear": measure("linear", False, args.clusters, logdir),
               "mitogen_linear": measure("mitogen", True, args.clusters, logdir)}
    (logdir / "results.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    log(f"done in {time.monotonic() - started:.0f} s; {logdir / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
