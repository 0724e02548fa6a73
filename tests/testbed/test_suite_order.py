"""The order of the test files (tests/suite_order.py), as scripts/test and tests/conftest.py use it."""

from __future__ import annotations

from pathlib import Path

from tests.suite_order import LONGEST_FILES, file_rank, needs_testbed

TESTS = Path(__file__).resolve().parent.parent
FILES = sorted(TESTS.glob("*/test_*.py"))


def ordered(building: bool) -> list[Path]:
    return sorted(FILES, key=lambda path: file_rank(path, building))


def test_every_longest_file_exists_so_a_rename_cannot_drop_it_from_the_order_unnoticed() -> None:
    names = {path.name for path in FILES}
    assert [name for name in LONGEST_FILES if name not in names] == []


def test_with_the_binaries_built_the_longest_files_go_first_and_the_rest_keep_their_order() -> None:
    order = ordered(building=False)
    assert [path.name for path in order[:len(LONGEST_FILES)]] == list(LONGEST_FILES)
    rest = order[len(LONGEST_FILES):]
    assert rest == [path for path in FILES if path.name not in LONGEST_FILES]


def test_during_the_build_the_files_that_need_no_cluster_go_first_the_gates_before_the_unit_tests() -> None:
    order = ordered(building=True)
    first = [path for path in order if not needs_testbed(path)]
    assert order[:len(first)] == first
    assert {path.parent.name for path in first} == {"unit", "gates"}
    assert first[0].name == "test_gates.py"  # the longest of them: sanity venvs on a new machine
    assert order[len(first)].name == "test_molecule.py"  # then the longest file, once the build is done


def test_cluster_tests_need_the_testbed_and_unit_and_gate_tests_do_not() -> None:
    assert needs_testbed(TESTS / "integration" / "test_molecule.py")
    assert needs_testbed(TESTS / "testbed" / "test_testbed_build.py")
    assert needs_testbed(TESTS / "ee" / "test_ee_jobs.py")
    assert not needs_testbed(TESTS / "unit" / "test_report.py")
    assert not needs_testbed(TESTS / "gates" / "test_gates.py")
