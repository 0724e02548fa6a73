"""The README's variable table is generated from the role's argument specs, and defaults match."""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import role_vars_table  # noqa: E402


def test_readme_lists_every_role_variable_as_the_argument_specs_do():
    assert role_vars_table.readme_table() == role_vars_table.table(), (
        "README.md's variable table is out of date: run scripts/role_vars_table.py --write")


def test_defaults_and_argument_specs_declare_the_same_variables_and_values():
    defaults = yaml.safe_load((ROOT / "roles/rhoai_connector/defaults/main.yml").read_text())
    specs = yaml.safe_load((ROOT / "roles/rhoai_connector/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert set(defaults) == set(specs)
    assert dict(defaults) == {k: s.get("default") for k, s in specs.items()}
    assert all(k.startswith("rhoai_connector_") for k in defaults)
