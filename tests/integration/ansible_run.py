"""Run the collection's modules and playbooks the way users do: through ansible-playbook.

``run_module`` wraps one module call in a throw-away playbook that registers the result and saves it
as JSON (with check_mode off for the save only), so tests see exactly what a user's ``register:``
would hold, diff included.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import collection_path  # noqa: E402

ROOT = collection_path.ROOT
VENV_BIN = ROOT / ".venv" / "bin"
USER_AGENT = "rhdh.ai_connector"


def ansible_env(kubeconfig: Path | str | None) -> dict[str, str]:
    collection_path.ensure()
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collection_path.COLLECTIONS),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
    })
    env.pop("KUBECONFIG", None)
    if kubeconfig:
        env["K8S_AUTH_KUBECONFIG"] = str(kubeconfig)
    return env


def _playbook_bin() -> str:
    candidate = VENV_BIN / "ansible-playbook"
    return str(candidate) if candidate.exists() else "ansible-playbook"


@dataclass
class PlaybookRun:
    rc: int
    output: str
    ok: int
    changed: int
    failed: int
    seconds: float
    started: float


def run_playbook(playbook: str | Path, kubeconfig: Path | str | None, extra_vars: dict[str, Any] | None = None,
                 check: bool = False, diff: bool = False, timeout: int = 900,
                 extra_args: list[str] | None = None) -> PlaybookRun:
    cmd = [_playbook_bin(), str(playbook), *(extra_args or [])]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(kubeconfig), capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    recap = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", output)
    ok, changed, failed = (int(g) for g in recap.groups()) if recap else (0, 0, 1)
    return PlaybookRun(proc.returncode, output, ok, changed, failed, time.time() - started, started)


def run_module(module: str, args: dict[str, Any], kubeconfig: Path | str | None, check: bool = False,
               diff: bool = True) -> dict[str, Any]:
    """The registered result of one module call (``failed``/``msg`` on failure)."""
    with tempfile.TemporaryDirectory(prefix="rhdh-module-") as tmp:
        out = Path(tmp) / "result.json"
        play = [{
            "name": "Run one module",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {"name": "Call", module if "." in module else f"rhdh.ai_connector.{module}": args,
                 "register": "result", "ignore_errors": True},
                {"name": "Save", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(out)},
                 "check_mode": False, "diff": False},
            ],
        }]
        book = Path(tmp) / "play.yml"
        book.write_text(yaml.safe_dump(play, sort_keys=False))
        run = run_playbook(book, kubeconfig, check=check, diff=diff)
        if not out.exists():
            raise AssertionError(f"ansible-playbook did not run the module {module}:\n{run.output[-3000:]}")
        return json.loads(out.read_text())


#: Module options whose role variable is not rhoai_connector_<option>.
ROLE_VARS = {"namespace": "rhoai_connector_rhdh_namespace", "name": "rhoai_connector_rhdh_name"}


def run_role(params: dict[str, Any], kubeconfig: Path | str | None, check: bool = False) -> dict[str, Any]:
    """One run of role rhoai_connector with ``params`` given by option name (``namespace``, ``state``,
    ``metrics_port``...): its ``rhoai_connector_result``, with ``failed`` and ``msg`` (why it stopped),
    ``warnings`` (of every task) and ``output`` (the playbook's)."""
    role_vars = {ROLE_VARS.get(k, "rhoai_connector_" + k): v for k, v in params.items()}
    with tempfile.TemporaryDirectory(prefix="rhdh-role-") as tmp:
        out = Path(tmp) / "result.json"
        play = [{
            "name": "Run the role once",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {"name": "Role", "block": [{"name": "Include", "ansible.builtin.include_role": {
                    "name": "rhdh.ai_connector.rhoai_connector"}, "vars": role_vars}],
                 "rescue": [{"name": "Why", "ansible.builtin.set_fact": {"why": "{{ ansible_failed_result.msg }}"}}]},
                {"name": "Save", "ansible.builtin.copy": {"content": "{{ {'result': rhoai_connector_result | default({}), "
                 "'msg': why | default(''), 'failed': why is defined} | to_json }}", "dest": str(out)},
                 "check_mode": False, "diff": False},
            ],
        }]
        book = Path(tmp) / "play.yml"
        book.write_text(yaml.safe_dump(play, sort_keys=False))
        run = run_playbook(book, kubeconfig, check=check)
        if not out.exists():
            raise AssertionError(f"ansible-playbook did not run the role:\n{run.output[-3000:]}")
        saved = json.loads(out.read_text())
    return dict(saved["result"], failed=saved["failed"], msg=saved["msg"], warnings=warnings_of(run.output),
                output=run.output)


def warnings_of(output: str) -> list[str]:
    """Ansible's warnings in a playbook's output, each joined again where the display wrapped it."""
    found: list[str] = []
    current: list[str] | None = None
    for line in output.splitlines():
        if "[WARNING]: " in line:
            current = [line.split("[WARNING]: ", 1)[1].strip()]
            found.append("")
        elif current is not None and line.strip() and not re.match(r"^(TASK|PLAY|ok:|changed:|skipping:|fatal:|\[)", line):
            current.append(line.strip())
        else:
            current = None
        if current is not None:
            found[-1] = " ".join(current)
    return found


def our_writes(cluster: Any, since: float) -> list[dict[str, Any]]:
    """Mutating requests the collection sent since ``since`` (from the API server's audit log)."""
    return cluster.write_requests(since=since, user_agent=USER_AGENT)


def describe(events: list[dict[str, Any]]) -> list[str]:
    return [f"{e.get('verb')} {e.get('requestURI')}" for e in events]
