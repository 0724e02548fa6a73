"""Build, on this machine, the execution environment users build from execution-environment.yml.

The image is the real definition with the differences listed in ``tests/ee/local-build.yml`` (a
locally made Debian base instead of ee-minimal-rhel9, the collections as local tarballs, podman
settings), built by ``ansible-builder build`` with podman. ``scripts/ee`` runs this file; the EE
tests call :func:`ensure_image`.

    python tests/ee/ee_build.py build      # build or reuse the image; prints its tag
    python tests/ee/ee_build.py definition # the local definition, as YAML
    python tests/ee/ee_build.py env        # CONTAINERS_CONF=... for podman commands by hand

What is cached (under ``${XDG_CACHE_HOME:-~/.cache}/rhdh-ai-connector/ee/``): the base image's root
file system as a tarball (debootstrap takes 1.5 minutes), re-imported when podman's storage lost the
image; and the image itself, reused while a hash of everything that goes into it (definition,
requirements, both collection tarballs' contents, ansible-builder's version, the base image) is the
one on its label.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "gates"))

from installed import build_collection  # noqa: E402

LOCAL = HERE / "local-build.yml"
DEFINITION = ROOT / "execution-environment.yml"
# Files of the repository the definition names (they are copied beside it into the build folder).
DEFINITION_FILES = ("requirements-ee.txt", "bindep.txt")
TOOLS = {"podman": "podman", "buildah": "buildah", "runc": "runc", "debootstrap": "debootstrap"}
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-pip", "python3-venv", "ca-certificates")
LABEL = "io.github.rhdh-ai-connector.ee-inputs"


class EEBuildError(Exception):
    """The execution environment could not be built."""


def log(message: str) -> None:
    print(f"ee: {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "rhdh-ai-connector" / "ee"
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_settings() -> dict[str, Any]:
    return yaml.safe_load(LOCAL.read_text(encoding="utf-8"))


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        stdin: Any = None, quiet: bool = False) -> str:
    """Run a command; raise with its output's tail when it fails."""
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=False)
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        raise EEBuildError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-6000:]}")
    if not quiet and os.environ.get("EE_BUILD_VERBOSE") == "1":
        print(out, file=sys.stderr)
    return out


# --- the machine -------------------------------------------------------------------------------

def ensure_tools() -> None:
    """Install podman, buildah, runc and debootstrap from Debian when any is missing."""
    missing = [pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise EEBuildError(f"{', '.join(missing)} missing and no apt-get to install them")
    log(f"installing {' '.join(missing)} (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *TOOLS.values(), "uidmap"], env=env)


def containers_conf() -> Path:
    """The containers.conf of local-build.yml; podman reads it through CONTAINERS_CONF."""
    sections: dict[str, list[str]] = {}
    for entry in local_settings()["containers_conf"]:
        sections.setdefault(entry["section"], []).append(f"{entry['key']} = {json.dumps(entry['value'])}")
    text = "".join(f"[{name}]\n" + "\n".join(lines) + "\n" for name, lines in sections.items())
    path = cache_dir() / "containers.conf"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def podman_env() -> dict[str, str]:
    return dict(os.environ, CONTAINERS_CONF=str(containers_conf()))


def image_exists(ref: str) -> bool:
    return subprocess.run(["podman", "image", "exists", ref], env=podman_env(), check=False).returncode == 0


def image_label(ref: str, label: str) -> str:
    out = run(["podman", "image", "inspect", "--format", f"{{{{index .Labels \"{label}\"}}}}", ref], env=podman_env())
    return out.strip()


# --- the base image ----------------------------------------------------------------------------

def base_ref() -> str:
    return next(e["value"] for e in local_settings()["replace"] if e["key"] == "images.base_image.name")


def base_key() -> str:
    return hashlib.sha256(repr((DEBIAN_MIRROR, "bookworm", BASE_PACKAGES)).encode()).hexdigest()[:12]


def ensure_base_image() -> str:
    """Debian bookworm with Python 3.11 and pip, from debootstrap, imported into podman (cached)."""
    ref = base_ref()
    if image_exists(ref) and image_label(ref, LABEL) == base_key():
        return ref
    rootfs_tar = cache_dir() / f"base-bookworm-{base_key()}.tar"
    if not rootfs_tar.exists():
        started = time.monotonic()
        log("making the base image with debootstrap (about 1.5 minutes)")
        with tempfile.TemporaryDirectory(prefix="ee-rootfs-", dir=cache_dir()) as tmp:
            rootfs = Path(tmp) / "rootfs"
            run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", "bookworm",
                 str(rootfs), DEBIAN_MIRROR])
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
                for path in (rootfs / junk).glob("*"):
                    if path.is_file() or path.is_symlink():
                        path.unlink()
                    elif path.is_dir():
                        shutil.rmtree(path)
            partial = rootfs_tar.with_suffix(".partial")
            run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."])
            partial.rename(rootfs_tar)
        log(f"debootstrap done in {time.monotonic() - started:.0f} s")
    with rootfs_tar.open("rb") as stream:
        run(["podman", "import", "--change", 'CMD ["/bin/bash"]', "--change", f"LABEL {LABEL}={base_key()}",
             "-", ref], env=podman_env(), stdin=stream)
    return ref


# --- the collections ---------------------------------------------------------------------------

def venv_collection(name: str) -> Path:
    """A collection of the ``ansible`` package in the Python running this (.venv)."""
    import ansible_collections  # the `ansible` package's namespace

    namespace, short = name.split(".")
    for base in ansible_collections.__path__:
        path = Path(base) / namespace / short
        if (path / "MANIFEST.json").is_file():
            return path
    raise EEBuildError(f"{name} is not in this Python's ansible package")


def repack_collection(source: Path, out_dir: Path, trim: bool = True) -> Path:
    """A Galaxy tarball of an installed collection, FILES.json trimmed to the files present
    (``trim=False`` keeps it as the package has it, which ansible-galaxy refuses to install)."""
    manifest = json.loads((source / "MANIFEST.json").read_text())
    files = json.loads((source / "FILES.json").read_text())
    kept = []
    for entry in files["files"]:
        path = source / entry["name"]
        if entry["name"] == "." or (entry["ftype"] == "dir" and path.is_dir()):
            kept.append(entry)
        elif entry["ftype"] == "file" and path.is_file() and not path.is_symlink():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            kept.append(dict(entry, chksum_sha256=digest))
    files_bytes = json.dumps(dict(files, files=kept) if trim else files, indent=4).encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_bytes).hexdigest()
    manifest_bytes = json.dumps(manifest, indent=4).encode()
    info = manifest["collection_info"]
    tarball = out_dir / f"{info['namespace']}-{info['name']}-{info['version']}.tar.gz"
    out_dir.mkdir(parents=True, exist_ok=True)

    def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        member = tarfile.TarInfo(name)
        member.size, member.mode, member.mtime = len(data), 0o644, 0
        tar.addfile(member, io.BytesIO(data))

    with tarfile.open(tarball, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        add_bytes(tar, "MANIFEST.json", manifest_bytes)
        add_bytes(tar, "FILES.json", files_bytes)
        for entry in kept:
            if entry["name"] == ".":
                continue
            member = tar.gettarinfo(str(source / entry["name"]), arcname=entry["name"])
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            member.mtime = 0
            member.mode = 0o755 if member.isdir() else 0o644
            if member.isdir():
                tar.addfile(member)
            else:
                with (source / entry["name"]).open("rb") as data:
                    tar.addfile(member, data)
    return tarball


def tarball_digest(tarball: Path) -> str:
    """A hash of a tarball's member names and contents (not of its timestamps)."""
    digest = hashlib.sha256()
    with tarfile.open(tarball) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            digest.update(member.name.encode())
            if member.isfile():
                digest.update(tar.extractfile(member).read())  # type: ignore[union-attr]
    return digest.hexdigest()


# --- the definition ----------------------------------------------------------------------------

def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = copy.deepcopy(value)


def local_definition(real: dict[str, Any], tarballs: dict[str, str]) -> dict[str, Any]:
    """The real definition with exactly the changes of local-build.yml.

    ``tarballs`` maps each collection of ``collections_from_files`` to its tarball's file name.
    """
    settings = local_settings()
    local = copy.deepcopy(real)
    for entry in settings["replace"]:
        _set(local, entry["key"], entry["value"])
    swapped = {e["name"] for e in settings["collections_from_files"]}
    if swapped != set(tarballs):
        raise EEBuildError(f"tarballs given for {sorted(tarballs)}, local-build.yml names {sorted(swapped)}")
    collections = local["dependencies"]["galaxy"]["collections"]
    for i, item in enumerate(collections):
        if item.get("name") in swapped:
            collections[i] = {"name": f"collections/{tarballs[item['name']]}", "type": "file"}
    local["additional_build_files"] = local.get("additional_build_files", []) + [
        {"src": f"build/{name}", "dest": "collections"} for name in tarballs.values()]
    return local


def build_args() -> list[str]:
    return [entry["arg"] for entry in local_settings()["build_args"]]


def builder_version() -> str:
    from importlib.metadata import version

    return version("ansible-builder")


def prepare(work: Path) -> tuple[Path, str]:
    """The build folder: the local definition, the requirements, both tarballs. Returns the
    definition's path and the hash of every input."""
    for name in DEFINITION_FILES:
        shutil.copy2(ROOT / name, work / name)
    ours = build_collection(work / "build")
    tarballs = {}
    for entry in local_settings()["collections_from_files"]:
        tarballs[entry["name"]] = repack_collection(venv_collection(entry["name"]), work / "build").name
    real = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    local = local_definition(real, tarballs)
    definition = work / "execution-environment.yml"
    definition.write_text(yaml.safe_dump(local, sort_keys=False))
    digest = hashlib.sha256()
    for part in (definition.read_bytes(), *((work / n).read_bytes() for n in DEFINITION_FILES),
                 tarball_digest(ours).encode(), *(tarball_digest(work / "build" / t).encode() for t in tarballs.values()),
                 builder_version().encode(), " ".join(build_args()).encode(), base_key().encode()):
        digest.update(hashlib.sha256(part).digest())
    return definition, digest.hexdigest()[:16]


def image_ref() -> str:
    return next(e["value"] for e in local_settings()["replace"] if e["key"] == "options.tags")[0]


def ensure_image(force: bool = False) -> str:
    """Build the image unless the one in podman's storage was built from the same inputs. One build at a time
    on this machine (a lock beside the work folder and the tag, which every checkout shares): test files run two at a
    time, and scripts/test may start a build beside the tests."""
    lock = cache_dir() / "build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        return _ensure_image(force)


def _ensure_image(force: bool) -> str:
    started = time.monotonic()
    ensure_tools()
    ensure_base_image()
    ref = image_ref()
    work = cache_dir() / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    definition, inputs = prepare(work)
    if not force and image_exists(ref) and image_label(ref, LABEL) == inputs:
        log(f"{ref} is up to date (inputs {inputs}), {time.monotonic() - started:.0f} s")
        return ref
    log(f"building {ref} with ansible-builder (inputs {inputs})")
    extra = " ".join([*build_args(), f"--label={LABEL}={inputs}"])
    builder = Path(sys.executable).with_name("ansible-builder")
    run([str(builder if builder.exists() else "ansible-builder"), "build", "-f", str(definition),
         "-c", str(work / "context"), "--container-runtime", "podman", "-t", ref,
         "--extra-build-cli-args", extra, "-v", "2"], env=podman_env(), cwd=work)
    # The build's intermediate images are kept: they are the layer cache of the next build (a
    # changed collection then costs about a minute instead of three).
    log(f"built {ref} in {time.monotonic() - started:.0f} s")
    return ref


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "build"
    if command == "build":
        print(ensure_image(force="--force" in argv))
    elif command == "definition":
        with tempfile.TemporaryDirectory(prefix="ee-def-") as tmp:
            definition, _ = prepare(Path(tmp))
            print(definition.read_text(), end="")
    elif command == "env":
        print(f"CONTAINERS_CONF={containers_conf()}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except EEBuildError as err:
        print(f"ee: {err}", file=sys.stderr)
        sys.exit(1)
