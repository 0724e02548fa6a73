"""Run a playbook the way an AAP execution node runs a job: in the execution environment, through
ansible-runner's streaming protocol.

    ansible-runner transmit <private data dir>                     (the controller packs the job)
      | podman run -i --user <uid> <EE> ansible-runner worker      (the execution node runs it)
      | ansible-runner process <out dir>                           (the controller unpacks events)

The private data dir is laid out as AAP lays it: ``project/`` (the repository's playbooks, as a
project sync gives them; the collection itself comes from the image), ``inventory/hosts``,
``env/envvars`` (what a credential injects, e.g. K8S_AUTH_*), ``env/extravars`` and ``env/cmdline``.
:func:`bearer_token_credential` and :func:`custom_credential` fill a job as AAP's credentials do.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The uid the worker runs under: any, as on OpenShift-run execution nodes; only group 0 is given.
ARBITRARY_UID = "23456"
# AAP's inventories give localhost these (the EE's Python has the collection's requirements).
INVENTORY = "localhost ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n"


@dataclass
class Job:
    """One job's outcome as the controller sees it after ``ansible-runner process``."""

    rc: int
    status: str
    stdout: str
    events: list[dict[str, Any]]
    started: float
    seconds: float
    pipeline_stderr: str = ""
    artifacts: Path = field(default_factory=Path)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]

    @property
    def stats(self) -> dict[str, Any]:
        stats = self.of("playbook_on_stats")
        if len(stats) != 1:
            raise AssertionError(f"expected one playbook_on_stats event, got {len(stats)}: {self.tail()}")
        return stats[0]["event_data"]

    def count(self, key: str, host: str = "localhost") -> int:
        return int((self.stats.get(key) or {}).get(host, 0))

    def task_names(self) -> list[str]:
        return [e["event_data"].get("task", "") for e in self.of("playbook_on_task_start")]

    def results(self, action_prefix: str = "rhdh.ai_connector.") -> list[dict[str, Any]]:
        """The results of the collection's module tasks (runner_on_ok / runner_on_failed)."""
        return [e["event_data"] for e in self.events
                if e.get("event") in ("runner_on_ok", "runner_on_failed")
                and str(e["event_data"].get("resolved_action", "")).startswith(action_prefix)]

    def raw_events(self) -> str:
        """Every event file and the job's stdout, as stored, for searches (tokens)."""
        texts = [p.read_text(errors="replace") for p in sorted((self.artifacts / "job_events").glob("*.json"))]
        return "\n".join(texts + [self.stdout])

    def tail(self, chars: int = 4000) -> str:
        return (self.stdout + "\n" + self.pipeline_stderr)[-chars:]


@dataclass
class Injected:
    """What credentials give a job: environment variables, files (paths relative to the private data
    dir) and arguments to ansible-playbook (``-e @<file>``, the extra vars of a custom credential)."""

    envvars: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def __add__(self, other: Injected) -> Injected:
        return Injected({**self.envvars, **other.envvars}, {**self.files, **other.files}, self.args + other.args)

    @property
    def cmdline(self) -> str:
        return shlex.join(self.args)

    def private_file(self, data: str) -> str:
        """A file the way AAP writes a credential's: a temporary name under the private data dir's
        ``env/``. Returns its path inside the EE."""
        name = f"env/tmp{uuid.uuid4().hex[:8]}"
        self.files[name] = data.encode()
        return f"/runner/{name}"


def bearer_token_credential(host: str, token: str, ca_data: str = "", verify_ssl: bool = True) -> Injected:
    """AAP's built-in "OpenShift or Kubernetes API Bearer Token" credential, as its injector fills a job
    (``kubernetes_bearer_token`` in awx-plugins): K8S_AUTH_HOST and K8S_AUTH_API_KEY; with verify_ssl
    and CA data, K8S_AUTH_VERIFY_SSL ``True`` and K8S_AUTH_SSL_CA_CERT naming a file holding the
    data; otherwise K8S_AUTH_VERIFY_SSL ``False`` and no CA."""
    injected = Injected({"K8S_AUTH_HOST": host, "K8S_AUTH_API_KEY": token})
    if verify_ssl and ca_data:
        injected.envvars["K8S_AUTH_VERIFY_SSL"] = "True"
        injected.envvars["K8S_AUTH_SSL_CA_CERT"] = injected.private_file(ca_data)
    else:
        injected.envvars["K8S_AUTH_VERIFY_SSL"] = "False"
    return injected


def custom_credential(credential_type: dict[str, Any], inputs: dict[str, Any]) -> Injected:
    """A credential of a custom type (``{"inputs": ..., "injectors": ...}`` as pasted into AAP), injected
    the way AAP does it (``inject_credential`` in awx-plugins): the injectors are rendered with Jinja's
    immutable sandbox from the credential's inputs, where an empty string is left undefined and a
    boolean field not given is False. Each ``file`` template is written to a file under ``env/``,
    named to the other injectors as ``tower.filename`` (one file) or ``tower.filename.<label>``
    (``template.<label>``); ``env`` injectors become environment variables; every ``extra_vars``
    value is rendered to a string, and the lot is written as YAML to a file under ``env/`` that the
    job gets as ``-e @<file>``."""
    sandbox = ImmutableSandboxedEnvironment()
    namespace: dict[str, Any] = {key: value for key, value in inputs.items() if isinstance(value, bool) or value}
    for spec in credential_type["inputs"].get("fields", []):
        if spec.get("type") == "boolean" and spec["id"] not in inputs:
            namespace[spec["id"]] = False
    injectors = credential_type.get("injectors") or {}
    injected = Injected()
    single, labelled = None, {}
    for label, template in (injectors.get("file") or {}).items():
        path = injected.private_file(sandbox.from_string(template).render(**namespace))
        if "." in label:
            labelled[label.split(".", 1)[1]] = path
        else:
            single = path
    namespace["tower"] = SimpleNamespace(filename=single or SimpleNamespace(**labelled))
    for name, template in (injectors.get("env") or {}).items():
        injected.envvars[name] = sandbox.from_string(template).render(**namespace)

    def render(node: Any) -> Any:
        if isinstance(node, dict):
            return {str(render(key)): render(value) for key, value in node.items()}
        if isinstance(node, list):
            return [render(item) for item in node]
        return sandbox.from_string(node).render(**namespace)

    extra_vars = render(injectors.get("extra_vars") or {})
    if extra_vars:
        injected.args += ["-e", "@" + injected.private_file(yaml.safe_dump(extra_vars))]
    return injected


def podman_env() -> dict[str, str]:
    sys.path.insert(0, str(HERE))
    import ee_build

    return ee_build.podman_env()


def runner_bin() -> str:
    candidate = Path(sys.executable).with_name("ansible-runner")
    return str(candidate) if candidate.exists() else "ansible-runner"


def write_private_data_dir(pdd: Path, playbook: str, envvars: dict[str, str], extravars: dict[str, Any],
                           cmdline: str = "", files: dict[str, bytes] | None = None) -> None:
    """The job's private data dir. ``files`` are written at its top (credential files, e.g. a CA);
    inside the EE they are under /runner/."""
    shutil.copytree(ROOT / "playbooks", pdd / "project")
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "inventory" / "hosts").write_text(INVENTORY)
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    (pdd / "env" / "extravars").write_text(json.dumps(extravars))
    (pdd / "env" / "settings").write_text(json.dumps({"suppress_env_files": True}))
    if cmdline:
        (pdd / "env" / "cmdline").write_text(cmdline)
    for name, data in (files or {}).items():
        (pdd / name).write_bytes(data)
    if not (pdd / "project" / playbook).is_file():
        raise AssertionError(f"no playbook {playbook} in {pdd / 'project'}")


def run_job(image: str, work: Path, playbook: str, envvars: dict[str, str], extravars: dict[str, Any] | None = None,
            cmdline: str = "", files: dict[str, bytes] | None = None, uid: str = ARBITRARY_UID,
            timeout: int = 600) -> Job:
    """transmit | podman run … worker | process, and the events the controller got back."""
    ident = f"job-{uuid.uuid4().hex[:8]}"
    pdd, out = work / ident / "private", work / ident / "processed"
    write_private_data_dir(pdd, playbook, envvars, extravars or {}, cmdline, files)
    out.mkdir(parents=True)
    runner = runner_bin()
    worker = ["podman", "run", "--rm", "-i", "--user", uid, "--network", "host", image,
              "ansible-runner", "worker", "--private-data-dir=/runner"]
    env = dict(podman_env(), ANSIBLE_NOCOLOR="1")
    started = time.time()
    transmit = subprocess.Popen([runner, "transmit", str(pdd), "-p", playbook, "--ident", ident],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    work_proc = subprocess.Popen(worker, stdin=transmit.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert transmit.stdout is not None
    transmit.stdout.close()
    process = subprocess.Popen([runner, "process", str(out), "--ident", ident], stdin=work_proc.stdout,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert work_proc.stdout is not None
    work_proc.stdout.close()
    try:
        stdout, process_err = process.communicate(timeout=timeout)
    finally:
        for proc in (transmit, work_proc, process):
            if proc.poll() is None:
                proc.kill()
    _, transmit_err = transmit.communicate()
    _, worker_err = work_proc.communicate()
    seconds = time.time() - started
    errors = "\n".join(f"{name}: {text.decode(errors='replace')}" for name, text in
                       (("transmit", transmit_err), ("worker", worker_err), ("process", process_err)) if text.strip())
    artifacts = out / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in (artifacts / "job_events").glob("*.json")] \
        if (artifacts / "job_events").is_dir() else []
    events.sort(key=lambda e: e.get("counter", 0))
    rc_file, status_file = artifacts / "rc", artifacts / "status"
    rc = int(rc_file.read_text()) if rc_file.exists() else -1
    status = status_file.read_text().strip() if status_file.exists() else "unknown"
    stdout_text = (artifacts / "stdout").read_text(errors="replace") if (artifacts / "stdout").exists() \
        else stdout.decode(errors="replace")
    for proc, name in ((transmit, "transmit"), (work_proc, "worker")):
        if proc.returncode not in (0, None) and rc == -1:
            errors += f"\n{name} exited {proc.returncode}"
    return Job(rc, status, stdout_text, events, started, seconds, errors, artifacts)


def main(argv: list[str]) -> int:
    """By hand: ``python tests/ee/runner_job.py <image> <playbook>`` with K8S_AUTH_* set in the
    environment (their CA file, if any, is passed into the job)."""
    import tempfile

    image, playbook = argv[0], argv[1]
    envvars = {k: v for k, v in os.environ.items() if k.startswith("K8S_AUTH_")}
    files = {}
    if envvars.get("K8S_AUTH_SSL_CA_CERT"):
        files["k8s-ca.crt"] = Path(envvars["K8S_AUTH_SSL_CA_CERT"]).read_bytes()
        envvars["K8S_AUTH_SSL_CA_CERT"] = "/runner/k8s-ca.crt"
    with tempfile.TemporaryDirectory(prefix="ee-job-") as tmp:
        job = run_job(image, Path(tmp), playbook, envvars, files=files, cmdline=" ".join(argv[2:]))
        print(job.stdout)
        print(f"status {job.status}, rc {job.rc}, {job.seconds:.1f} s, {len(job.events)} events", file=sys.stderr)
        return job.rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
