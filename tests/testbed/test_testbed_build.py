"""The testbed's binaries come from a cache: a second start compiles nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed import TestbedError, build, run_build
from testbed.build import REQUIRED, operator_home


def test_warm_build_compiles_nothing(testbed_bin: Path) -> None:
    result = run_build()  # testbed_bin built (or found) everything already
    assert result.bin_dir == testbed_bin
    assert not result.compiled, result.log
    for component in ("kubernetes", "etcd", "kwok"):
        assert f"testbed: {component} " in result.log
    assert result.log.count(": cached (") >= 3
    for name in REQUIRED:
        assert (result.bin_dir / name).resolve().is_file()


def test_the_real_operators_and_helm_come_from_the_cache_with_their_runtime_files(testbed_bin: Path) -> None:
    log = run_build().log
    assert "testbed: helm v3.21.4: cached" in log
    for version in ("1.8", "1.10"):
        assert f"testbed: rhdh-operator {version}: cached" in log
        home = operator_home(version)
        assert (home / "bin" / f"rhdh-operator-{version}").is_file()
        assert (home / "config" / "default-config" / "deployment.yaml").is_file()
        assert "kind: CustomResourceDefinition" in (home / "config" / "backstages.crd.yaml").read_text()
    assert (testbed_bin / "helm").resolve().is_file()


def test_an_operator_that_could_not_be_built_is_named_with_what_is_missing(tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "rhdh-operator-1.10.missing").write_text(
        "RHDH_OPERATOR_SRC=/nowhere holds no 1.10/go.mod\n", encoding="utf-8")
    monkeypatch.setattr(build, "build_binaries", lambda: bin_dir)
    with pytest.raises(TestbedError) as err:
        operator_home("1.10")
    assert "the real RHDH operator 1.10 is not built: RHDH_OPERATOR_SRC=/nowhere holds no 1.10/go.mod" in str(err.value)
    assert "set RHDH_OPERATOR_SRC" in str(err.value)
    with pytest.raises(TestbedError, match="unknown RHDH operator version '1.9'"):
        operator_home("1.9")
