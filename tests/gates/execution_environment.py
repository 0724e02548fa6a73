"""Gate: the execution environment definition turns into a complete ansible-builder build context.

``ansible-builder create`` runs offline (no container engine, no registry): it writes the
Containerfile and the ``_build`` folder. This checks what it wrote, then installs the collection
artifact from that context and runs the context's own ``introspect.py`` on it, as the image build
does, to see the collection's ``meta/execution-environment.yml`` deliver its Python requirements.

    python tests/gates/execution_environment.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import json
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from installed import ROOT, GateError, _bin, _run, build_collection, install_tarball, version  # noqa: E402

EE_FILES = ("execution-environment.yml", "requirements.txt", "bindep.txt")


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise GateError(f"{path} is not a YAML mapping")
    return data


def check_definition() -> dict:
    """The top-level definition (schema v3) and the collection's metadata (version 1)."""
    ee = _load(ROOT / "execution-environment.yml")
    if ee.get("version") != 3:
        raise GateError("execution-environment.yml must use ansible-builder schema version 3")
    meta = _load(ROOT / "meta" / "execution-environment.yml")
    deps = meta.get("dependencies") or {}
    if meta.get("version") != 1 or deps.get("python") != "requirements.txt" or deps.get("system") != "bindep.txt":
        raise GateError(f"meta/execution-environment.yml should name requirements.txt and bindep.txt: {meta}")
    names = {c["name"] for c in ee["dependencies"]["galaxy"]["collections"]}
    wanted = f"collections/rhdh-ai_connector-{version()}.tar.gz"
    if wanted not in names or "kubernetes.core" not in names:
        raise GateError(f"execution-environment.yml should install kubernetes.core and {wanted}: {sorted(names)}")
    return ee


def create_context(work: Path) -> Path:
    """Copy the definition beside a freshly built tarball and run ``ansible-builder create``."""
    for name in EE_FILES:
        shutil.copy2(ROOT / name, work / name)
    build_collection(work / "build")
    context = work / "context"
    _run(
        [
            _bin("ansible-builder"), "create", "-f", str(work / "execution-environment.yml"),
            "-c", str(context), "--output-filename", "Containerfile", "-v", "1",
        ],
        cwd=work,
    )
    return context


def check_context(context: Path, ee: dict) -> Path:
    """The Containerfile and ``_build`` hold the base image, the requirements and the collection."""
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    base = ee["images"]["base_image"]["name"]
    for needed in (
        f'ARG EE_BASE_IMAGE="{base}"',
        "COPY _build /build",
        "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml",
        "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt",
        "RUN /output/scripts/assemble",
    ):
        if needed not in containerfile:
            raise GateError(f"the Containerfile lacks {needed!r}")
    build = context / "_build"
    for name in ("requirements.txt", "bindep.txt"):
        if (build / name).read_text(encoding="utf-8") != (ROOT / name).read_text(encoding="utf-8"):
            raise GateError(f"_build/{name} differs from the repository's {name}")
    requirements = _load(build / "requirements.yml")
    files = [c for c in requirements["collections"] if c.get("type") == "file"]
    if len(files) != 1:
        raise GateError(f"_build/requirements.yml should name one collection file: {requirements}")
    tarball = build / files[0]["name"]
    if not tarball.is_file():
        raise GateError(f"the build context lacks {files[0]['name']} that requirements.yml installs")
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("MANIFEST.json")
        if member is None:
            raise GateError(f"{tarball.name} has no MANIFEST.json")
        manifest = json.load(member)["collection_info"]
    if (manifest["namespace"], manifest["name"], manifest["version"]) != ("rhdh", "ai_connector", version()):
        raise GateError(f"{tarball.name} is not rhdh.ai_connector {version()}: {manifest}")
    return tarball


def check_introspection(context: Path, tarball: Path, work: Path) -> str:
    """Install the context's artifact and let the context's introspect.py read its EE metadata."""
    collections = work / "collections"
    install_tarball(tarball, collections)
    cmd = [sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect", str(collections)]
    out = subprocess.run(cmd, text=True, capture_output=True, check=False)
    if out.returncode != 0:
        raise GateError(f"introspect.py failed:\n{out.stdout}\n{out.stderr}")
    python = (yaml.safe_load(out.stdout) or {}).get("python") or []
    for pkg in ("kubernetes", "ruamel.yaml"):
        if not any(line.startswith(pkg) and "from collection rhdh.ai_connector" in line for line in python):
            raise GateError(f"introspection does not report {pkg} from rhdh.ai_connector:\n{out.stdout}")
    return out.stdout


def main() -> int:
    ee = check_definition()
    with tempfile.TemporaryDirectory(prefix="gate-ee-") as tmp:
        work = Path(tmp)
        context = create_context(work)
        tarball = check_context(context, ee)
        report = check_introspection(context, tarball, work)
        files = sorted(str(p.relative_to(context)) for p in context.rglob("*") if p.is_file())
    print(f"ansible-builder create wrote {len(files)} files: {', '.join(files)}")
    print(f"introspection of the installed artifact:\n{report}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GateError as err:
        print(f"execution environment gate failed: {err}", file=sys.stderr)
        sys.exit(1)
