"""Build the collection, install the artifact into a fresh folder, and check what got installed.

Integration tests reuse :func:`install_built_collection` to run the playbooks from the installed
artifact instead of the checkout::

    from tests.gates.installed import install_built_collection, installed_env

    collections = install_built_collection(tmp_path)
    subprocess.run(["ansible-playbook", "rhdh.ai_connector.install", ...], env=installed_env(collections))

Run as a script it is the build-and-install gate (``tests/gates/build_install.sh``): the tarball
holds no caches, virtualenvs or testbed and stays under 1 MB, installs offline with ``--no-deps``
(kubernetes.core comes from the ``ansible`` package), ``ansible-doc`` renders every module and
the role from the installed copy, and every playbook passes ``--syntax-check`` by its FQCN there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NAMESPACE, NAME = "rhdh", "ai_connector"
FQCN = f"{NAMESPACE}.{NAME}"
MAX_BYTES = 1024 * 1024
# Paths that must never be shipped: caches, virtualenvs, the testbed, test output, local builds.
FORBIDDEN_PREFIXES = (
    ".venv/",
    ".cache/",
    ".git/",
    ".pytest_cache/",
    ".hypothesis/",
    ".ci/",
    "testbed/",
    "molecule/",
    "context/",
    "tests/output/",
)
FORBIDDEN_PARTS = ("__pycache__", ".pytest_cache", ".hypothesis")


class GateError(Exception):
    """A check of the built or installed collection failed."""


def _bin(tool: str) -> str:
    """The ansible tool of the Python running this (the project's virtualenv)."""
    candidate = Path(sys.executable).parent / tool
    return str(candidate) if candidate.exists() else tool


def _run(cmd: list[str], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=dict(env) if env is not None else None, text=True, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise GateError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def installed_env(collections: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment in which ansible finds the installed copy first and kubernetes.core in the venv.

    The checkout's own link under ``.cache/collections`` is left out, so nothing can come from it.
    """
    env = dict(os.environ if base is None else base)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "true"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_GALAXY_SERVER_LIST"] = ""
    env.pop("ANSIBLE_COLLECTIONS_PATHS", None)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != ROOT
    )
    return env


def version() -> str:
    for line in (ROOT / "galaxy.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    raise GateError("galaxy.yml has no version")


def build_collection(out_dir: Path) -> Path:
    """``ansible-galaxy collection build`` into ``out_dir``; returns the tarball."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _run([_bin("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out_dir)], cwd=ROOT)
    tarball = out_dir / f"{NAMESPACE}-{NAME}-{version()}.tar.gz"
    if not tarball.is_file():
        raise GateError(f"the build did not write {tarball.name}")
    return tarball


def check_tarball(tarball: Path) -> list[str]:
    """The tarball's member names, after checking its size and that nothing unwanted is in it."""
    size = tarball.stat().st_size
    if size >= MAX_BYTES:
        raise GateError(f"{tarball.name} is {size} bytes, over {MAX_BYTES}")
    with tarfile.open(tarball) as tar:
        names = [m.name[2:] if m.name.startswith("./") else m.name for m in tar.getmembers()]
    bad = [n for n in names if _forbidden(n)]
    if bad:
        raise GateError(f"{tarball.name} holds paths it must not ship: {bad[:20]}")
    for needed in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "plugins/modules", "roles/rhoai_connector"):
        if needed not in names:
            raise GateError(f"{tarball.name} lacks {needed}")
    return names


def _forbidden(name: str) -> bool:
    path = name.rstrip("/") + "/"
    if path.startswith(FORBIDDEN_PREFIXES) or name.endswith((".tar.gz", ".pyc")):
        return True
    return any(part in FORBIDDEN_PARTS for part in name.split("/"))


def install_tarball(tarball: Path, collections: Path) -> Path:
    """Install offline (``--no-deps``) into ``collections``; returns the installed collection folder."""
    collections.mkdir(parents=True, exist_ok=True)
    cmd = [_bin("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(collections), str(tarball)]
    _run(cmd, env=installed_env(collections))
    target = collections / "ansible_collections" / NAMESPACE / NAME
    if not (target / "MANIFEST.json").is_file():
        raise GateError(f"the install did not create {target}")
    return target


def install_built_collection(tmp_path: Path) -> Path:
    """Build the collection, install the tarball under ``tmp_path``; returns the collections path.

    Put the returned path first in ANSIBLE_COLLECTIONS_PATH (:func:`installed_env` does) to run the
    playbooks and the role from the installed artifact.
    """
    tarball = build_collection(tmp_path / "build")
    check_tarball(tarball)
    collections = tmp_path / "collections"
    install_tarball(tarball, collections)
    return collections


def module_names(collection_dir: Path) -> list[str]:
    modules = sorted(p.stem for p in (collection_dir / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    if not modules:
        raise GateError(f"no modules under {collection_dir}")
    return modules


def check_docs(collections: Path, modules: Iterable[str]) -> None:
    """``ansible-doc`` renders every module and the role from the installed copy (not the checkout)."""
    env = installed_env(collections)
    installed = collections.resolve()
    names = [f"{FQCN}.{m}" for m in modules]
    data = json.loads(_run([_bin("ansible-doc"), "-t", "module", "--json", *names], env=env))
    for name in names:
        doc = (data.get(name) or {}).get("doc") or {}
        filename = Path(doc.get("filename", "")).resolve()
        if not doc.get("short_description") or installed not in filename.parents:
            raise GateError(f"ansible-doc did not render {name} from {installed}: {doc.get('filename')}")
    text = _run([_bin("ansible-doc"), "-t", "module", *names], env=env)
    missing = [name for name in names if f"> MODULE {name}" not in text and f"> {name.upper()}" not in text]
    if missing:
        raise GateError(f"ansible-doc's text output lacks {missing}:\n{text[:2000]}")
    role = f"{FQCN}.rhoai_connector"
    text = _run([_bin("ansible-doc"), "-t", "role", role], env=env)
    if "ENTRY POINT: main" not in text and "ENTRY POINT: *main*" not in text:
        raise GateError(f"ansible-doc -t role {role} shows no main entry point:\n{text[:2000]}")
    target = collections / "ansible_collections" / NAMESPACE / NAME
    if str(target) not in text and str(target.resolve()) not in text:
        raise GateError(f"ansible-doc -t role {role} did not read the installed copy {target}:\n{text[:300]}")
    listed = _run([_bin("ansible-doc"), "-t", "role", "--list", FQCN, "--json"], env=env)
    if role not in listed:
        raise GateError(f"ansible-doc -t role --list does not list {role}: {listed[:500]}")


def check_playbooks(collections: Path) -> list[str]:
    """Every playbook of the installed copy resolves by its FQCN and passes ``--syntax-check``."""
    target = collections / "ansible_collections" / NAMESPACE / NAME
    names = sorted(p.stem for p in (target / "playbooks").glob("*.yml"))
    if not names:
        raise GateError(f"no playbooks under {target}")
    env = installed_env(collections)
    for name in names:
        out = _run([_bin("ansible-playbook"), "--syntax-check", f"{FQCN}.{name}"], env=env)
        if str(target) not in out:
            raise GateError(f"{FQCN}.{name} did not resolve to the installed copy: {out[:300]}")
    return names


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gate-install-") as tmp:
        tmp_path = Path(tmp)
        collections = install_built_collection(tmp_path)
        tarball = tmp_path / "build" / f"{NAMESPACE}-{NAME}-{version()}.tar.gz"
        print(f"built {tarball.name}: {tarball.stat().st_size} bytes, {len(check_tarball(tarball))} entries")
        modules = module_names(collections / "ansible_collections" / NAMESPACE / NAME)
        check_docs(collections, modules)
        print(f"installed offline; ansible-doc rendered {len(modules)} modules and the role from the installed copy")
        playbooks = check_playbooks(collections)
        print(f"playbooks {', '.join(playbooks)} pass --syntax-check by FQCN from the installed copy")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GateError as err:
        print(f"build/install gate failed: {err}", file=sys.stderr)
        sys.exit(1)
