#!/usr/bin/env python3
"""What one module task costs, phase by phase, for each of the role's modules and for one
``kubernetes.core.k8s_info`` task (one GET), against a converged cluster.

The AnsiballZ payloads are the ones ansible-playbook runs: the role's no-op and bench/profile/k8s_info.yml
are run once with ANSIBLE_KEEP_REMOTE_FILES=1, and each kept ``AnsiballZ_<module>.py`` (its arguments
inside) is then run again by hand, each a no-op that only reads:

- plainly, for its wall time (from the spawn to the process reaped);
- under a driver that runs the same file (runpy) and marks, with an audit hook and wrappers installed
  as the modules are imported: the driver's start (Python's start before it), the import of the
  AnsiballZ loader (the wrapper's work before it), AnsibleModule's constructor (argument spec),
  kubernetes.core's ``get_api_client`` (client and discovery cache), the time spent in urllib3's
  ``urlopen`` (the requests), and ``exit_json``/``fail_json`` (the exit after it);
- with ``python -X importtime``: each import's own time, grouped by who pulled it in (metrics.import_breakdown).

On the controller, the payload of each module is built once per ansible-playbook run (its zip cached
for the run's later tasks of the same module): ``build_s`` is that build, in a process of its own.

    python bench/module_cost.py KUBECONFIG              # JSON and a Markdown table on stdout
    python bench/module_cost.py KUBECONFIG --python /path/to/other/python   # the same payloads under a
                                                        # second interpreter too, interleaved (another client)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import metrics as m  # noqa: E402

REFERENCE_MODULE = "k8s_info"
MODULES = (REFERENCE_MODULE, *m.STEPS)

# Runs an AnsiballZ file as the interpreter would (runpy, __main__), marking when each phase begins.
# Written to a file and run as `python driver.py MARKS_FILE PAYLOAD`.
DRIVER = r'''
import time
_T = {"start": time.monotonic()}
import atexit, importlib.abc, json, os, sys


def _mark(key):
    _T.setdefault(key, time.monotonic())


def _audit(event, args):
    if event == "import" and args[0] == "ansible.module_utils._internal._ansiballz._loader":
        _mark("loader")


def _wrap_first(owner, attr, before, after):
    original = getattr(owner, attr)

    def wrapper(*args, **kwargs):
        _mark(before)
        try:
            return original(*args, **kwargs)
        finally:
            if after:
                _mark(after)
    setattr(owner, attr, wrapper)


_HTTP = {"s": 0.0, "n": 0, "depth": 0}


def _patch_urllib3(module):
    original = module.HTTPConnectionPool.urlopen

    def urlopen(self, *args, **kwargs):
        _HTTP["depth"] += 1
        t0 = time.monotonic()
        try:
            return original(self, *args, **kwargs)
        finally:
            _HTTP["depth"] -= 1
            if not _HTTP["depth"]:
                _HTTP["s"] += time.monotonic() - t0
                _HTTP["n"] += 1
    module.HTTPConnectionPool.urlopen = urlopen


def _patch_basic(module):
    _wrap_first(module.AnsibleModule, "__init__", "init0", "init1")
    _wrap_first(module.AnsibleModule, "exit_json", "exit0", None)
    _wrap_first(module.AnsibleModule, "fail_json", "exit0", None)


def _patch_client(module):
    _wrap_first(module, "get_api_client", "client0", "client1")


_PATCHES = {
    "ansible.module_utils.basic": _patch_basic,
    "ansible_collections.kubernetes.core.plugins.module_utils.k8s.client": _patch_client,
    "urllib3.connectionpool": _patch_urllib3,
}


class _Loader:
    def __init__(self, loader, patch):
        self._loader, self._patch = loader, patch

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        patch = _PATCHES.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                spec.loader = _Loader(spec.loader, patch)
                return spec
        return None


@atexit.register
def _write():
    marks = dict(_T)
    marks["http_s"], marks["http_n"] = _HTTP["s"], _HTTP["n"]
    with open(_MARKS, "w") as out:
        json.dump(marks, out)


_MARKS, _PAYLOAD = sys.argv[1], sys.argv[2]
sys.argv = [_PAYLOAD]
sys.addaudithook(_audit)
sys.meta_path.insert(0, _Finder())
import runpy
runpy.run_path(_PAYLOAD, run_name="__main__")
'''


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} module_cost: {msg}", file=sys.stderr, flush=True)


# ----- the payloads -----
def capture_payloads(kubeconfig: Path, workdir: Path) -> dict[str, Path]:
    """Run the role's no-op and one k8s_info task with the remote files kept: module name -> its payload."""
    remote = workdir / "remote"
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=str(remote),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_DEPRECATION_WARNINGS="false")
    runs = [["playbooks/install.yml", "-e", f"rhoai_connector_kubeconfig={kubeconfig}"],
            ["bench/profile/k8s_info.yml", "-e", f"kc={kubeconfig}"]]
    for args in runs:
        proc = subprocess.run(["ansible-playbook", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            raise SystemExit(f"ansible-playbook {args[0]} failed:\n{proc.stdout[-3000:]}")
    found: dict[str, Path] = {}
    for path in sorted(remote.rglob("AnsiballZ_*.py")):
        found.setdefault(path.stem[len("AnsiballZ_"):], path)
    missing = [name for name in MODULES if name not in found]
    if missing:
        raise SystemExit(f"no payload kept for {', '.join(missing)} (in {remote})")
    return {name: found[name] for name in MODULES}


def build_seconds(modules: list[str], repeat: int = 3) -> dict[str, float]:
    """Seconds the controller takes to build each module's payload (its first task in a run), in a new
    process with an empty payload cache (median of ``repeat``)."""
    code = r'''
import json, statistics, sys, tempfile, time
from ansible import constants as C
from ansible.executor import module_common
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, module_loader
from ansible.template import Templar
init_plugin_loader()
templar, out = Templar(loader=DataLoader()), {}
for name, fqcn in json.loads(sys.argv[1]).items():
    found, times = module_loader.find_plugin_with_context(fqcn), []
    for _ in range(int(sys.argv[2])):
        C.DEFAULT_LOCAL_TMP = tempfile.mkdtemp()
        t0 = time.monotonic()
        module_common.modify_module(module_name=found.plugin_resolved_name, module_path=found.plugin_resolved_path,
                                    module_args={}, templar=templar,
                                    task_vars={"ansible_python_interpreter": sys.executable})
        times.append(time.monotonic() - t0)
    out[name] = round(statistics.median(times), 3)
print(json.dumps(out))
'''
    fqcns = {name: ("kubernetes.core." if name == REFERENCE_MODULE else "rhdh.ai_connector.") + name for name in modules}
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(fqcns), str(repeat)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----- running one payload -----
def _env() -> dict[str, str]:
    return dict(os.environ)


def run_plain(python: str, payload: Path) -> float:
    t0 = time.monotonic()
    proc = subprocess.run([python, str(payload)], capture_output=True, text=True, check=False, env=_env(),
                          cwd=payload.parent)
    wall = time.monotonic() - t0
    _check(proc, payload)
    return wall


def run_marked(python: str, payload: Path, driver: Path) -> dict[str, float]:
    """Marks of one run under the driver, in seconds since the spawn."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        marks_file = Path(handle.name)
    try:
        spawned = time.monotonic()
        proc = subprocess.run([python, str(driver), str(marks_file), str(payload)], capture_output=True, text=True,
                              check=False, env=_env(), cwd=payload.parent)
        ended = time.monotonic()
        _check(proc, payload)
        raw = json.loads(marks_file.read_text())
    finally:
        marks_file.unlink(missing_ok=True)
    marks = {k: v - spawned for k, v in raw.items() if k not in ("http_s", "http_n")}
    marks.update(end=ended - spawned, http_s=raw["http_s"], http_n=raw["http_n"])
    return marks


def run_importtime(python: str, payload: Path) -> str:
    proc = subprocess.run([python, "-X", "importtime", str(payload)], capture_output=True, text=True, check=False,
                          env=_env(), cwd=payload.parent)
    _check(proc, payload)
    return proc.stderr


def _check(proc: subprocess.CompletedProcess[str], payload: Path) -> None:
    try:
        result = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise SystemExit(f"{payload.name}: no result (rc {proc.returncode}): {proc.stderr[-2000:]}") from None
    if result.get("failed") or result.get("changed"):
        raise SystemExit(f"{payload.name} is not a no-op here: {json.dumps(result)[:2000]}")


def python_seconds(python: str, code: str) -> float:
    t0 = time.monotonic()
    subprocess.run([python, "-c", code], check=True, capture_output=True, env=_env(), cwd="/")
    return time.monotonic() - t0


# ----- the measurement -----
def measure(kubeconfig: Path, workdir: Path, repeat: int = 5, pythons: dict[str, str] | None = None,
            payloads: dict[str, Path] | None = None) -> dict[str, Any]:
    """Every module's phases (medians of ``repeat``), imports by group and payload build, per interpreter
    (``pythons``: label -> interpreter; the first is the playbook's). Runs are interleaved, module by
    module and interpreter by interpreter, so that a change of load touches all alike."""
    pythons = pythons or {"playbook's python": sys.executable}
    workdir.mkdir(parents=True, exist_ok=True)
    driver = workdir / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    payloads = payloads or capture_payloads(kubeconfig, workdir)
    load = [round(os.getloadavg()[0], 2)]
    walls: dict[str, dict[str, list[float]]] = {p: {n: [] for n in payloads} for p in pythons}
    marks: dict[str, dict[str, list[dict[str, float]]]] = {p: {n: [] for n in payloads} for p in pythons}
    bare: dict[str, dict[str, list[float]]] = {p: {"python_start_s": [], "import_client_s": []} for p in pythons}
    for i in range(repeat):
        for label, python in pythons.items():
            bare[label]["python_start_s"].append(python_seconds(python, "pass"))
            bare[label]["import_client_s"].append(python_seconds(python, "import kubernetes.dynamic"))
            for name, payload in payloads.items():
                walls[label][name].append(run_plain(python, payload))
                marks[label][name].append(run_marked(python, payload, driver))
        log(f"round {i + 1}/{repeat} done, load {os.getloadavg()[0]:.2f}")
    load.append(round(os.getloadavg()[0], 2))
    out: dict[str, Any] = {"repeat": repeat, "loadavg": load, "pythons": {}}
    for label, python in pythons.items():
        version = subprocess.run([python, "-c", "import kubernetes; print(kubernetes.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        modules = {}
        for name, payload in payloads.items():
            phases = [m.module_phases(one) for one in marks[label][name]]
            text = run_importtime(python, payload)
            modules[name] = {
                "wall_s": round(statistics.median(walls[label][name]), 3),
                "walls": [round(w, 3) for w in walls[label][name]],
                "phases": {key: round(statistics.median(p[key] for p in phases), 3)
                           for key in phases[0] if all(key in p for p in phases)},
                "requests": marks[label][name][0]["http_n"],
                "imports": m.import_breakdown(text),
                "import_packages": m.import_packages(text),
                "payload_kb": round(payload.stat().st_size / 1024),
            }
        out["pythons"][label] = {
            "python": python, "kubernetes": version,
            **{k: round(statistics.median(v), 3) for k, v in bare[label].items()},
            **{k + "_all": [round(x, 3) for x in v] for k, v in bare[label].items()},
            "modules": modules,
        }
    out["build_s"] = build_seconds(list(payloads))
    return out


# ----- the report -----
def table(result: dict[str, Any], label: str | None = None) -> list[str]:
    """Markdown: each phase of each module's process (median seconds), its imports by group, and the
    controller's payload build."""
    label = label or next(iter(result["pythons"]))
    side = result["pythons"][label]
    modules = side["modules"]
    names = list(modules)
    head = "| phase (median s) | " + " | ".join(f"`{n}`" for n in names) + " |"
    lines = [head, "|---|" + "---|" * len(names)]
    for key, title, _, _ in m.PHASES:
        if key == "work":
            lines.append("| requests (time in urllib3) | " + " | ".join(
                _cell(modules[n]["phases"].get("requests")) + f" ({modules[n]['requests']})" for n in names) + " |")
            lines.append("| the step's own work between them | " + " | ".join(
                _cell(modules[n]["phases"].get("step")) for n in names) + " |")
            continue
        lines.append(f"| {title} | " + " | ".join(_cell(modules[n]["phases"].get(key)) for n in names) + " |")
    lines.append("| **whole process (under the driver)** | " + " | ".join(
        f"**{_cell(modules[n]['phases'].get('total'))}**" for n in names) + " |")
    lines.append("| whole process, run plainly | " + " | ".join(_cell(modules[n]["wall_s"]) for n in names) + " |")
    groups: list[str] = []
    for n in names:
        groups += [g for g in modules[n]["imports"] if g not in groups]
    lines += ["", "| imports by who pulled them in (s, -X importtime) | " + " | ".join(f"`{n}`" for n in names) + " |",
              "|---|" + "---|" * len(names)]
    for group in groups:
        lines.append(f"| {group} | " + " | ".join(_cell(modules[n]["imports"].get(group, 0.0)) for n in names) + " |")
    lines.append("| **all imports** | " + " | ".join(
        f"**{_cell(sum(modules[n]['imports'].values()))}**" for n in names) + " |")
    lines.append("| controller: building the payload (first task of the module in a run) | " + " | ".join(
        _cell(result["build_s"].get(n)) for n in names) + " |")
    lines.append("| payload size, KB | " + " | ".join(str(modules[n]["payload_kb"]) for n in names) + " |")
    return lines


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kubeconfig", type=Path, help="a cluster the role has converged (a no-op runs)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python", action="append", default=[], help="another interpreter (its own client)")
    parser.add_argument("--workdir", type=Path, help="where the payloads are kept (default: a temporary folder)")
    args = parser.parse_args()
    if shutil.which("ansible-playbook") is None:
        sys.exit("module_cost: ansible-playbook not found: . scripts/env.sh first")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="module-cost-"))
    pythons = {"playbook's python": sys.executable, **{p: p for p in args.python}}
    result = measure(args.kubeconfig.resolve(), workdir, args.repeat, pythons)
    print(json.dumps(result, indent=2))
    for label, side in result["pythons"].items():
        print(f"\n{label} (kubernetes {side['kubernetes']}): Python's start {side['python_start_s']} s, "
              f"import kubernetes.dynamic {side['import_client_s']} s\n")
        print("\n".join(table(result, label)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
