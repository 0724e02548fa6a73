"""Gate: the execution environment definition turns into a complete ansible-builder build context.

``ansible-builder create`` runs offline (no container engine, no registry): it writes the
Containerfile and the ``_build`` folder. This checks the definition (AAP 2.5's base image, ansible-core
and ansible-runner pinned to the series AAP 2.5 ships, ``requires_ansible`` agreeing, openshift-clients
excluded) and what ``create`` wrote, then installs the collection artifact from that context beside
kubernetes.core and runs the context's own ``introspect.py`` on them with the Containerfile's own
arguments, as the image build does: the collection's ``meta/execution-environment.yml`` delivers its
Python requirements, and kubernetes.core's ``openshift-clients`` lines are left out.
The image itself is built and used by the tests in ``tests/ee/`` (``scripts/ee``).

    python tests/gates/execution_environment.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))

from installed import ROOT, GateError, _bin, _run, build_collection, install_tarball, version  # noqa: E402

EE_FILES = ("execution-environment.yml", "requirements-ee.txt", "bindep.txt")
BASE_IMAGE = "registry.redhat.io/ansible-automation-platform-25/ee-minimal-rhel9:latest"
# What AAP 2.5 ships: ansible-core 2.16 and ansible-runner 2.4.
AAP_SERIES = {"ansible_core": ("ansible-core", "2.16"), "ansible_runner": ("ansible-runner", "2.4")}
# kubernetes.core's bindep.txt lines that ee-minimal-rhel9 cannot install (kubernetes.core #537, #1141).
EXCLUDED_SYSTEM = "openshift-clients"


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
    if ee["images"]["base_image"]["name"] != BASE_IMAGE:
        raise GateError(f"the base image should be AAP 2.5's {BASE_IMAGE}: {ee['images']['base_image']}")
    check_pins(ee["dependencies"], _load(ROOT / "meta" / "runtime.yml")["requires_ansible"])
    check_mitogen(ee)
    excluded = (ee["dependencies"].get("exclude") or {}).get("system") or []
    if EXCLUDED_SYSTEM not in excluded:
        raise GateError(f"dependencies.exclude.system should name {EXCLUDED_SYSTEM}: {excluded}")
    return ee


def check_mitogen(ee: dict) -> None:
    """Mitogen is the EE's optional package, pinned as the tests pin it, its strategies linked
    where ansible looks by default."""
    if ee["dependencies"].get("python") != "requirements-ee.txt":
        raise GateError(f"dependencies.python should be requirements-ee.txt: {ee['dependencies'].get('python')}")

    def pin(path: Path, package: str) -> str:
        lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines()
                 if re.match(rf"{re.escape(package)}\s*==", x.strip())]
        return lines[0] if len(lines) == 1 else ""

    # the EE runs what the tests ran: Mitogen, and the kubernetes client (its import is most of what
    # each module task pays before its first request, and it differs from one release to the next)
    for package in ("mitogen", "kubernetes"):
        ee_pin = pin(ROOT / "requirements-ee.txt", package)
        if not ee_pin or ee_pin != pin(ROOT / "requirements-dev.txt", package):
            raise GateError(f"requirements-ee.txt and requirements-dev.txt should pin the same {package}")
    steps = " ".join((ee.get("additional_build_steps") or {}).get("append_final") or [])
    if "/usr/share/ansible/plugins/strategy" not in steps:
        raise GateError("append_final should link Mitogen's strategies into /usr/share/ansible/plugins/strategy")


def pinned_series(spec: str, package: str) -> str:
    """The major.minor series a ``package~=X.Y.Z`` (or ``==X.Y.*``) pin allows, or an error."""
    match = re.fullmatch(rf"{re.escape(package)}\s*(~=\s*(\d+\.\d+)\.\d+|==\s*(\d+\.\d+)\.\*)", spec.strip())
    if not match:
        raise GateError(f"{spec!r} should pin {package} to one series (~=X.Y.Z)")
    return match.group(2) or match.group(3)


def check_pins(dependencies: dict, requires_ansible: str) -> None:
    """ansible-core and ansible-runner pinned to AAP 2.5's series; requires_ansible admits that
    series and starts with it (a lower bound below 2.16 would promise cores the EE never runs)."""
    for key, (package, series) in AAP_SERIES.items():
        spec = (dependencies.get(key) or {}).get("package_pip", "")
        if pinned_series(spec, package) != series:
            raise GateError(f"dependencies.{key} should pin {package} to {series} (AAP 2.5): {spec!r}")
    core = AAP_SERIES["ansible_core"][1]
    specifiers = SpecifierSet(requires_ansible)
    major, minor = (int(x) for x in core.split("."))
    if not specifiers.contains(Version(f"{core}.0")) or specifiers.contains(Version(f"{major}.{minor - 1}.99")):
        raise GateError(f"meta/runtime.yml requires_ansible {requires_ansible!r} should start at the EE's ansible-core {core}")


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
    for name, source in (("requirements.txt", "requirements-ee.txt"), ("bindep.txt", "bindep.txt")):
        if (build / name).read_text(encoding="utf-8") != (ROOT / source).read_text(encoding="utf-8"):
            raise GateError(f"_build/{name} differs from the repository's {source}")
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


def kubernetes_core_source() -> Path:
    """kubernetes.core as the ``ansible`` package of this Python carries it (Galaxy is out of reach)."""
    import ansible_collections

    for base in ansible_collections.__path__:
        path = Path(base) / "kubernetes" / "core"
        if (path / "MANIFEST.json").is_file():
            return path
    raise GateError("kubernetes.core is not in this Python's ansible package")


def introspect(context: Path, collections: Path, excluding: bool) -> dict:
    """The context's introspect.py on ``collections``, with the Containerfile's own arguments (the
    exclusion file only when ``excluding``)."""
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    line = next((x for x in containerfile.splitlines() if "introspect.py introspect" in x), "")
    args = [a for a in line.split() if a.startswith("--user-") or (excluding and a.startswith("--exclude-"))]
    if excluding and "--exclude-bindep-reqs=exclude-bindep.txt" not in args:
        raise GateError(f"the Containerfile's introspect step does not pass the exclusions: {line!r}")
    cmd = [sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect", *args, str(collections)]
    out = subprocess.run(cmd, text=True, capture_output=True, check=False, cwd=context / "_build")
    if out.returncode != 0:
        raise GateError(f"introspect.py failed:\n{out.stdout}\n{out.stderr}")
    return {"text": out.stdout, **(yaml.safe_load(out.stdout) or {})}


def check_introspection(context: Path, tarball: Path, work: Path) -> str:
    """Install the context's artifact beside kubernetes.core and let the context's introspect.py read
    their EE metadata: our Python requirements are delivered, openshift-clients is not."""
    collections = work / "collections"
    install_tarball(tarball, collections)
    core = collections / "ansible_collections" / "kubernetes" / "core"
    core.parent.mkdir(parents=True, exist_ok=True)
    core.symlink_to(kubernetes_core_source(), target_is_directory=True)
    found = introspect(context, collections, excluding=True)
    python = found.get("python") or []
    for pkg in ("kubernetes", "ruamel.yaml"):
        if not any(line.startswith(pkg) and "from collection rhdh.ai_connector" in line for line in python):
            raise GateError(f"introspection does not report {pkg} from rhdh.ai_connector:\n{found['text']}")
    system = found.get("system") or []
    if any(line.split()[0] == EXCLUDED_SYSTEM for line in system):
        raise GateError(f"{EXCLUDED_SYSTEM} is still among the system requirements:\n{found['text']}")
    if not any("from collection kubernetes.core" in line for line in system):
        raise GateError(f"kubernetes.core's other bindep lines should stay:\n{found['text']}")
    unexcluded = introspect(context, collections, excluding=False).get("system") or []
    if not any(line.startswith(f"{EXCLUDED_SYSTEM} [platform:rhel-9]") for line in unexcluded):
        raise GateError(f"kubernetes.core no longer asks for {EXCLUDED_SYSTEM} on rhel-9; drop the exclusion? {unexcluded}")
    return found["text"]


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
