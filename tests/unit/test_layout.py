"""The test tree itself: pytest's default import mode imports each test module by its basename, so
two modules of one name in different folders stop the whole run at collection."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_basename():
    names = Counter(path.name for path in TESTS.rglob("test_*.py") if "output" not in path.parts)
    assert {name: count for name, count in names.items() if count > 1} == {}
