"""The role and fleet.yml under Mitogen's ``mitogen_linear`` strategy (an opt-in accelerator).

Two clusters loaded alike (RHOAI 2.25, RHDH Helm chart): ``plain`` is worked on by ansible-core's own
linear strategy, ``mitogen`` by Mitogen's. The same playbooks must send the same write requests to
each, report the same, and write nothing on a re-run.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_run import ROOT, _playbook_bin, ansible_env, describe, our_writes

RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def mitogen_env(env: dict[str, str]) -> dict[str, str]:
    """What a user sets to opt in (or the same two keys in ansible.cfg's [defaults])."""
    spec = importlib.util.find_spec("ansible_mitogen")
    assert spec is not None and spec.origin, "mitogen is not installed (requirements-dev.txt)"
    strategies = Path(spec.origin).parent / "plugins" / "strategy"
    return dict(env, ANSIBLE_STRATEGY_PLUGINS=str(strategies), ANSIBLE_STRATEGY="mitogen_linear")


@dataclass
class Run:
    rc: int
    output: str
    started: float
    seconds: float

    def recap(self) -> tuple[int, ...]:
        match = RECAP.search(self.output)
        assert match, self.output[-3000:]
        return tuple(int(g) for g in match.groups())


def playbook(name: str, kubeconfig: Path | None, mitogen: bool, extra: dict[str, Any] | None = None,
             inventory: Path | None = None) -> Run:
    env = ansible_env(kubeconfig)
    if mitogen:
        env = mitogen_env(env)
    cmd = [_playbook_bin(), str(ROOT / "playbooks" / name), "-e", json.dumps(extra or {})]
    if inventory:
        cmd += ["-i", str(inventory)]
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return Run(proc.returncode, proc.stdout + proc.stderr, started, time.time() - started)


def normalised(events: list[dict[str, Any]]) -> list[str]:
    """Write requests as 'verb path', without what differs between two clusters (dry-run flags kept)."""
    version = re.compile(r"resourceVersion=\d+")
    return sorted(f"{e['verb']} {version.sub('', e['requestURI'])}" for e in events)


def fleet(cluster: Any, name: str, folder: Path, mitogen: bool) -> tuple[Run, dict[str, Any]]:
    context = yaml.safe_load(Path(cluster.kubeconfig).read_text())["current-context"]
    inventory = folder / f"{name}.yml"
    inventory.write_text(yaml.safe_dump({"fleet": {"hosts": {"cluster": {
        "rhoai_connector_kubeconfig": str(cluster.kubeconfig), "rhoai_connector_context": context}}}}))
    report_dir = folder / f"report-{name}"
    run = playbook("fleet.yml", None, mitogen, {"fleet_report_dir": str(report_dir), "fleet_batches": "100%"},
                   inventory=inventory)
    assert run.rc == 0, run.output[-3000:]
    return run, json.loads((report_dir / "fleet-report.json").read_text())


@dataclass
class Runs:
    plain: Any
    mitogen: Any
    install_plain: Run
    install_mitogen: Run
    rerun_mitogen: Run
    fleet_plain: tuple[Run, dict[str, Any]]
    fleet_mitogen: tuple[Run, dict[str, Any]]


@pytest.fixture(scope="module")
def runs(module_cluster_factory, tmp_path_factory) -> Runs:
    plain = module_cluster_factory("rhoai-2.25", "rhdh-helm")
    mitogen = module_cluster_factory("rhoai-2.25", "rhdh-helm")
    folder = tmp_path_factory.mktemp("mitogen")
    install_plain = playbook("install.yml", plain.kubeconfig, mitogen=False)
    install_mitogen = playbook("install.yml", mitogen.kubeconfig, mitogen=True)
    rerun_mitogen = playbook("install.yml", mitogen.kubeconfig, mitogen=True)
    fleet_plain = fleet(plain, "plain", folder, mitogen=False)
    fleet_mitogen = fleet(mitogen, "mitogen", folder, mitogen=True)
    for name, run in (("install", install_plain), ("install under Mitogen", install_mitogen),
                      ("re-run under Mitogen", rerun_mitogen), ("fleet", fleet_plain[0]),
                      ("fleet under Mitogen", fleet_mitogen[0])):
        print(f"\n{name}: {run.seconds:.1f} s")
    return Runs(plain, mitogen, install_plain, install_mitogen, rerun_mitogen, fleet_plain, fleet_mitogen)


PROBE = """
- name: Show the process a module runs under
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read the command line of the module's parent process
      ansible.builtin.shell: tr '\\0' ' ' < /proc/$PPID/cmdline
      register: probe
      changed_when: false
    - name: Show it
      ansible.builtin.debug:
        msg: "parent={{ probe.stdout }}"
"""


def test_mitogen_env_runs_modules_in_mitogen(tmp_path: Path) -> None:
    """The opt-in settings take effect: modules run inside Mitogen's interpreter (its process title
    names it), not in one AnsiballZ process per task."""
    book = tmp_path / "probe.yml"
    book.write_text(PROBE)
    outputs = {}
    for mitogen in (False, True):
        env = mitogen_env(ansible_env(None)) if mitogen else ansible_env(None)
        proc = subprocess.run([_playbook_bin(), str(book)], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs[mitogen] = re.search(r"parent=(.*)\"", proc.stdout).group(1)
    assert "(mitogen:" in outputs[True], outputs
    assert "(mitogen:" not in outputs[False] and "AnsiballZ_" in outputs[False], outputs


def test_install_under_mitogen_does_what_it_does_without(runs: Runs) -> None:
    assert runs.install_plain.rc == 0, runs.install_plain.output[-3000:]
    assert runs.install_mitogen.rc == 0, runs.install_mitogen.output[-3000:]
    assert runs.install_mitogen.recap() == runs.install_plain.recap()
    assert runs.install_mitogen.recap()[1] > 0
    # Since each install began: the later runs on either cluster write nothing (checked below).
    plain = normalised(our_writes(runs.plain, runs.install_plain.started))
    mitogen = normalised(our_writes(runs.mitogen, runs.install_mitogen.started))
    assert mitogen == plain and mitogen, {"plain": plain, "mitogen": mitogen}


def test_rerun_under_mitogen_changes_and_writes_nothing(runs: Runs) -> None:
    run = runs.rerun_mitogen
    assert run.rc == 0 and run.recap()[1] == 0, run.output[-3000:]
    writes = our_writes(runs.mitogen, run.started)
    assert writes == [], f"the re-run under Mitogen wrote: {describe(writes)}"


def test_fleet_under_mitogen_reports_what_it_reports_without(runs: Runs) -> None:
    (_, plain), (run, mitogen) = runs.fleet_plain, runs.fleet_mitogen

    def cluster(report: dict[str, Any]) -> dict[str, Any]:
        entry = dict(report["clusters"][0])
        entry.pop("connection", None)
        entry.pop("finished", None)
        return entry

    assert cluster(mitogen) == cluster(plain)
    assert mitogen["totals"] == plain["totals"] == {"clusters": 1, "ok": 1, "changed": 0, "refused": 0,
                                                    "unreachable": 0, "failed": 0, "not_run": 0}
    assert our_writes(runs.mitogen, run.started) == []
    assert our_writes(runs.plain, runs.fleet_plain[0].started) == []
