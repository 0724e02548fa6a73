"""The execution environment the EE tests run: built (or reused) once per session by the suite's own
script, as on a fresh machine."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def image() -> tuple[str, float]:
    """The image's tag, and the seconds ``scripts/ee build`` took (about 1 s when it is reused)."""
    started = time.monotonic()
    # One build at a time on the machine (scripts/ee takes a lock): the second test file to need the image, or the tests while
    # scripts/test builds it beside them, wait for the build and then find the image up to date.
    proc = subprocess.run([str(ROOT / "scripts" / "ee"), "build"], capture_output=True, text=True, timeout=1800)
    took = time.monotonic() - started
    assert proc.returncode == 0, f"scripts/ee build failed:\n{proc.stdout}\n{proc.stderr[-6000:]}"
    print(f"\nscripts/ee build: {took:.0f} s\n{proc.stderr.strip()}")
    return proc.stdout.strip().splitlines()[-1], took
