"""The EE the tests build differs from the one users build only as tests/ee/local-build.yml says,
and the pieces it is made of work (no container engine needed here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import ee_build  # noqa: E402


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves (lists are leaves)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node}


def test_local_definition_differs_only_as_listed(tmp_path: Path) -> None:
    definition, inputs = ee_build.prepare(tmp_path)
    local = yaml.safe_load(definition.read_text())
    real = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    settings = ee_build.local_settings()
    real_flat, local_flat = flatten(real), flatten(local)
    changed = {k for k in real_flat.keys() | local_flat.keys() if real_flat.get(k) != local_flat.get(k)}
    listed = {e["key"] for e in settings["replace"]}
    # Swapping collections for tarballs touches these two lists, and only these.
    listed |= {"dependencies.galaxy.collections", "additional_build_files"}
    assert changed == listed, f"differences not listed in local-build.yml: {sorted(changed - listed)}"
    for entry in settings["replace"]:
        assert local_flat[entry["key"]] == entry["value"]
        assert entry["why"].strip(), entry
    for entry in settings["build_args"] + settings["containers_conf"] + settings["collections_from_files"]:
        assert entry["why"].strip(), entry
    # Everything else of the definition stays: the pins, the interpreter, the exclusion, the packages.
    for key in ("dependencies.ansible_core.package_pip", "dependencies.ansible_runner.package_pip",
                "dependencies.python_interpreter.python_path", "dependencies.exclude.system",
                "dependencies.python", "dependencies.system"):
        assert local_flat[key] == real_flat[key], key
    real_collections = real["dependencies"]["galaxy"]["collections"]
    local_collections = local["dependencies"]["galaxy"]["collections"]
    swapped = {e["name"] for e in settings["collections_from_files"]}
    assert len(local_collections) == len(real_collections)
    for before, after in zip(real_collections, local_collections):
        if before["name"] in swapped:
            assert after["type"] == "file" and (tmp_path / "build" / Path(after["name"]).name).is_file(), after
        else:
            assert after == before
    assert len(inputs) == 16


def test_repacked_kubernetes_core_installs_offline(tmp_path: Path) -> None:
    """The `ansible` package's kubernetes.core, FILES.json trimmed, installs with ansible-galaxy;
    packed as it is (FILES.json naming files the package left out) it would not."""
    source = ee_build.venv_collection("kubernetes.core")
    tarball = ee_build.repack_collection(source, tmp_path / "build")
    galaxy = str(Path(sys.executable).with_name("ansible-galaxy"))
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path),
           "ANSIBLE_GALAXY_SERVER_LIST": ""}
    proc = subprocess.run([galaxy, "collection", "install", "--no-deps", "--force", "-p", str(tmp_path / "c"), str(tarball)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = tmp_path / "c" / "ansible_collections" / "kubernetes" / "core"
    assert (installed / "plugins" / "module_utils" / "k8s" / "client.py").is_file()
    verify = subprocess.run([galaxy, "collection", "verify", "--offline", "-p", str(tmp_path / "c"), "kubernetes.core"],
                            capture_output=True, text=True, env=env)
    assert verify.returncode == 0 and "verified" in verify.stdout, verify.stdout + verify.stderr
    untrimmed = ee_build.repack_collection(source, tmp_path / "untrimmed", trim=False)
    refused = subprocess.run([galaxy, "collection", "install", "--no-deps", "--force", "-p", str(tmp_path / "u"),
                              str(untrimmed)], capture_output=True, text=True, env=env)
    assert refused.returncode != 0, "an untrimmed FILES.json installed: the trim is no longer needed"


def test_containers_conf_holds_the_listed_settings() -> None:
    text = ee_build.containers_conf().read_text()
    assert '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' in text
    assert 'runtime = "runc"' in text and 'cgroup_manager = "cgroupfs"' in text
