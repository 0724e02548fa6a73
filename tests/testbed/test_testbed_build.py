"""The testbed's binaries come from a cache: a second start compiles nothing."""

from __future__ import annotations

from pathlib import Path

from testbed import run_build
from testbed.build import REQUIRED


def test_warm_build_compiles_nothing(testbed_bin: Path) -> None:
    result = run_build()  # testbed_bin built (or found) everything already
    assert result.bin_dir == testbed_bin
    assert not result.compiled, result.log
    for component in ("kubernetes", "etcd", "kwok"):
        assert f"testbed: {component} " in result.log
    assert result.log.count(": cached (") >= 3
    for name in REQUIRED:
        assert (result.bin_dir / name).resolve().is_file()
