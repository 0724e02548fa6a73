"""The fleet rollout (playbooks/fleet.yml) over three real clusters at once, and its report.

- ``healthy``: RHOAI 2.25 + RHDH operator 1.8, reached through a kubeconfig and a named context.
- ``refusing``: RHOAI 2.19 (the preflight refuses it), reached through host + bearer token, the token
  coming from a fleet credential file (what an AAP custom credential injects) and the CA from a file.
- ``unreachable``: host + a vaulted token, pointing at a closed port on 127.0.0.1.

One module fixture runs, in order: a ``--check --diff`` drift run on the fresh clusters, a real run
with the default batches (``healthy`` is the canary, then the two others), a second real run, and a
check run whose canary (``unreachable``, first in its inventory) fails. The drift and second runs
take all clusters in one batch, to save time. The tests read the runs' output, the JSON and
Markdown reports and the API servers' audit logs.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_run import ROOT, _playbook_bin, ansible_env, describe, our_writes

PLAYBOOK = ROOT / "playbooks" / "fleet.yml"
VAULT_PASSWORD = "fleet-test-vault"
FAKE_TOKEN = "not-a-real-token-0123456789abcdef"
ADMIN_SA = "fleet-admin"


@dataclass
class Run:
    rc: int
    output: str
    started: float
    seconds: float
    report: dict[str, Any]
    markdown: str

    def cluster(self, name: str) -> dict[str, Any]:
        return next(c for c in self.report["clusters"] if c["name"] == name)


@dataclass
class Fleet:
    healthy: Any
    refusing: Any
    token: str
    drift: Run
    first: Run
    second: Run
    canary: Run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_token(cluster: Any) -> str:
    """A bearer token of a cluster-admin ServiceAccount (the host + api_key credential style)."""
    cluster.kubectl("create", "serviceaccount", ADMIN_SA, "-n", "default")
    cluster.kubectl("create", "clusterrolebinding", ADMIN_SA, "--clusterrole=cluster-admin",
                    f"--serviceaccount=default:{ADMIN_SA}")
    return cluster.kubectl("create", "token", ADMIN_SA, "-n", "default", "--duration=1h").stdout.strip()


def ca_file(cluster: Any, dest: Path) -> Path:
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    dest.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    return dest


def vaulted(value: str, name: str, password_file: Path) -> str:
    """``name: !vault |...``: a host_vars file as ``ansible-vault encrypt_string`` writes it."""
    out = subprocess.run(
        [str(Path(_playbook_bin()).with_name("ansible-vault")), "encrypt_string", "--vault-password-file",
         str(password_file), "--name", name, value],
        capture_output=True, text=True, check=True, env=ansible_env(None))
    return out.stdout


def write_inventory(path: Path, order: list[str], hosts: dict[str, dict[str, Any]], vault_text: str) -> Path:
    path.mkdir(parents=True)
    inventory = {"fleet": {"hosts": {name: hosts[name] for name in order},
                           "vars": {"rhoai_connector_wait_timeout": 120}}}
    (path / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (path / "host_vars").mkdir()
    (path / "host_vars" / "unreachable.yml").write_text(vault_text)
    return path


def run_fleet(inventory: Path, report_dir: Path, password_file: Path, tokens_file: Path,
              check: bool = False, batches: str | None = None) -> Run:
    extra = {"fleet_report_dir": str(report_dir), "fleet_tokens_file": str(tokens_file)}
    if batches:
        extra["fleet_batches"] = batches  # the string form an AAP survey gives
    cmd = [_playbook_bin(), str(PLAYBOOK), "-i", str(inventory), "--vault-password-file", str(password_file),
           "-e", json.dumps(extra)]
    if check:
        cmd += ["--check", "--diff"]
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(None), capture_output=True, text=True, timeout=600)
    seconds = time.time() - started
    output = proc.stdout + proc.stderr
    json_report = report_dir / "fleet-report.json"
    assert json_report.exists(), f"no report written (rc {proc.returncode}):\n{output[-4000:]}"
    print(f"\nfleet run {'--check --diff ' if check else ''}-> {report_dir.name}: {seconds:.1f} s, rc {proc.returncode}")
    return Run(proc.returncode, output, started, seconds, json.loads(json_report.read_text()),
               (report_dir / "fleet-report.md").read_text())


@pytest.fixture(scope="module")
def fleet(module_cluster_factory, tmp_path_factory) -> Fleet:
    healthy = module_cluster_factory("rhoai-2.25", "rhdh-operator-1.8")
    refusing = module_cluster_factory("rhoai-2.19", "rhdh-operator-1.8")
    tmp = tmp_path_factory.mktemp("fleet")
    token = admin_token(refusing)
    password_file = tmp / "vault-password"
    password_file.write_text(VAULT_PASSWORD + "\n")
    tokens_file = tmp / "fleet-tokens.yml"
    tokens_file.write_text(yaml.safe_dump({"refusing": token}))
    context = yaml.safe_load(Path(healthy.kubeconfig).read_text())["current-context"]
    hosts = {
        "healthy": {"rhoai_connector_kubeconfig": str(healthy.kubeconfig), "rhoai_connector_context": context},
        "refusing": {"rhoai_connector_host": refusing.server,
                     "rhoai_connector_ca_cert": str(ca_file(refusing, tmp / "refusing-ca.crt"))},
        "unreachable": {"rhoai_connector_host": f"https://127.0.0.1:{closed_port()}",
                        "rhoai_connector_validate_certs": False},
    }
    vault_text = vaulted(FAKE_TOKEN, "rhoai_connector_api_key", password_file)
    inventory = write_inventory(tmp / "inventory", ["healthy", "refusing", "unreachable"], hosts, vault_text)
    canary_first = write_inventory(tmp / "inventory-canary", ["unreachable", "refusing", "healthy"], hosts, vault_text)
    args = (password_file, tokens_file)
    drift = run_fleet(inventory, tmp / "drift", *args, check=True, batches="100%")
    first = run_fleet(inventory, tmp / "first", *args)
    second = run_fleet(inventory, tmp / "second", *args, batches="100%")
    canary = run_fleet(canary_first, tmp / "canary", *args, check=True)
    return Fleet(healthy, refusing, token, drift, first, second, canary)


def real_writes(cluster: Any, since: float, until: float | None = None) -> list[dict[str, Any]]:
    """The collection's writes from ``since`` to ``until``, server-side dry runs left out."""
    later = {e["auditID"] for e in our_writes(cluster, until)} if until else set()
    return [e for e in our_writes(cluster, since)
            if "dryRun=All" not in (e.get("requestURI") or "") and e["auditID"] not in later]


def test_drift_run_reports_what_would_change_and_writes_nothing(fleet: Fleet) -> None:
    run = fleet.drift
    healthy = run.cluster("healthy")
    assert run.report["check_mode"] is True
    assert healthy["status"] == "changed" and healthy["would_change"] is True
    steps = {step["step"] for step in healthy["changes"]}
    assert {"rbac", "dynamic_plugins", "app_config", "sidecars"} <= steps, healthy["changes"]
    assert any("ServiceAccount ai-rhdh/rhdh-rhoai-connector created" in line
               for step in healthy["changes"] for line in step["changes"])
    assert run.report["totals"] == {"clusters": 3, "ok": 0, "changed": 1, "refused": 1, "unreachable": 1,
                                    "failed": 0, "not_run": 0}
    assert run.markdown.startswith("# Drift report (check mode")
    assert "## healthy: would change" in run.markdown
    for cluster in (fleet.healthy, fleet.refusing):
        writes = real_writes(cluster, run.started, until=fleet.first.started)
        assert writes == [], f"the check run wrote to {cluster.name}: {describe(writes)}"


def test_first_run_converges_the_healthy_cluster(fleet: Fleet) -> None:
    healthy = fleet.first.cluster("healthy")
    assert healthy["status"] == "changed", healthy
    assert healthy["would_change"] is False
    assert healthy["rhoai"]["version"] == "2.25.0"
    assert healthy["rhoai"]["registries"] == ["registry-prod", "team-a-registry"]
    assert healthy["rhdh"]["install_type"] == "operator" and healthy["rhdh"]["rhdh_version"] == "1.8"
    assert all(v["status"] == "ok" for v in healthy["preflight"]), healthy["preflight"]
    assert healthy["verify"]["ok"] is True
    assert healthy["error"] == {}
    assert healthy["connection"]["context"].startswith("testbed-")
    sidecars = fleet.healthy.kubectl("get", "backstage", "developer-hub", "-n", "ai-rhdh", "-o",
                                     "jsonpath={.spec.deployment.patch.spec.template.spec.containers[*].name}").stdout
    assert {"location", "storage-rest", "rhoai-normalizer"} <= set(sidecars.split()), sidecars


def test_refusing_cluster_is_reported_refused_with_the_preflight_message(fleet: Fleet) -> None:
    refusing = fleet.first.cluster("refusing")
    assert refusing["status"] == "refused"
    assert "older than 2.20" in refusing["error"]["message"]
    assert refusing["error"]["fix"]
    assert refusing["rhoai"]["version"] == "2.19.0"
    assert [v["check"] for v in refusing["preflight"] if v["status"] == "fail"] == ["version"]
    assert refusing["changes"] == []
    assert refusing["connection"] == {"host": fleet.refusing.server, "token": "set"}
    writes = real_writes(fleet.refusing, fleet.drift.started)
    assert writes == [], f"the refused cluster was written to: {describe(writes)}"


def test_unreachable_cluster_is_reported_unreachable(fleet: Fleet) -> None:
    unreachable = fleet.first.cluster("unreachable")
    assert unreachable["status"] == "unreachable"
    assert "Connection refused" in unreachable["error"]["message"]
    assert "reachable" in unreachable["error"]["fix"]
    assert unreachable["rhoai"] == {} and unreachable["changes"] == []


def test_reports_totals_markdown_and_exit_code(fleet: Fleet) -> None:
    run = fleet.first
    assert run.report["totals"] == {"clusters": 3, "ok": 0, "changed": 1, "refused": 1, "unreachable": 1,
                                    "failed": 0, "not_run": 0}
    assert [c["name"] for c in run.report["clusters"]] == ["healthy", "refusing", "unreachable"]
    assert run.markdown.startswith("# Fleet report")
    for name, label in (("healthy", "changed"), ("refusing", "REFUSED by preflight"), ("unreachable", "UNREACHABLE")):
        assert f"## {name}: {label}" in run.markdown
    assert run.rc == 2, "clusters that did not converge must fail the run"
    for name in ("refusing", "unreachable"):
        assert re.search(rf"^{name}\s*:.*failed=1", run.output, re.M), f"{name} not counted as failed"
    assert re.search(r"^healthy\s*:.*failed=0", run.output, re.M)
    for text in (run.output, json.dumps(run.report), run.markdown, fleet.drift.output, fleet.second.output):
        assert fleet.token not in text and FAKE_TOKEN not in text, "a token was printed"


def test_second_run_changes_nothing_on_the_healthy_cluster(fleet: Fleet) -> None:
    healthy = fleet.second.cluster("healthy")
    assert healthy["status"] == "ok" and healthy["changes"] == [], healthy["changes"]
    assert fleet.second.report["totals"]["ok"] == 1 and fleet.second.report["totals"]["changed"] == 0
    writes = our_writes(fleet.healthy, fleet.second.started)
    assert writes == [], f"the second run wrote: {describe(writes)}"


def test_failed_canary_stops_the_rollout_and_still_reports(fleet: Fleet) -> None:
    run = fleet.canary
    assert run.cluster("unreachable")["status"] == "unreachable"
    for name in ("refusing", "healthy"):
        entry = run.cluster(name)
        assert entry["status"] == "not_run", entry
        assert "unreachable" in entry["error"]["message"]
    assert run.report["totals"]["not_run"] == 2
    assert run.rc == 2
    assert "## healthy: not run" in run.markdown


def test_runtimes(fleet: Fleet) -> None:
    runs = {"drift": fleet.drift, "first": fleet.first, "second": fleet.second, "canary": fleet.canary}
    for name, run in runs.items():
        print(f"{name}: {run.seconds:.1f} s")
        assert run.seconds < 240, f"the {name} run took {run.seconds:.0f} s"


def test_modules_read_the_aap_bearer_token_variables(fleet: Fleet, tmp_path: Path) -> None:
    """What AAP's "OpenShift or Kubernetes API Bearer Token" credential injects is enough: verify.yml
    with only K8S_AUTH_HOST, K8S_AUTH_API_KEY, K8S_AUTH_VERIFY_SSL and K8S_AUTH_SSL_CA_CERT set (no
    kubeconfig anywhere: HOME is empty) reads the healthy cluster and finds the connector in place."""
    token = admin_token(fleet.healthy)
    env = ansible_env(None)
    env.update({"HOME": str(tmp_path), "K8S_AUTH_HOST": fleet.healthy.server, "K8S_AUTH_API_KEY": token,
                "K8S_AUTH_VERIFY_SSL": "true",
                "K8S_AUTH_SSL_CA_CERT": str(ca_file(fleet.healthy, tmp_path / "ca.crt"))})
    env.pop("K8S_AUTH_KUBECONFIG", None)
    started = time.time()
    proc = subprocess.run([_playbook_bin(), str(ROOT / "playbooks" / "verify.yml")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    print(f"verify.yml with K8S_AUTH_* only: {time.time() - started:.1f} s")
    assert proc.returncode == 0, output[-3000:]
    assert "OK  location, storage-rest, rhoai-normalizer Ready in 1/1 pod" in output, output[-3000:]
    users = {e.get("user", {}).get("username") for e in fleet.healthy.audit_events(started)
             if "rhdh.ai_connector" in e.get("userAgent", "")}
    assert users == {f"system:serviceaccount:default:{ADMIN_SA}"}, users
    assert token not in output
    assert not (tmp_path / ".kube").exists()


EXAMPLE = ROOT / "inventories" / "example"
EXAMPLE_VAULT_PASSWORD = "example-only-vault-password"  # documented in inventories/example/README.md


def test_example_inventory_shows_both_credential_styles(tmp_path: Path) -> None:
    password_file = tmp_path / "vault-password"
    password_file.write_text(EXAMPLE_VAULT_PASSWORD + "\n")
    tool = Path(_playbook_bin()).with_name
    env = ansible_env(None)
    listed = subprocess.run([str(tool("ansible-inventory")), "-i", str(EXAMPLE), "--list"],
                            capture_output=True, text=True, env=env, check=True)
    data = json.loads(listed.stdout)
    hostvars = data["_meta"]["hostvars"]
    assert sorted(data["fleet"]["hosts"]) == ["prod-east", "prod-west", "staging"]
    assert hostvars["prod-east"]["rhoai_connector_kubeconfig"] and hostvars["prod-east"]["rhoai_connector_context"]
    for name in ("prod-west", "staging"):
        assert hostvars[name]["rhoai_connector_host"].startswith("https://")
    assert "__ansible_vault" in hostvars["prod-west"]["vault_rhoai_connector_api_key"]
    assert all(h["rhoai_connector_wait_timeout"] == 600 for h in hostvars.values()), "group_vars not applied"
    opened = subprocess.run([str(tool("ansible")), "prod-west", "-i", str(EXAMPLE), "-c", "local", "-m",
                             "ansible.builtin.debug", "-a", "var=rhoai_connector_api_key",
                             "--vault-password-file", str(password_file)],
                            capture_output=True, text=True, env=env)
    assert "replace-with-the-token-of-prod-west" in opened.stdout, opened.stdout + opened.stderr
    syntax = subprocess.run([_playbook_bin(), str(PLAYBOOK), "-i", str(EXAMPLE), "--syntax-check"],
                            capture_output=True, text=True, env=env, cwd=ROOT)
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr
