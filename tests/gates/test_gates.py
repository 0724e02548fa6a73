"""The quality gates, run from pytest so that the README's test command (and CI) runs them.

Each test runs one script of this folder and fails with the script's output when the script fails.
Runtimes measured on the 2-core development machine are in docs/development.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def run_gate(cmd: list[str], timeout: int) -> str:
    """Run one gate; fail with its output (the last 12,000 characters) unless it exits 0."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PY_COLORS="0", NO_COLOR="1")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as err:
        out = err.stdout if isinstance(err.stdout, str) else (err.stdout or b"").decode(errors="replace")
        pytest.fail(f"{' '.join(cmd)} did not finish in {timeout} s:\n{out[-12000:]}", pytrace=False)
    took = time.monotonic() - start
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} failed (exit {proc.returncode}, {took:.0f} s):\n{proc.stdout[-12000:]}", pytrace=False
        )
    return proc.stdout


def test_ansible_lint_production_profile() -> None:
    out = run_gate([str(HERE / "ansible_lint.sh")], timeout=900)
    assert "Passed" in out and "production" in out, out[-2000:]


@pytest.mark.parametrize("series", ["2.19", "2.16"])
def test_ansible_test_sanity_without_ignores(series: str) -> None:
    # The first run per series creates its venv (~/.cache/rhdh-ai-connector/venv-core*, minutes) and
    # ansible-test's per-test venvs (from PyPI); later runs reuse them.
    out = run_gate([str(HERE / "sanity.sh"), series], timeout=1800)
    assert "Running sanity test" in out, out[-2000:]
    assert "ERROR:" not in out, out[-4000:]


def test_build_install_and_docs_from_the_artifact() -> None:
    out = run_gate([sys.executable, str(HERE / "installed.py")], timeout=900)
    assert "ansible-doc rendered" in out, out


def test_execution_environment_build_context() -> None:
    out = run_gate([sys.executable, str(HERE / "execution_environment.py")], timeout=900)
    assert "from collection rhdh.ai_connector" in out, out
