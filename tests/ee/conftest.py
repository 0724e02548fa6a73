"""The execution environment the EE tests run: built (or reused) once per session by the suite's own
script, as on a fresh machine."""

from __future__ import annotations

import fcntl
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def image() -> tuple[str, float]:
    """The image's tag, and the seconds ``scripts/ee build`` took (about 1 s when it is reused)."""
    started = time.monotonic()
    lock = ROOT / ".cache" / "ee-build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    # Test files run two at a time (scripts/test): the second one to need the image waits for the first build.
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.run([str(ROOT / "scripts" / "ee"), "build"], capture_output=True, text=True, timeout=1800)
    took = time.monotonic() - started
    assert proc.returncode == 0, f"scripts/ee build failed:\n{proc.stdout}\n{proc.stderr[-6000:]}"
    print(f"\nscripts/ee build: {took:.0f} s\n{proc.stderr.strip()}")
    return proc.stdout.strip().splitlines()[-1], took
