#!/usr/bin/env python3
"""Benchmark of the collection against the do-it-yourself reference playbook (bench/reference/).

On fresh testbed clusters: wall and CPU time, peak memory and API requests of a fresh converge, a
no-op re-run and an uninstall, for the collection and for the reference, and the collection's converge
and no-op under Mitogen's strategy mitogen_linear; the no-op's requests of each step of the role (each
module task sends its own user agent) against that step's minimum; one module process of each step,
phase by phase, against one k8s_info task (bench/module_cost.py); then fleet scaling (1, 2, 5 and as
many clusters as fit, at most 10), with the controller's CPU per cluster. The targets are ratios
within one run (metrics.speed_targets), printed as PASS/FAIL lines.
Results go to bench/results/<timestamp>/ and the figures into docs/performance.md. Run it through
bench/run (which prepares the virtual environment):

    bench/run                      # everything
    bench/run --no-fleet           # collection vs reference only (about 8 minutes on 2 cores)
    bench/run --no-fleet --no-mitogen   # ... without the runs under Mitogen
    bench/run --max-clusters 5     # a smaller fleet
    bench/run --rerender bench/results/<run>   # the report again from that run's results.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import metrics as m  # noqa: E402
from bench import module_cost  # noqa: E402
from testbed import Cluster  # noqa: E402
from testbed import audit  # noqa: E402
from testbed.kube import raw_request  # noqa: E402

SCENARIOS = ("rhoai-2.25", "rhdh-operator-1.8")
REGISTRIES = 2  # ModelRegistry objects of scenario rhoai-2.25
# SubjectAccessReviews of verification: one per verb and resource of the connector's rules (13 cluster-wide,
# 6 in the RHDH namespace) and one per registry (module_utils/objects.access_reviews).
ACCESS_REVIEWS = 13 + 6 + REGISTRIES
# Each module task of the role sends rhdh.ai_connector/<module> (one user agent per step); on a cold
# discovery cache kubernetes.core's client set-up sends /version and /apis with the client's default
# agent before the module sets its own: on the collection's cluster those are the collection's too.
COLLECTION_AGENTS = (m.COLLECTION_AGENT, m.CLIENT_DEFAULT_AGENT)
# ConfigMaps that the Backstage CR of scenario rhdh-operator-1.8 lists without a key (app-config-rhdh,
# app-config-rhdh-auth): verification reads each to know which files it mounts.
USER_APP_CONFIGS = 2
REFERENCE_AGENTS = ("OpenAPI-Generator",)  # kubernetes.core's modules keep the client's default
IDLE_SECONDS = 20.0
DOC = ROOT / "docs" / "performance.md"
DOC_BEGIN = "<!-- bench:results:begin -->"
DOC_END = "<!-- bench:results:end -->"


def log(msg: str) -> None:
    print(f"{datetime.now(timezone.utc):%H:%M:%S} bench: {msg}", flush=True)


# ----- running a playbook -----
@dataclass
class Run:
    """One ansible-playbook run and what it cost."""

    name: str
    wall_s: float
    cpu_user_s: float
    cpu_sys_s: float
    peak_rss_mb: float
    rc: int
    recap: dict[str, dict[str, int]]
    started: float
    ended: float
    log: str
    requests: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return round(self.cpu_user_s + self.cpu_sys_s, 2)

    @property
    def changed(self) -> int:
        return sum(h["changed"] for h in self.recap.values())

    @property
    def failed(self) -> int:
        return sum(h["failed"] + h["unreachable"] for h in self.recap.values())


def _peak_rss_sampler(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """Keep the controller's VmHWM (its resident-memory high-water mark) until it exits."""
    status = Path(f"/proc/{pid}/status")
    while not stop.is_set():
        try:
            for line in status.read_text(encoding="utf-8").splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) * 1024)
        except OSError:
            return
        stop.wait(0.05)


def ansible_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "false",
                "ANSIBLE_DEPRECATION_WARNINGS": "false", "ANSIBLE_RETRY_FILES_ENABLED": "false"})
    env.update(extra or {})
    return env


def mitogen_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """What a user sets to run a playbook under Mitogen (docs/aap.md): its strategy plugins' folder and
    the strategy mitogen_linear."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.origin:
        raise SystemExit("mitogen is not installed: scripts/bootstrap installs requirements-dev.txt")
    return {**(env or {}), "ANSIBLE_STRATEGY_PLUGINS": str(Path(spec.origin).parent / "plugins" / "strategy"),
            "ANSIBLE_STRATEGY": "mitogen_linear"}


def run_playbook(name: str, args: list[str], logdir: Path, env: dict[str, str] | None = None) -> Run:
    """Run ansible-playbook ``args``; CPU is the RUSAGE_CHILDREN delta (the whole process tree)."""
    logfile = logdir / f"{name}.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, t0 = time.time(), time.monotonic()
    with open(logfile, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(["ansible-playbook", *args], stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, env=ansible_env(env))
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_peak_rss_sampler, args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        rc = proc.wait()
        stop.set()
        sampler.join()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = logfile.read_text(encoding="utf-8", errors="replace")
    return Run(name=name, wall_s=round(wall, 2), cpu_user_s=round(after.ru_utime - before.ru_utime, 2),
               cpu_sys_s=round(after.ru_stime - before.ru_stime, 2), peak_rss_mb=round(peak[0] / 2**20, 1),
               rc=rc, recap=m.parse_recap(output), started=started, ended=time.time(),
               log=str(logfile.relative_to(logdir.parent)))


# ----- clusters and their requests -----
def fresh_cluster(name: str) -> Cluster:
    """A new cluster with the benchmark's scenarios (an old one of that name is deleted first)."""
    if name in Cluster.list():
        Cluster(name).delete()
    t0 = time.monotonic()
    cluster = Cluster.create(name)
    cluster.load(*SCENARIOS)
    log(f"cluster {name} ready in {time.monotonic() - t0:.0f} s")
    return cluster


def metric_counts(cluster: Cluster) -> Counter[m.Key]:
    """apiserver_request_total now (one GET /metrics by the testbed's client, no discovery)."""
    return m.request_counts(raw_request(cluster.kube().api, "GET", "/metrics", headers={"Accept": "text/plain"})
                            .decode("utf-8"))


def audit_window(cluster: Cluster, start: float, end: float) -> list[dict[str, Any]]:
    return [e for e in cluster.audit_events(since=start) if audit.received_at(e) <= end]


def measured(cluster: Cluster, name: str, args: list[str], logdir: Path, agents: tuple[str, ...],
             env: dict[str, str] | None = None) -> Run:
    """Run a playbook against ``cluster`` and attach its requests (metrics delta and audit log)."""
    before = metric_counts(cluster)
    run = run_playbook(name, args, logdir, env)
    after = metric_counts(cluster)
    counts = m.delta(after, before)
    run.requests = {
        "metrics": {m.label(k): v for k, v in sorted(counts.items())},
        "metrics_totals": m.split_counts(counts),
        "audit": m.audit_summary(audit_window(cluster, run.started, run.ended), agents),
    }
    log(f"{name}: {run.wall_s} s wall, {run.cpu_s} s CPU, {run.peak_rss_mb} MB, changed={run.changed}, "
        f"rc={run.rc}, playbook requests {run.requests['audit']['playbook']}")
    return run


def idle_baseline(cluster: Cluster, seconds: float) -> dict[str, Any]:
    """What the API server counts while no playbook runs (controllers, the RHDH operator)."""
    before, start = metric_counts(cluster), time.time()
    time.sleep(seconds)
    counts = m.delta(metric_counts(cluster), before)
    end = time.time()
    return {"seconds": round(end - start, 1), "metrics_totals": m.split_counts(counts),
            "metrics": {m.label(k): v for k, v in sorted(counts.items())},
            "audit": m.audit_summary(audit_window(cluster, start, end), ())["by_group"]}


def state_fingerprint(cluster: Cluster) -> dict[str, Any]:
    """The connector's objects on ``cluster``, without server-set fields (to compare two clusters)."""
    objects = {
        "backstage": ("backstage", "ai-rhdh", "developer-hub"),
        "plugins-configmap": ("configmap", "ai-rhdh", "dynamic-plugins-rhdh"),
        "app-config-configmap": ("configmap", "ai-rhdh", "rhdh-rhoai-connector-app-config"),
        "serviceaccount": ("serviceaccount", "ai-rhdh", "rhdh-rhoai-connector"),
        "role": ("role", "ai-rhdh", "rhdh-rhoai-connector"),
        "rolebinding": ("rolebinding", "ai-rhdh", "rhdh-rhoai-connector"),
        "clusterrole": ("clusterrole", "", "rhdh-rhoai-connector"),
        "clusterrolebinding": ("clusterrolebinding", "", "rhdh-rhoai-connector"),
        "registry-rolebindings": ("rolebinding", "rhoai-model-registries", ""),
        "deployment-containers": ("deployment", "ai-rhdh", "backstage-developer-hub"),
    }
    out = {}
    for key, (kind, ns, name) in objects.items():
        args = ["get", kind, *([name] if name else []), "-o", "json", *(["-n", ns] if ns else [])]
        obj = json.loads(cluster.kubectl(*args).stdout)
        out[key] = _strip(obj, key)
    return out


def _strip(obj: dict[str, Any], key: str) -> Any:
    if key == "deployment-containers":
        return obj["spec"]["template"]["spec"]["containers"]
    if key == "backstage":
        return obj["spec"]
    items = obj.get("items", [obj])
    for item in items:
        if item.get("kind") == "ConfigMap":  # compare the YAML documents, not their indentation
            item["data"] = {k: yaml.safe_load(v) for k, v in (item.get("data") or {}).items()}
        for field_name in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
            item.get("metadata", {}).pop(field_name, None)
    return items if "items" in obj else items[0]


# ----- profiling -----
def floor_check(cluster: Cluster, repeat: int = 3) -> dict[str, Any]:
    """bench/floor.py against the converged cluster: the minimum reads in one process (median)."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / "floor.py"), str(cluster.kubeconfig)],
                              check=True, capture_output=True, text=True)
        runs.append(json.loads(proc.stdout))
    runs.sort(key=lambda r: r["seconds"])
    return {"floor": runs[len(runs) // 2]}


def module_task_cost(cluster: Cluster, logdir: Path) -> dict[str, Any]:
    """ansible-playbook's fixed cost (one debug task) and the cost of one module task (k8s_info, one GET)."""
    empty = run_playbook("profile-empty", ["bench/profile/empty.yml"], logdir)
    five = run_playbook("profile-k8s-info-x5", ["bench/profile/k8s_info.yml", "-e", f"kc={cluster.kubeconfig}"],
                        logdir)
    return {"ansible_empty_wall_s": empty.wall_s, "ansible_empty_cpu_s": empty.cpu_s,
            "module_task_wall_s": round((five.wall_s - empty.wall_s) / 5, 2),
            "module_task_cpu_s": round((five.cpu_s - empty.cpu_s) / 5, 2)}


def profile_noop(cluster: Cluster, logdir: Path) -> dict[str, Any]:
    """One more no-op of the collection with the profile_tasks callback: where its time goes."""
    return profile_tasks_run("collection-noop-profiled", _collection_args("install", cluster), logdir)


def profile_tasks_run(name: str, args: list[str], logdir: Path) -> dict[str, Any]:
    """A run with the profile_tasks callback: time per task, module tasks (>= 0.5 s) apart."""
    run = run_playbook(name, args, logdir, {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"})
    tasks = m.parse_profile_tasks((logdir.parent / run.log).read_text(encoding="utf-8"))
    module_tasks = [(t, s) for t, s in tasks if s >= 0.5]
    return {"wall_s": run.wall_s, "tasks": tasks, "module_tasks": len(module_tasks),
            "module_tasks_s": round(sum(s for _, s in module_tasks), 2),
            "other_tasks_s": round(sum(s for _, s in tasks if s < 0.5), 2)}


# ----- the two playbooks -----
def _collection_args(playbook: str, cluster: Cluster, *extra: str) -> list[str]:
    return [f"playbooks/{playbook}.yml", "-e", f"rhoai_connector_kubeconfig={cluster.kubeconfig}", *extra]


def _reference_args(cluster: Cluster) -> list[str]:
    return ["bench/reference/install.yml", "-e", f"ref_kubeconfig={cluster.kubeconfig}"]


def repeated(measure: Callable[[int], Run], repeat: int) -> tuple[Run, list[float], list[float]]:
    """Run ``measure`` ``repeat`` times: the run of median wall time, every wall time and every CPU time
    (in the order run)."""
    runs = [measure(i) for i in range(1, repeat + 1)]
    return sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2], [r.wall_s for r in runs], [r.cpu_s for r in runs]


def bench_comparison(logdir: Path, idle: float, keep: bool, repeat: int,
                     mitogen: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The collection and the reference, each on a fresh cluster of its own, their runs interleaved (a
    change of the machine's load touches both alike): converge (and the collection's under Mitogen, on a
    third cluster), ``repeat`` no-ops each (and under Mitogen), the collection's no-op without verify, the
    profiles, the collection's uninstall; then ``repeat`` - 1 more rounds of the three fresh converges,
    each on a new cluster."""
    col_cluster, ref_cluster = fresh_cluster("bn-col"), fresh_cluster("bn-ref")
    col: dict[str, Any] = {"idle": idle_baseline(col_cluster, idle)}
    ref: dict[str, Any] = {"idle": idle_baseline(ref_cluster, idle)}
    col["mitogen_converge_walls"], col["mitogen_converge_cpus"] = [], []

    def fresh_converges(i: int, plays: list[tuple[str, Callable[[Cluster], list[str]], Any, dict[str, Any], str]]
                        ) -> None:
        """One round: each play on a new cluster of its own (all made first), one after the other."""
        clusters = [fresh_cluster(f"bn-{prefix.split('-')[-1][:3]}-{i}") for prefix, *_ in plays]
        try:
            for cluster, (prefix, args_for, env, side, key) in zip(clusters, plays):
                run = run_playbook(f"{prefix}-converge-{i}", args_for(cluster), logdir, env)
                if run.rc != 0:
                    raise SystemExit(f"{run.name} failed (rc {run.rc}); see {run.log}")
                log(f"{run.name}: {run.wall_s} s wall, {run.cpu_s} s CPU, changed={run.changed}")
                side[key + "_walls"].append(run.wall_s)
                side[key + "_cpus"].append(run.cpu_s)
        finally:
            for cluster in clusters:
                cluster.delete()

    mitogen_play = (("collection-mitogen", lambda c: _collection_args("install", c), mitogen_env(), col,
                     "mitogen_converge") if mitogen else None)

    def col_run(name: str, env: dict[str, str] | None = None, *extra: str) -> Run:
        return measured(col_cluster, name, _collection_args("install", col_cluster, *extra), logdir,
                        COLLECTION_AGENTS, env)

    def ref_run(name: str, env: dict[str, str] | None = None) -> Run:
        return measured(ref_cluster, name, _reference_args(ref_cluster), logdir, REFERENCE_AGENTS, env)

    col["converge"] = col_run("collection-converge")
    ref["converge"] = ref_run("reference-converge")
    for side, run in ((col, col["converge"]), (ref, ref["converge"])):
        side["converge_walls"], side["converge_cpus"] = [run.wall_s], [run.cpu_s]
    if mitogen:
        fresh_converges(1, [mitogen_play])  # type: ignore[list-item]
    kinds = [("noop", None)] + ([("mitogen_noop", mitogen_env())] if mitogen else [])
    runs: dict[str, list[Run]] = {}
    for i in range(1, repeat + 1):
        for kind, env in kinds:
            label = kind.replace("_", "-")
            runs.setdefault("col-" + kind, []).append(col_run(f"collection-{label}-{i}", env))
            runs.setdefault("ref-" + kind, []).append(ref_run(f"reference-{label}-{i}", env))
    for kind, _ in kinds:
        for side, key in ((col, "col-"), (ref, "ref-")):
            done = runs[key + kind]
            side[kind] = sorted(done, key=lambda r: r.wall_s)[len(done) // 2]
            side[kind + "_walls"] = [r.wall_s for r in done]
            side[kind + "_cpus"] = [r.cpu_s for r in done]
    col["noop_no_verify"] = col_run("collection-noop-no-verify", None, "-e", "rhoai_connector_verify=false")
    col["state"], ref["state"] = state_fingerprint(col_cluster), state_fingerprint(ref_cluster)
    col["cluster_rss_bytes"] = col_cluster.rss_bytes()
    col["profile"] = {**floor_check(col_cluster), **module_task_cost(col_cluster, logdir),
                      **profile_noop(col_cluster, logdir)}
    ref["profile"] = profile_tasks_run("reference-noop-profiled", _reference_args(ref_cluster), logdir)
    log("one module process of each step against one k8s_info task (bench/module_cost.py)")
    col["profile"]["module_cost"] = module_cost.measure(col_cluster.kubeconfig, logdir / "module-cost", repeat + 2)
    col["uninstall"] = measured(col_cluster, "collection-uninstall", _collection_args("uninstall", col_cluster),
                                logdir, COLLECTION_AGENTS)
    if not keep:
        col_cluster.delete()
        ref_cluster.delete()
    for i in range(2, repeat + 1):
        fresh_converges(i, [("collection", lambda c: _collection_args("install", c), None, col, "converge"),
                            ("reference", _reference_args, None, ref, "converge"),
                            *([mitogen_play] if mitogen else [])])
    return col, ref


# ----- fleet -----
def mem_available() -> int:
    for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def fleet_playbook(choice: str = "auto") -> str:
    """playbooks/fleet.yml when the collection has it (committed), else playbooks/install.yml."""
    if choice != "auto":
        return choice
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "playbooks/fleet.yml"], cwd=ROOT,
                             capture_output=True, check=False).returncode == 0
    return "fleet" if tracked else "install"


def write_inventory(path: Path, clusters: list[Cluster]) -> None:
    hosts = {c.name: {"rhoai_connector_kubeconfig": str(c.kubeconfig), "ansible_connection": "local",
                      "ansible_python_interpreter": "{{ ansible_playbook_python }}"} for c in clusters}
    path.write_text(json.dumps({"all": {"hosts": hosts}}, indent=2), encoding="utf-8")


def fleet_args(playbook: str, inventory: Path, forks: int, report_dir: Path) -> list[str]:
    args = ["-i", str(inventory), "--forks", str(forks)]
    if playbook == "fleet":
        extra = {"fleet_batches": ["100%"], "fleet_report_dir": str(report_dir)}
        return [*args, "playbooks/fleet.yml", "-e", json.dumps(extra)]
    return [*args, "playbooks/install.yml", "-e", "rhoai_connector_hosts=all"]


def bench_fleet(sizes: list[int], logdir: Path, choice: str) -> dict[str, Any]:
    playbook = fleet_playbook(choice)
    t0 = time.monotonic()
    clusters: list[Cluster] = []
    try:
        for i in range(1, max(sizes) + 1):
            clusters.append(fresh_cluster(f"bn-f{i:02d}"))
        return _fleet_runs(playbook, clusters, sizes, logdir, round(time.monotonic() - t0, 1))
    finally:
        for cluster in clusters:
            cluster.delete()


def clusters_cpu_s(names: list[str]) -> float:
    """CPU seconds used so far by the processes of the testbed clusters ``names`` (their command
    lines hold .../clusters/<name>/; the RHDH operators have their cluster's kubeconfig in KUBECONFIG)."""
    marks = [f"/clusters/{name}/" for name in names]
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
            if Path(cmdline.split("\0", 1)[0]).name.startswith("rhdh-operator-"):
                cmdline = Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "replace")
            if any(mark in cmdline for mark in marks):
                ticks += m.stat_cpu_ticks(Path(f"/proc/{pid}/stat").read_text())
        except OSError:
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def _fleet_runs(playbook: str, clusters: list[Cluster], sizes: list[int], logdir: Path,
                created_s: float, repeat: int = 3) -> dict[str, Any]:
    """Each size converged ``repeat`` times from scratch (uninstall between); the median run counts."""
    out: dict[str, Any] = {"playbook": f"playbooks/{playbook}.yml", "runs": [], "repeat": repeat,
                           "clusters_created_s": created_s,
                           "reset": "playbooks/uninstall.yml over the same clusters between runs"}
    for n in sizes:
        inventory = logdir / f"fleet-{n}.json"
        write_inventory(inventory, clusters[:n])
        runs = []
        names = [c.name for c in clusters]
        own_cpu: dict[str, float] = {}  # log name of each run -> CPU of the clusters during it
        for attempt in range(1, repeat + 1):
            before = clusters_cpu_s(names)
            run = run_playbook(f"fleet-{n}-converge-{attempt}",
                               fleet_args(playbook, inventory, n, logdir / f"fleet-{n}-report"), logdir)
            own_cpu[run.log] = round(clusters_cpu_s(names) - before, 2)
            log(f"fleet {n} ({attempt}/{repeat}): {run.wall_s} s wall, {run.cpu_s} s CPU, "
                f"clusters {own_cpu[run.log]} s CPU, rc={run.rc}")
            runs.append(run)
            if n == sizes[-1] and attempt == repeat:
                break  # the clusters are deleted next: no reset needed
            run_playbook(f"fleet-{n}-uninstall-{attempt}",
                         ["-i", str(inventory), "--forks", str(n), "playbooks/uninstall.yml",
                          "-e", "rhoai_connector_hosts=all"], logdir)
        run = sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]
        changed_hosts = sum(1 for host, r in run.recap.items() if host != "localhost" and r["changed"] > 0)
        cluster_cpu = own_cpu[run.log]
        out["runs"].append({"clusters": n, "wall_s": run.wall_s, "cpu_s": run.cpu_s,
                            "walls": [r.wall_s for r in runs], "clusters_cpu_s": cluster_cpu,
                            "cpu_floor_s": m.cpu_floor(run.cpu_s + cluster_cpu, os.cpu_count() or 1),
                            "wall_per_cluster_s": m.per_cluster(run.wall_s, n),
                            "cpu_per_cluster_s": m.per_cluster(run.cpu_s, n),
                            "peak_rss_mb": run.peak_rss_mb, "rc": run.rc, "changed_clusters": changed_hosts,
                            "failed": max(r.failed for r in runs), "loadavg": os.getloadavg()[0], "log": run.log})
        log(f"fleet {n}: median {run.wall_s} s wall of {[r.wall_s for r in runs]}, {changed_hosts} clusters changed")
    return out


def ensure_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log("installing matplotlib into the virtual environment")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib"], check=True)


def fleet_chart(fleet: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = fleet["runs"]
    xs = [r["clusters"] for r in runs]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, [r["wall_s"] for r in runs], "o-", label="wall time (converge)")
    ax.plot(xs, [r["cpu_s"] for r in runs], "s--", label="CPU time (ansible process tree)")
    if all("cpu_floor_s" in r for r in runs):
        ax.plot(xs, [r["cpu_floor_s"] for r in runs], "^:", color="tab:red",
                label="CPU floor (ansible + clusters) / cores")
    single = runs[0]["wall_s"]
    ax.plot(xs, [single * 3 for _ in xs], ":", color="grey", label="target: 3x one cluster")
    ax.plot(xs, [single * x for x in xs], "-.", color="lightgrey", label="N x one cluster (no parallelism)")
    ax.set_ylim(bottom=0, top=max(single * 3, *(r["wall_s"] for r in runs)) * 1.15)
    ax.set_xlabel("clusters (forks = clusters)")
    ax.set_ylabel("seconds")
    ax.set_title("rhdh.ai_connector: fresh converge of N clusters at once")
    ax.set_xticks(xs)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----- targets and report -----
def targets(col: dict[str, Any], ref: dict[str, Any], fleet: dict[str, Any] | None,
            minimum: dict[str, list[tuple[str, int]]],
            minimum_no_verify: dict[str, list[tuple[str, int]]]) -> list[m.Target]:
    """The targets (issues 10 and 17), each a value against its limit, all from this run."""
    audit = col["noop"].requests["audit"]
    noop = audit["playbook"]
    bare = col["noop_no_verify"].requests["audit"]["playbook"]
    rows = m.step_verdicts(audit["steps"], minimum)
    out = [
        m.Target("collection no-op: write requests (audit log, the collection's user agents)", noop["write"], 0),
        m.Target("collection no-op: a GET/LIST sent again within one task (one user agent "
                 "rhdh.ai_connector/<module>)", audit["playbook_repeated_reads"], 0),
        m.Target("collection no-op: steps of the role that sent no request",
                 sum(1 for r in rows if r["verdict"] == "did not run"), 0),
        *[m.Target(f"collection no-op: read-only requests of {r['step']} (its minimum)", r["reads"], r["minimum"])
          for r in rows if r["verdict"] != "did not run"],
        m.Target("collection no-op with verify=false: read-only requests (its steps' minimums)",
                 bare["read"] + bare["query"], m.total_minimum(minimum_no_verify)),
    ]
    if col.get("mitogen_noop"):
        out.append(m.Target("collection no-op under Mitogen: write requests (audit log, the collection's user agents)",
                            col["mitogen_noop"].requests["audit"]["playbook"]["write"], 0))
    out += m.speed_targets(medians(col), medians(ref), medians(col, "mitogen_") if col.get("mitogen_noop") else None)
    if fleet and len(fleet["runs"]) > 1:
        first, last = fleet["runs"][0], fleet["runs"][-1]
        out.append(m.Target(f"{last['clusters']} clusters' converge / one cluster's (wall time)",
                            m.ratio(last["wall_s"], first["wall_s"]), 3.0))
    return out


def medians(side: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Median wall and CPU seconds of one side's fresh converges and no-ops (``prefix`` mitogen_: those
    under Mitogen), as metrics.speed_targets takes them; results of earlier runs kept no CPU lists."""
    def median(key: str, fallback: str) -> float:
        values = side.get(prefix + key)
        if not values:
            run = side[prefix + fallback]
            values = [run.cpu_s if key.endswith("cpus") else run.wall_s]
        return round(statistics.median(values), 2)

    return {"converge_s": median("converge_walls", "converge"), "noop_s": median("noop_walls", "noop"),
            "converge_cpu_s": median("converge_cpus", "converge"), "noop_cpu_s": median("noop_cpus", "noop")}


def _run_row(tool: str, phase: str, run: Run | None) -> str:
    if run is None:
        return f"| {tool} | {phase} | — | — | — | — | — | none: the reference has no uninstall |"
    own = run.requests["audit"]["playbook"]
    met = run.requests["metrics_totals"]
    return (f"| {tool} | {phase} | {run.wall_s} | {run.cpu_s} | {run.peak_rss_mb} | {run.changed} | "
            f"{own['read']} / {own['query']} / {own['write']} | {met['read']} / {met['query']} / {met['write']} |")


def _tasks(n: int) -> str:
    return f"{n} module task{'' if n == 1 else 's'}"


def step_lines(audit: dict[str, Any], minimum: dict[str, list[tuple[str, int]]]) -> list[str]:
    """The per-step table of the no-op (reads seen, minimum, verdict), each step's minimum item by
    item, and what several steps read (each task is its own process)."""
    rows = m.step_verdicts(audit["steps"], minimum)
    lines = [
        "| step (user agent rhdh.ai_connector/…) | read-only requests in the no-op | its minimum | "
        "GET/LIST repeated in the task | writes | verdict |",
        "|---|---|---|---|---|---|",
        *[f"| {r['step']} | {r['reads']} | {r['minimum']} | {r['repeated_reads']} | {r['writes']} | {r['verdict']} |"
          for r in rows],
        f"| all steps | {sum(r['reads'] for r in rows)} | {m.total_minimum(minimum)} | "
        f"{sum(r['repeated_reads'] for r in rows)} | {sum(r['writes'] for r in rows)} | "
        f"{sum(r['over'] for r in rows)} over in all |",
        "",
        f"Each step's minimum ({m.total_minimum(minimum)} in all; "
        f"{m.total_minimum(minimum) - m.total(minimum.get(m.VERIFY_STEP, []))} with verify=false), item by item:",
        "",
    ]
    for step, items in minimum.items():
        lines.append(f"- **{step}** ({m.total(items)})")
        lines += [f"  - {count} × {what}" for what, count in items]
    several = audit.get("read_by_several_steps") or {}
    if several:
        lines += ["", "Read by more than one step (each task is a process of its own and reads what it decides "
                  "on; not a repeat within a task):", "", "| request | steps |", "|---|---|",
                  *[f"| get/list {uri} | {', '.join(steps)} |" for uri, steps in several.items()]]
    return lines


def request_lines(audit: dict[str, Any]) -> list[str]:
    """Every request of the no-op, step by step, with how often it was sent."""
    order = {name: i for i, name in enumerate(m.STEPS)}
    lines = ["| step | request | count |", "|---|---|---|"]
    for step in sorted(audit["steps"], key=lambda s: (order.get(s, len(order)), s)):
        lines += [f"| {step} | {what} | {n} |" for what, n in audit["steps"][step]["requests"].items()]
    return lines


def converge_steps_line(audit: dict[str, Any]) -> list[str]:
    """The fresh converge's requests by step, read-only / write, in one line."""
    order = {name: i for i, name in enumerate(m.STEPS)}
    steps = sorted(audit["steps"].items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    parts = [f"{name} {m.step_reads(step)} / {step['write']}"
             + (f" ({step['repeated_reads']} GET/LIST repeated: rollout or token polls)"
                if step["repeated_reads"] else "")
             for name, step in steps]
    note = (f" ({m.CLIENT_DEFAULT_AGENT}: kubernetes.core's client set-up on a cold discovery cache, before the "
            "module sets its user agent)") if m.CLIENT_DEFAULT_AGENT in audit["steps"] else ""
    return [f"The fresh converge by step, read-only / write requests: {', '.join(parts)}{note}."]


def cpu_lines(col: dict[str, Any], ref: dict[str, Any], fleet: dict[str, Any] | None) -> list[str]:
    """Controller CPU (the ansible-playbook process tree) per cluster, of every measured kind of run."""
    col_m, ref_m = medians(col), medians(ref)
    rows = [("collection", "fresh converge (median)", 1, col_m["converge_cpu_s"]),
            ("collection", "no-op re-run (median)", 1, col_m["noop_cpu_s"]),
            ("collection", "no-op, verify=false", 1, col["noop_no_verify"].cpu_s),
            ("collection", "uninstall", 1, col["uninstall"].cpu_s),
            ("reference", "fresh converge (median)", 1, ref_m["converge_cpu_s"]),
            ("reference", "no-op re-run (median)", 1, ref_m["noop_cpu_s"])]
    if col.get("mitogen_noop"):
        mit = medians(col, "mitogen_")
        rows += [("collection under Mitogen", "fresh converge (median)", 1, mit["converge_cpu_s"]),
                 ("collection under Mitogen", "no-op re-run (median)", 1, mit["noop_cpu_s"])]
    if ref.get("mitogen_noop"):
        rows.append(("reference under Mitogen", "no-op re-run (median)", 1,
                     round(statistics.median(ref["mitogen_noop_cpus"]), 2)))
    if fleet:
        rows += [(fleet["playbook"], "fresh converge (fleet, median run)", r["clusters"], r["cpu_s"])
                 for r in fleet["runs"]]
    return ["| playbook | run | clusters | controller CPU s | CPU s per cluster |", "|---|---|---|---|---|",
            *[f"| {tool} | {run} | {n} | {cpu} | {m.per_cluster(cpu, n)} |" for tool, run, n, cpu in rows]]


def report(results: dict[str, Any], minimum: dict[str, list[tuple[str, int]]], checks: list[m.Target]) -> str:
    col, ref = results["collection"], results["reference"]
    prof = results["profile"]
    audit = col["noop"].requests["audit"]
    mitogen = bool(col.get("mitogen_noop"))
    lines = [
        f"Run of {results['started']} (UTC), {results['host']['cpus']} CPUs, load average at start "
        f"{results['host']['loadavg_start']}, at end {results['host']['loadavg_end']}; other testbed clusters "
        f"running at start: {', '.join(results['host']['other_clusters']) or 'none'}.",
        "",
        "### Collection vs reference (one cluster each, fresh testbed cluster)",
        "",
        "| playbook | run | wall s | CPU s | peak RSS MB | changed | own requests read / query / write "
        "(audit) | all requests read / query / write (metrics delta) |",
        "|---|---|---|---|---|---|---|---|",
        _run_row("collection", "fresh converge", col["converge"]),
        _run_row("collection", "no-op re-run", col["noop"]),
        _run_row("collection", "no-op, verify=false", col["noop_no_verify"]),
        _run_row("collection", "uninstall", col["uninstall"]),
        *([_run_row("collection under Mitogen", "no-op re-run", col["mitogen_noop"])] if mitogen else []),
        _run_row("reference", "fresh converge", ref["converge"]),
        _run_row("reference", "no-op re-run", ref["noop"]),
        *([_run_row("reference under Mitogen", "no-op re-run", ref["mitogen_noop"])] if ref.get("mitogen_noop")
          else []),
        _run_row("reference", "uninstall", None),
        "",
        f"Idle baseline ({col['idle']['seconds']} s, no playbook running): metrics read / query / write "
        f"{_triple(col['idle']['metrics_totals'])} on the collection's cluster, "
        f"{_triple(ref['idle']['metrics_totals'])} on the reference's. The metrics count every client "
        "(controllers, the RHDH operator, the benchmark's own /metrics reads); the audit column counts "
        "only the playbook's user agents.",
        "",
        f"No-op wall times, each of {len(col['noop_walls'])} runs in the order run, the collection's and the "
        f"reference's taking turns (the median counts): collection {col['noop_walls']}, reference "
        f"{ref['noop_walls']}"
        + (f"; under Mitogen, collection {col['mitogen_noop_walls']}, reference {ref['mitogen_noop_walls']}"
           if mitogen else "") + ". "
        f"Fresh converge wall times, each on a fresh cluster of its own (the first is the row above; the "
        f"median counts): collection {col['converge_walls']}, reference {ref['converge_walls']}"
        + (f", collection under Mitogen {col['mitogen_converge_walls']}" if mitogen else "") + ".",
        "",
        *_mitogen_lines(col, ref),
        "",
        f"Both playbooks left the same objects: {results['same_state']}.",
        "",
        "### Targets",
        "",
        *[f"- {t.line()}" for t in checks],
        "",
        "### Reads of each step in the no-op (audit log, one user agent per module task)",
        "",
        *step_lines(audit, minimum),
        "",
        *converge_steps_line(col["converge"].requests["audit"]),
        "",
        "### Controller CPU per cluster",
        "",
        *cpu_lines(col, ref, results.get("fleet")),
        "",
        "The whole ansible-playbook process tree (controller, workers, module processes), user + system; a "
        "fleet run's divided by its clusters.",
        "",
        "### Where the no-op's time goes",
        "",
        *_module_cost_lines(prof.get("module_cost")),
        f"Profiled no-op: {_tasks(prof['module_tasks'])} took "
        f"{prof['module_tasks_s']} s, all other tasks {prof['other_tasks_s']} s, "
        f"of {prof['wall_s']} s wall.",
        f"ansible-playbook with one debug task: {prof['ansible_empty_wall_s']} s wall, "
        f"{prof['ansible_empty_cpu_s']} s CPU; one module task (k8s_info, one GET): "
        f"{prof['module_task_wall_s']} s wall, {prof['module_task_cpu_s']} s CPU.",
        f"Floor (bench/floor.py: one process, the guide's {prof['floor']['requests']} reads, presence "
        f"only): {prof['floor']['seconds']} s, everything found: {prof['floor']['all_found']}.",
        "",
        f"Profiled reference no-op: {_tasks(ref['profile']['module_tasks'])} took "
        f"{ref['profile']['module_tasks_s']} s, all other tasks {ref['profile']['other_tasks_s']} s, "
        f"of {ref['profile']['wall_s']} s wall.",
        "",
        "| collection no-op task | s |",
        "|---|---|",
        *[f"| {_cell(t)} | {s} |" for t, s in prof["tasks"][:12]],
        "",
        "| reference no-op task | s |",
        "|---|---|",
        *[f"| {_cell(t)} | {s} |" for t, s in ref["profile"]["tasks"][:8]],
        "",
        "### The collection's no-op, request by request and step by step (audit log)",
        "",
        *request_lines(audit),
    ]
    if results.get("fleet"):
        lines += _fleet_lines(results["fleet"])
    elif results.get("fleet_error"):
        lines += ["", "### Fleet scaling", "", f"Failed: {results['fleet_error']}"]
    return "\n".join(lines) + "\n"


def _mitogen_lines(col: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """Wall and CPU under Mitogen against the same playbooks run plainly, in one sentence."""
    if not col.get("mitogen_noop"):
        return []
    plain, mit = medians(col), medians(col, "mitogen_")
    ref_plain = medians(ref)
    text = (f"Under Mitogen (strategy mitogen_linear, the same playbook): the collection's no-op "
            f"{plain['noop_s']} → {mit['noop_s']} s wall ({m.ratio(mit['noop_s'], plain['noop_s'])} of its time run "
            f"plainly), {plain['noop_cpu_s']} → {mit['noop_cpu_s']} s CPU; its fresh converge {plain['converge_s']} → "
            f"{mit['converge_s']} s wall, {plain['converge_cpu_s']} → {mit['converge_cpu_s']} s CPU")
    if ref.get("mitogen_noop_walls"):
        ref_mit = round(statistics.median(ref["mitogen_noop_walls"]), 2)
        text += (f"; the reference's no-op {ref_plain['noop_s']} → {ref_mit} s wall "
                 f"(collection / reference, both under Mitogen: {m.ratio(mit['noop_s'], ref_mit)})")
    return [text + ".", ""]


def _module_cost_lines(cost: dict[str, Any] | None) -> list[str]:
    """One module process of each step, phase by phase, against one k8s_info task (bench/module_cost.py)."""
    if not cost:
        return []
    side = next(iter(cost["pythons"].values()))
    return [f"One module process of each step, run by hand from the payload ansible-playbook ran (a no-op: it "
            f"only reads), and one k8s_info task (one GET), medians of {cost['repeat']} "
            f"(bench/module_cost.py, kubernetes {side['kubernetes']}, load average {cost['loadavg'][0]} → "
            f"{cost['loadavg'][1]}). Python alone starts in {side['python_start_s']} s; `import kubernetes.dynamic` "
            f"takes {side['import_client_s']} s in a new process.", "",
            *module_cost.table(cost), ""]


def _cell(task: str) -> str:
    """A task's name (without its role prefix) as a Markdown table cell: the role's task names hold
    ' | ' between the step and what it does."""
    return task.split(" : ", 1)[-1].replace("|", "\\|")


def _triple(totals: dict[str, int]) -> str:
    return f"{totals['read']} / {totals['query']} / {totals['write']}"


def _fleet_lines(fleet: dict[str, Any]) -> list[str]:
    return [
        "",
        f"### Fleet scaling ({fleet['playbook']}, forks = clusters; chart: fleet.png in the results folder)",
        "",
        f"Cluster memory: {fleet['cluster_rss_mb']} MB each (control plane, kwok, RHDH operator); "
        f"{fleet['mem_available_gb']} GB available: {fleet['max_clusters']} clusters fit. "
        f"Each size converged {fleet.get('repeat', 1)} times from scratch (reset with "
        f"{fleet['reset'].split(' over')[0]} in between); the run of median wall time is shown.",
        "",
        "| clusters | wall s (median) | all runs' wall s | CPU s | wall s per cluster | CPU s per cluster "
        "| clusters' own CPU s | CPU floor s | peak RSS MB | clusters changed | failed |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *[f"| {r['clusters']} | {r['wall_s']} | {', '.join(str(w) for w in r.get('walls', [r['wall_s']]))} | "
          f"{r['cpu_s']} | {r['wall_per_cluster_s']} | {r['cpu_per_cluster_s']} | {r.get('clusters_cpu_s', '—')} | "
          f"{r.get('cpu_floor_s', '—')} | {r['peak_rss_mb']} | {r['changed_clusters']} | {r['failed']} |"
          for r in fleet["runs"]],
        "",
        "CPU s: the ansible process tree (controller, workers, modules). Clusters' own CPU: every process of "
        "the running testbed clusters (API servers, etcd, controllers, kwok, RHDH operators) in the same "
        "interval; they run on the same cores. CPU floor: both together divided by the cores, the shortest "
        "wall time any schedule could reach on this machine.",
    ]


def update_doc(text: str, outdir: Path) -> None:
    if not DOC.exists():
        return
    doc = DOC.read_text(encoding="utf-8")
    if DOC_BEGIN not in doc or DOC_END not in doc:
        return
    head, rest = doc.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    block = f"{DOC_BEGIN}\n<!-- written by bench/run from bench/results/{outdir.name}/ -->\n{text}{DOC_END}"
    DOC.write_text(head + block + tail, encoding="utf-8")


def to_json(obj: Any) -> Any:
    if isinstance(obj, Run):
        return {**asdict(obj), "cpu_s": obj.cpu_s, "changed": obj.changed}
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    return obj


# ----- main -----
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-fleet", action="store_true", help="skip fleet scaling")
    parser.add_argument("--no-mitogen", action="store_true",
                        help="skip the collection's runs under Mitogen (strategy mitogen_linear)")
    parser.add_argument("--max-clusters", type=int, default=10, help="largest fleet (default: 10, if it fits)")
    parser.add_argument("--fleet-playbook", choices=("auto", "fleet", "install"), default="auto",
                        help="playbooks/fleet.yml or install.yml (default: fleet.yml if committed)")
    parser.add_argument("--repeat", type=int, default=3, help="no-op runs per playbook (the median counts)")
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS, help="seconds of the idle baseline")
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the clusters bn-col and bn-ref")
    parser.add_argument("--rerender", metavar="RESULTS_DIR", type=Path,
                        help="measure nothing: write results.md (and the doc's figures, unless --no-doc) again "
                             "from RESULTS_DIR/results.json with this checkout's report and targets")
    return parser.parse_args()


def from_json(results: dict[str, Any]) -> dict[str, Any]:
    """results.json as finish() had it: each playbook run a Run again."""
    names = {f.name for f in Run.__dataclass_fields__.values()}
    for side in ("collection", "reference"):
        for key, value in results[side].items():
            if isinstance(value, dict) and "wall_s" in value and "recap" in value:
                results[side][key] = Run(**{k: v for k, v in value.items() if k in names})
    return results


def rerender(outdir: Path, no_doc: bool) -> int:
    """The report of an earlier run again, from its results.json (the figures are not measured again)."""
    results = from_json(json.loads((outdir / "results.json").read_text(encoding="utf-8")))
    return finish(results, outdir, no_doc, keep_load=True)


def main() -> int:
    args = parse_args()
    if args.rerender:
        return rerender(args.rerender.resolve(), args.no_doc)
    if shutil.which("ansible-playbook") is None:
        sys.exit("bench: ansible-playbook not found: run bench/run (or . scripts/env.sh first)")
    ensure_matplotlib()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    outdir = ROOT / "bench" / "results" / stamp
    logdir = outdir / "logs"
    logdir.mkdir(parents=True)
    results: dict[str, Any] = {
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "host": {"cpus": os.cpu_count(), "loadavg_start": round(os.getloadavg()[0], 2),
                 "other_clusters": [c for c in Cluster.list() if not c.startswith("bn-")]},
    }
    log(f"results in {outdir}")
    results["collection"], results["reference"] = bench_comparison(logdir, args.idle, args.keep, args.repeat,
                                                                   not args.no_mitogen)
    states = {"collection": results["collection"].pop("state"), "reference": results["reference"].pop("state")}
    (outdir / "states.json").write_text(json.dumps(states, indent=2, sort_keys=True), encoding="utf-8")
    differ = [k for k in states["collection"] if states["collection"][k] != states["reference"].get(k)]
    results["same_state"] = ("yes (Backstage CR, both ConfigMaps, RBAC, Deployment containers)" if not differ
                             else f"NO, they differ in {', '.join(differ)} (see states.json)")
    results["profile"] = results["collection"].pop("profile")
    cluster_rss = results["collection"]["cluster_rss_bytes"]
    finish(results, outdir, args.no_doc, quiet=True)  # the comparison is kept even if the fleet part fails
    if not args.no_fleet:
        available = mem_available()
        fit = m.fit_clusters(available, int(cluster_rss * 1.2), cap=args.max_clusters)
        try:
            results["fleet"] = bench_fleet(m.fleet_sizes(fit), logdir, args.fleet_playbook)
        except Exception as exc:  # noqa: BLE001 - reported, and the comparison above still written
            results["fleet_error"] = f"{type(exc).__name__}: {exc}"
            log(f"fleet part failed: {results['fleet_error']}")
        else:
            results["fleet"].update({"cluster_rss_mb": round(cluster_rss / 2**20), "max_clusters": fit,
                                     "mem_available_gb": round(available / 2**30, 1)})
            fleet_chart(results["fleet"], outdir / "fleet.png")
    return finish(results, outdir, args.no_doc)


def finish(results: dict[str, Any], outdir: Path, no_doc: bool, quiet: bool = False, keep_load: bool = False) -> int:
    """Targets, results.json, results.md and the doc's figures; print the verdicts."""
    if not keep_load:
        results["host"]["loadavg_end"] = round(os.getloadavg()[0], 2)
    minimum = m.step_minimum(REGISTRIES, ACCESS_REVIEWS, USER_APP_CONFIGS)
    checks = targets(results["collection"], results["reference"], results.get("fleet"), minimum,
                     m.step_minimum(REGISTRIES, ACCESS_REVIEWS, USER_APP_CONFIGS, verify=False))
    results["targets"] = [{"name": t.name, "value": t.value, "limit": t.limit, "passed": t.passed} for t in checks]
    results["steps"] = m.step_verdicts(results["collection"]["noop"].requests["audit"]["steps"], minimum)
    results["step_minimum"] = minimum
    (outdir / "results.json").write_text(json.dumps(to_json(results), indent=2), encoding="utf-8")
    text = report(results, minimum, checks)
    (outdir / "results.md").write_text(text, encoding="utf-8")
    if not no_doc:
        update_doc(text, outdir)
    if not quiet:
        print(text)
        for t in checks:
            print(t.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
