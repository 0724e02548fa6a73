"""The molecule scenarios (molecule/<name>): each runs create, prepare, converge, idempotence,
verify, cleanup and destroy against a testbed cluster of its own (named mol-<name>).

A failing scenario fails with the tail of molecule's output. The cluster is deleted at the end
whatever happened (molecule's destroy, then `testbed down` here in case molecule died first).

The selected scenarios run MOLECULE_JOBS at a time (default 2; 1 runs them one by one): each has its
own cluster and molecule directory, and much of a scenario is waiting (rollouts, the operator's
reconcile, the token controller), so two share the 2-core machine well. Each test waits for its own
scenario and reports it, in the order above.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import collection_path  # noqa: E402

ROOT = collection_path.ROOT
VENV_BIN = ROOT / ".venv" / "bin"
SCENARIOS = [
    "operator-18",
    "helm",
    "uninstall",
    "preview",
    "refusals",
    "operator-110",
    "odh",
    "upgrade",
    "upgrade-to-2",
    "disable-enable",
    "adoption",
    "least-privilege",
    "faults",
]
# The longest first, so that the last pair does not leave one job running alone for long.
LONGEST_FIRST = ("faults", "adoption", "least-privilege", "upgrade-to-2", "upgrade", "uninstall", "disable-enable", "refusals")
# Their converges change the cluster on purpose (each case checks itself): no idempotence step.
NO_IDEMPOTENCE = frozenset({"refusals"})
TIMEOUT = 1500
TAIL_LINES = 80
TIMINGS = ROOT / "tests" / "output" / "molecule-timings.json"


def _env() -> dict[str, str]:
    """What scripts/env.sh sets: the venv first on PATH and this checkout as the collection."""
    collection_path.ensure()
    env = dict(os.environ)
    env.update({
        "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
        "ANSIBLE_COLLECTIONS_PATH": str(collection_path.COLLECTIONS),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "false",
        "PY_COLORS": "0",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{env['PYTHONPATH']}" if env.get("PYTHONPATH") else str(ROOT),
    })
    env.pop("KUBECONFIG", None)
    env.pop("K8S_AUTH_KUBECONFIG", None)
    return env


def _python() -> str:
    candidate = VENV_BIN / "python"
    return str(candidate) if candidate.exists() else sys.executable


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _step_seconds(output: str) -> dict[str, list[int]]:
    """Seconds per molecule step, from the timer callback's line after each step's playbook."""
    seconds: dict[str, list[int]] = {}
    step = None
    for line in output.splitlines():
        started = re.search(r"\[[\w.-]+ > (\w+)\] Executing", line)
        if started:
            step = started.group(1)
        took = re.search(r"Playbook run took (\d+) days, (\d+) hours, (\d+) minutes, (\d+) seconds", line)
        if took and step:
            d, h, m, s = (int(g) for g in took.groups())
            seconds.setdefault(step, []).append(((d * 24 + h) * 60 + m) * 60 + s)
    return seconds


def _report(scenario: str, timings: dict[str, list[int]], capsys: pytest.CaptureFixture[str]) -> None:
    """Print the seconds per step in the test log, and keep them in tests/output/molecule-timings.json."""
    line = ", ".join(f"{step} {'+'.join(map(str, secs))}" for step, secs in timings.items())
    with capsys.disabled():
        sys.stdout.write(f"\nmolecule {scenario}: seconds per step: {line}\n")
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    recorded = json.loads(TIMINGS.read_text(encoding="utf-8")) if TIMINGS.exists() else {}
    recorded[scenario] = timings
    TIMINGS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _run_scenario(scenario: str) -> subprocess.CompletedProcess[str]:
    """``molecule test -s scenario``; its cluster is deleted afterwards whatever happened."""
    env = _env()
    try:
        return subprocess.run(
            [str(VENV_BIN / "molecule"), "test", "-s", scenario],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired as err:
        out = err.stdout if isinstance(err.stdout, str) else (err.stdout or b"").decode(errors="replace")
        return subprocess.CompletedProcess(err.cmd, -1, stdout=f"{out}\ntimed out after {TIMEOUT} s")
    finally:
        subprocess.run(
            [_python(), "-m", "testbed", "-q", "down", f"mol-{scenario}"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )


@pytest.fixture(scope="module")
def molecule_runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """The selected scenarios, started MOLECULE_JOBS at a time, longest first."""
    selected = [item.callspec.params["scenario"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_molecule_scenario" and hasattr(item, "callspec")]
    order = sorted(selected, key=lambda s: LONGEST_FIRST.index(s) if s in LONGEST_FIRST else len(LONGEST_FIRST))
    jobs = max(1, int(os.environ.get("MOLECULE_JOBS", "2") or 2))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield {scenario: pool.submit(_run_scenario, scenario) for scenario in order}


@pytest.mark.cluster
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str, molecule_runs: dict[str, Future[subprocess.CompletedProcess[str]]],
                           capsys: pytest.CaptureFixture[str]) -> None:
    proc = molecule_runs[scenario].result()
    output = proc.stdout
    timings = _step_seconds(output)
    _report(scenario, timings, capsys)
    assert proc.returncode == 0, f"molecule test -s {scenario} failed (exit {proc.returncode}):\n{_tail(output)}"
    expected = {"converge", "verify"} | (set() if scenario in NO_IDEMPOTENCE else {"idempotence"})
    assert expected <= set(timings), (
        f"molecule test -s {scenario} did not run {sorted(expected - set(timings))}:\n{_tail(output)}"
    )
