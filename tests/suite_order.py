"""The order the test files run in (``tests/conftest.py`` sorts the collected tests with ``file_rank``).

- The longest files first: with files run two or more at a time (scripts/test), a long one started
  last would run alone at the end.
- While the testbed's binaries are still being built (a new machine: scripts/test starts the build
  beside the tests and says so with ``TESTBED_BUILD_RUNNING=1``), the files that need no cluster go
  before all others, so that they run during the build; a cluster test meanwhile waits for the
  build's lock.
"""

from __future__ import annotations

from pathlib import Path

#: Test files by how long they take, longest first. The others keep their order after these.
LONGEST_FILES = ("test_molecule.py", "test_hub_and_spoke.py", "test_registry_rollout.py", "test_plugin_only_connector.py",
                 "test_inputs_and_report.py", "test_ee_jobs.py", "test_ee_hub_and_spoke.py", "test_gates.py")
#: The folders under tests/ whose files need no testbed binary (no cluster, no build).
NO_TESTBED_DIRS = frozenset({"unit", "gates"})


def needs_testbed(path: Path) -> bool:
    """True for a test file that starts clusters or the testbed's build (all but tests/unit, tests/gates)."""
    return path.parent.name not in NO_TESTBED_DIRS


def file_rank(path: Path, building: bool) -> tuple[int, int]:
    """The sort key of a test file: during the build, the files that need no testbed first; then the
    longest files first."""
    rank = LONGEST_FILES.index(path.name) if path.name in LONGEST_FILES else len(LONGEST_FILES)
    return (int(building and needs_testbed(path)), rank)
