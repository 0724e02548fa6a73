"""Builds the testbed's binaries by running ``testbed/build.sh`` (cached per pinned version)."""

from __future__ import annotations

import fcntl
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import TestbedError
from .paths import PACKAGE_DIR, cache_root
from .timing import step

LOG = logging.getLogger("testbed.build")
BUILD_SCRIPT = PACKAGE_DIR / "build.sh"
REQUIRED = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "etcd",
    "kwok",
    "kwokctl",
)


@dataclass(frozen=True)
class BuildResult:
    """What one run of build.sh produced: the bin folder and its log (stderr)."""

    bin_dir: Path
    log: str

    @property
    def compiled(self) -> bool:
        """True if this run compiled anything (a warm cache compiles nothing)."""
        return "building..." in self.log


def run_build() -> BuildResult:
    """Run build.sh under a lock (one build at a time on this machine) and return its result."""
    lock_path = cache_root() / "testbed" / ".build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with step("build testbed binaries"), open(lock_path, "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False
        )
    for line in proc.stderr.splitlines():
        LOG.info("%s", line)
    if proc.returncode != 0:
        raise TestbedError(
            f"testbed/build.sh failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise TestbedError("testbed/build.sh printed no bin folder")
    bin_dir = Path(lines[-1])
    missing = [name for name in REQUIRED if not (bin_dir / name).exists()]
    if missing:
        raise TestbedError(f"testbed/build.sh left no {', '.join(missing)} in {bin_dir}")
    return BuildResult(bin_dir=bin_dir, log=proc.stderr)


def build_binaries() -> Path:
    """Build (or reuse) every testbed binary and return the bin folder."""
    return run_build().bin_dir
