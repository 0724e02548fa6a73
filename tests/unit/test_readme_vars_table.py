"""The README's variable table is generated from the role's argument specs by scripts/role_vars_table.py.

Not shipped (galaxy.yml's build_ignore): it needs scripts/, which the built collection does not hold.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import role_vars_table  # noqa: E402


def test_readme_lists_every_role_variable_as_the_argument_specs_do():
    assert role_vars_table.readme_table() == role_vars_table.table(), (
        "README.md's variable table is out of date: run scripts/role_vars_table.py --write")
