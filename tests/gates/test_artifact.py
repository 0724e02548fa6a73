"""Gate: what the built collection ships runs from the artifact.

- Every shipped ``.py`` imports only what the artifact holds, the standard library, installed Python
  distributions and the collections galaxy.yml declares as dependencies: never ``testbed``,
  ``bench``, ``scripts/`` or molecule helpers, which galaxy.yml's build_ignore leaves out. Static (the
  files are parsed, not run): about 3 s with the build.
- The shipped unit tests pass from the installed artifact, with the checkout off the Python path
  (as ``ansible-test units`` would run them): about 20 s.

    python -m pytest tests/gates/test_artifact.py
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from installed import NAME, NAMESPACE, ROOT, build_collection, install_tarball, installed_env  # noqa: E402

# Calls that import a module named by a string: importlib.import_module("x"), pytest.importorskip("x").
IMPORTING_CALLS = frozenset({"import_module", "importorskip", "__import__"})


@pytest.fixture(scope="module", name="tarball")
def built_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_collection(tmp_path_factory.mktemp("artifact"))


def shipped_files(tarball: Path) -> dict[str, bytes | None]:
    """Member path -> content for the .py files, None for every other file and folder."""
    files: dict[str, bytes | None] = {}
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name[2:] if member.name.startswith("./") else member.name
            name = name.rstrip("/")
            if member.isfile() and name.endswith(".py"):
                extracted = tar.extractfile(member)
                files[name] = extracted.read() if extracted else b""
            else:
                files[name] = None
    return files


def imported_modules(source: bytes, filename: str) -> Iterator[tuple[int, int, str, str]]:
    """(line, level, module, first imported name) for each import, and for import_module("x")-like calls."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, 0, alias.name, ""
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                yield node.lineno, node.level, node.module or "", alias.name
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in IMPORTING_CALLS and isinstance(node.args[0].value, str):
                yield node.lineno, 0, node.args[0].value, ""


def holds_module(files: dict[str, bytes | None], path: PurePosixPath) -> bool:
    """The artifact holds module or package ``path`` (a folder, a namespace package included)."""
    return f"{path}.py" in files or str(path) in files


def missing_from(files: dict[str, bytes | None], base: PurePosixPath, parts: list[str], name: str) -> str | None:
    """What of module ``parts`` (and ``from`` name ``name``) below ``base`` the artifact lacks, if anything."""
    path = base.joinpath(*parts) if parts else base
    if parts and not holds_module(files, path):
        return str(path)
    # `from package import name`: a submodule, unless the package's __init__.py can define it.
    if name and name != "*" and str(path) in files and f"{path}/__init__.py" not in files:
        if not holds_module(files, path / name):
            return str(path / name)
    return None


def problems(files: dict[str, bytes | None], dependencies: set[str]) -> list[str]:
    stdlib = set(sys.stdlib_module_names)
    distributions = set(importlib.metadata.packages_distributions())
    # What the checkout's root could give `import` (testbed, bench, scripts, molecule, ...).
    checkout = {p.name if p.is_dir() else p.stem for p in ROOT.iterdir() if p.is_dir() or p.suffix == ".py"}
    found = []
    for filename, source in sorted(files.items()):
        if source is None:
            continue
        here = PurePosixPath(filename)
        for line, level, module, name in imported_modules(source, filename):
            parts = module.split(".") if module else []
            where = f"{filename}:{line}"
            if level:
                base = here.parents[level - 1]
                lack = missing_from(files, base, parts, name)
                if lack:
                    found.append(f"{where}: relative import of {lack}, which the artifact does not hold")
                continue
            top = parts[0]
            if top == "ansible_collections":
                if parts[1:3] == [NAMESPACE, NAME]:
                    lack = missing_from(files, PurePosixPath("."), parts[3:], name)
                    if lack:
                        what = f"{name} from {module}" if name else module
                        found.append(f"{where}: imports {what}, but the artifact does not hold {lack}")
                elif len(parts) >= 3 and ".".join(parts[1:3]) not in dependencies:
                    found.append(f"{where}: imports {module}, a collection galaxy.yml does not depend on")
                continue
            if top in stdlib:
                continue
            # A module beside the file or in a folder above it (a conftest puts tests/ on sys.path).
            homes = [p for p in here.parents if holds_module(files, p / top)]
            if homes:
                if not any(missing_from(files, home, parts, name) is None for home in homes):
                    found.append(f"{where}: imports {module}, which the artifact holds only in part")
                continue
            if top in distributions and top not in checkout:
                continue
            kept = " (in the checkout, left out by galaxy.yml's build_ignore)" if top in checkout else ""
            found.append(f"{where}: imports {top}, which the artifact does not hold{kept}")
    return list(dict.fromkeys(found))  # one line per import statement, however many names it takes


def test_shipped_python_imports_only_what_the_artifact_holds(tarball: Path) -> None:
    files = shipped_files(tarball)
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))  # type: ignore[arg-type]
    dependencies = set(manifest["collection_info"].get("dependencies") or {})
    shipped = [f for f, source in files.items() if source is not None]
    assert shipped, f"{tarball.name} holds no .py file"
    found = problems(files, dependencies)
    assert not found, f"{tarball.name} ships Python that cannot run from it:\n" + "\n".join(found)


def test_shipped_unit_tests_pass_from_the_installed_artifact(tarball: Path, tmp_path: Path) -> None:
    target = install_tarball(tarball, tmp_path / "collections")
    if not (target / "tests" / "unit").is_dir():
        pytest.skip("the artifact ships no unit tests")
    env = installed_env(tmp_path / "collections")
    # Nothing from the checkout: neither its root nor its .cache/collections link.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in env.get("PYTHONPATH", "").split(os.pathsep)
        if p and ROOT != Path(p).resolve() and ROOT not in Path(p).resolve().parents
    )
    cmd = [sys.executable, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        cmd, cwd=target, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600, check=False
    )
    assert proc.returncode == 0, f"the shipped unit tests fail from {target}:\n{proc.stdout[-12000:]}"
    # The installed copy is importable where it is: tests/collection_path.py links nothing into it.
    assert not (target / ".cache").exists(), f"the run wrote {target / '.cache'}"
