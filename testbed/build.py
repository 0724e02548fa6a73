"""Builds the testbed's binaries by running ``testbed/build.sh`` (cached per pinned version)."""

from __future__ import annotations

import fcntl
import logging
import os
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
    "helm",
)
OPERATOR_VERSIONS = ("1.8", "1.10", "2.0")


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


def operator_home(version: str) -> Path:
    """The folder of the real RHDH operator ``version`` that build.sh made: ``bin/`` with the
    binary, ``config/`` with its default-config, plugin-deps and Backstage CRD. Raises, naming
    what is missing (its source) when build.sh could not build it."""
    if version not in OPERATOR_VERSIONS:
        raise TestbedError(f"unknown RHDH operator version {version!r} (one of {', '.join(OPERATOR_VERSIONS)})")
    bin_dir = build_binaries()
    link = bin_dir / f"rhdh-operator-{version}"
    if link.exists():
        return link.resolve().parent.parent
    missing = bin_dir.parent / f"rhdh-operator-{version}.missing"
    reason = missing.read_text(encoding="utf-8").strip() if missing.exists() else "no reason recorded"
    raise TestbedError(
        f"the real RHDH operator {version} is not built: {reason}. The tests that need it cannot run "
        "(set RHDH_OPERATOR_SRC to a folder holding the operator's source as 1.8/, 1.10/ and 2.0/, or "
        "give this machine a Go module proxy that serves github.com/redhat-developer/rhdh-operator)"
    )


CHART_REPOSITORY = "https://redhat-developer.github.io/rhdh-chart"


def pinned(name: str) -> str:
    """A pinned version from ``versions.env`` (``NAME=value`` lines)."""
    for line in (PACKAGE_DIR / "versions.env").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    raise TestbedError(f"testbed/versions.env pins no {name}")


def rhdh_chart() -> Path:
    """The folder of the real RHDH chart (``backstage``, the version pinned as RHDH_CHART_VERSION):
    the one named by ``RHDH_CHART_DIR``, else a copy pulled once from the chart repository into
    the cache. Raises naming the setting when neither can be had."""
    version = pinned("RHDH_CHART_VERSION")
    given = os.environ.get("RHDH_CHART_DIR")
    if given:
        chart = Path(given)
        found = _chart_version(chart)
        if found != version:
            raise TestbedError(
                f"RHDH_CHART_DIR={given} holds chart version {found or 'none'}, the tests pin {version}"
            )
        return chart
    target = build_binaries().parent / "charts" / f"backstage-{version}"
    if _chart_version(target / "backstage") == version:
        return target / "backstage"
    helm = build_binaries() / "helm"
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [str(helm), "pull", "backstage", "--repo", CHART_REPOSITORY, "--version", version,
         "--untar", "--untardir", str(target)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise TestbedError(
            f"the RHDH chart backstage {version} could not be pulled from {CHART_REPOSITORY} "
            f"({proc.stderr.strip()[-300:]}), and RHDH_CHART_DIR is not set: set it to the chart's "
            "folder (the one holding its Chart.yaml, with its dependencies in charts/)"
        )
    return target / "backstage"


def _chart_version(chart: Path) -> str | None:
    try:
        for line in (chart / "Chart.yaml").read_text(encoding="utf-8").splitlines():
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    except OSError:
        return None
    return None
