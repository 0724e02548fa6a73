"""The molecule scenarios (molecule/<name>): each runs create, prepare, converge, idempotence,
verify, cleanup and destroy against a testbed cluster of its own (named mol-<name>).

A failing scenario fails with the tail of molecule's output. The cluster is deleted at the end
whatever happened (molecule's destroy, then `testbed down` here in case molecule died first).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

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
    "disable-enable",
    "adoption",
    "least-privilege",
    "faults",
]
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


@pytest.mark.cluster
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str, capsys: pytest.CaptureFixture[str]) -> None:
    env = _env()
    try:
        proc = subprocess.run(
            [str(VENV_BIN / "molecule"), "test", "-s", scenario],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=TIMEOUT, check=False,
        )
    finally:
        subprocess.run(
            [_python(), "-m", "testbed", "-q", "down", f"mol-{scenario}"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )
    output = proc.stdout
    timings = _step_seconds(output)
    _report(scenario, timings, capsys)
    assert proc.returncode == 0, f"molecule test -s {scenario} failed (exit {proc.returncode}):\n{_tail(output)}"
    expected = {"converge", "verify"} | (set() if scenario in NO_IDEMPOTENCE else {"idempotence"})
    assert expected <= set(timings), (
        f"molecule test -s {scenario} did not run {sorted(expected - set(timings))}:\n{_tail(output)}"
    )
