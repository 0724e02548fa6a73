"""The role's defaults match its argument specs, and no version_added is newer than the collection.

Runs from the checkout and from the installed artifact (where MANIFEST.json replaces galaxy.yml).
The README's variable table is checked by test_readme_vars_table.py (it needs scripts/, not shipped).
"""

import ast
import json
from pathlib import Path

import pytest
import yaml
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
# Plugin folders whose files are no plugins with a DOCUMENTATION of their own.
NOT_PLUGINS = ("module_utils", "doc_fragments")


def collection_version() -> str:
    """galaxy.yml's version in the checkout, MANIFEST.json's in the installed artifact."""
    galaxy = ROOT / "galaxy.yml"
    if galaxy.is_file():
        return str(yaml.safe_load(galaxy.read_text())["version"])
    return str(json.loads((ROOT / "MANIFEST.json").read_text())["collection_info"]["version"])


def plugin_files() -> list[Path]:
    """Every plugin file that may hold a DOCUMENTATION (filter and test plugins keep theirs in .yml)."""
    return sorted(
        p for p in (ROOT / "plugins").glob("*/*")
        if p.parent.name not in NOT_PLUGINS and p.suffix in (".py", ".yml", ".yaml") and p.name != "__init__.py"
    )


def role_specs() -> list[Path]:
    return sorted((ROOT / "roles").glob("*/meta/argument_specs.y*ml"))


def documentation(path: Path) -> dict:
    """The plugin's DOCUMENTATION, read without importing the plugin."""
    if path.suffix != ".py":
        return (yaml.safe_load(path.read_text()) or {}).get("DOCUMENTATION") or {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or {}
    return {}


def option_versions(options: dict | None, where: str):
    """(where, version_added) of every option and suboption that declares one."""
    for name, spec in (options or {}).items():
        if not isinstance(spec, dict):
            continue
        here = f"{where} option {name}"
        if "version_added" in spec:
            yield here, spec["version_added"]
        for key in ("suboptions", "options"):
            yield from option_versions(spec.get(key), here)


def declared_versions(path: Path) -> list[tuple[str, object]]:
    if path.name.startswith("argument_specs."):
        role = path.parent.parent.name
        found = []
        for entry, spec in ((yaml.safe_load(path.read_text()) or {}).get("argument_specs") or {}).items():
            where = f"role {role} entry point {entry}"
            if "version_added" in spec:
                found.append((where, spec["version_added"]))
            found.extend(option_versions(spec.get("options"), where))
        return found
    doc = documentation(path)
    where = f"{path.parent.name.rstrip('s')} {path.stem}"
    found = [(where, doc["version_added"])] if "version_added" in doc else []
    return found + list(option_versions(doc.get("options"), where))


def label(path: Path) -> str:
    if path.name.startswith("argument_specs."):
        return f"role {path.parent.parent.name}"
    return f"{path.parent.name.rstrip('s')} {path.stem}"


def test_defaults_and_argument_specs_declare_the_same_variables_and_values():
    defaults = yaml.safe_load((ROOT / "roles/rhoai_connector/defaults/main.yml").read_text())
    specs = yaml.safe_load((ROOT / "roles/rhoai_connector/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert set(defaults) == set(specs)
    assert dict(defaults) == {k: s.get("default") for k, s in specs.items()}
    assert all(k.startswith("rhoai_connector_") for k in defaults)


@pytest.mark.parametrize("path", plugin_files() + role_specs(), ids=label)
def test_version_added_is_not_newer_than_the_collection_version(path: Path):
    if not path.is_file():
        pytest.skip(f"{path.relative_to(ROOT)} is gone")
    release = collection_version()
    wrong = []
    for where, added in declared_versions(path):
        try:
            if Version(str(added)) > Version(release):
                wrong.append(f"{where}: version_added {added} is newer than the collection's version {release}")
        except InvalidVersion:
            wrong.append(f"{where}: version_added {added!r} is not a version")
    assert not wrong, f"{path.relative_to(ROOT)}:\n" + "\n".join(wrong)
