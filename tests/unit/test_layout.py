"""The test tree itself: pytest's default import mode imports each test module by its basename, so
two modules of one name in different folders stop the whole run at collection."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_basename():
    names = Counter(path.name for path in TESTS.rglob("test_*.py") if "output" not in path.parts)
    assert {name: count for name, count in names.items() if count > 1} == {}


def test_every_changelog_fragment_item_is_a_string():
    """antsibull-changelog (and ansible-test's changelog check) refuse an item that YAML reads as a
    mapping, as an unquoted ``text: more`` is."""
    import yaml

    fragments = TESTS.parent / "changelogs" / "fragments"
    bad = ["{0} {1}[{2}]".format(path.name, section, index)
           for path in sorted(fragments.glob("*.yml"))
           for section, items in (yaml.safe_load(path.read_text()) or {}).items()
           for index, item in enumerate(items or []) if not isinstance(item, str)]
    assert bad == []
