"""The playbooks run inside the execution environment, the way an AAP execution node runs a job.

The image is built from execution-environment.yml with the differences of tests/ee/local-build.yml
(scripts/ee; built once, then reused while its inputs are unchanged). Each job goes
``ansible-runner transmit | podman run -i --user 23456 <EE> ansible-runner worker | ansible-runner
process``, with only what AAP's "OpenShift or Kubernetes API Bearer Token" credential injects:
K8S_AUTH_HOST, K8S_AUTH_API_KEY (a cluster-admin ServiceAccount's token), K8S_AUTH_VERIFY_SSL and
K8S_AUTH_SSL_CA_CERT (a file in the job's private data dir). One cluster (RHOAI 2.25 and the RHDH
Helm chart) gets, in order: a --check --diff job, the install, a re-run, verify, and uninstall.
The tests read the job events the controller got back and the API server's audit log.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import ee_build  # noqa: E402
from runner_job import ARBITRARY_UID, Job, run_job  # noqa: E402

USER_AGENT = "rhdh.ai_connector"
ADMIN_SA = "aap-credential"
NAMESPACE = "ai-rhdh"


@dataclass
class Jobs:
    cluster: Any
    token: str
    image: str
    build_seconds: float
    check: Job
    install: Job
    rerun: Job
    verify: Job
    uninstall: Job
    containers_installed: list[str]


def sa_token(cluster: Any) -> str:
    """What an AAP admin pastes into the credential: a cluster-admin ServiceAccount's token."""
    cluster.kubectl("create", "serviceaccount", ADMIN_SA, "-n", "default")
    cluster.kubectl("create", "clusterrolebinding", ADMIN_SA, "--clusterrole=cluster-admin",
                    f"--serviceaccount=default:{ADMIN_SA}")
    return cluster.kubectl("create", "token", ADMIN_SA, "-n", "default", "--duration=2h").stdout.strip()


def cluster_ca(cluster: Any) -> bytes:
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    return base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])


@pytest.fixture(scope="module")
def jobs(image: tuple[str, float], module_cluster_factory, tmp_path_factory) -> Jobs:
    cluster = module_cluster_factory("rhoai-2.25", "rhdh-helm")
    token = sa_token(cluster)
    work = tmp_path_factory.mktemp("ee-jobs")
    credential = {"K8S_AUTH_HOST": cluster.server, "K8S_AUTH_API_KEY": token, "K8S_AUTH_VERIFY_SSL": "true",
                  "K8S_AUTH_SSL_CA_CERT": "/runner/k8s-ca.crt"}
    files = {"k8s-ca.crt": cluster_ca(cluster)}
    extra = {"rhoai_connector_rhdh_namespace": NAMESPACE, "rhoai_connector_wait_timeout": 120}

    def job(playbook: str, cmdline: str = "") -> Job:
        done = run_job(image[0], work, playbook, credential, extra, cmdline=cmdline, files=files)
        print(f"EE job {playbook} {cmdline}: {done.status}, rc {done.rc}, {done.seconds:.1f} s")
        return done

    check = job("install.yml", "--check --diff")
    install = job("install.yml")
    installed = containers(cluster)
    rerun = job("install.yml")
    verify = job("verify.yml")
    uninstall = job("uninstall.yml")
    return Jobs(cluster, token, image[0], image[1], check, install, rerun, verify, uninstall, installed)


def containers(cluster: Any) -> list[str]:
    return cluster.kubectl("get", "deployment", "-n", NAMESPACE, "-o",
                           "jsonpath={.items[*].spec.template.spec.containers[*].name}").stdout.split()


def our_writes(cluster: Any, since: float, until: float | None = None) -> list[dict[str, Any]]:
    events = cluster.write_requests(since=since, user_agent=USER_AGENT)
    if until is not None:
        later = {e["auditID"] for e in cluster.write_requests(since=until, user_agent=USER_AGENT)}
        events = [e for e in events if e["auditID"] not in later]
    return events


def real(events: list[dict[str, Any]]) -> list[str]:
    """Writes that changed something (server-side dry runs left out), as 'verb uri'."""
    return [f"{e['verb']} {e['requestURI']}" for e in events if "dryRun=All" not in (e.get("requestURI") or "")]


def role_task_patterns() -> list[re.Pattern[str]]:
    """Every task name of the role, templated parts as wildcards: a job's task names must be these."""
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if isinstance(node.get("name"), str) and any(k in node for k in ("block", "rescue", "always")) is False:
                names.append(node["name"])
            for key in ("block", "rescue", "always"):
                walk(node.get(key))

    for path in sorted((ROOT / "roles" / "rhoai_connector" / "tasks").glob("*.yml")):
        walk(yaml.safe_load(path.read_text()))
    return [re.compile(re.sub(r"\\\{\\\{.*?\\\}\\\}", ".*", re.escape(n)) + "$") for n in names]


def assert_clean_job(job: Job, play: str) -> None:
    """A finished job: its play and the role's tasks in the events, a final summary, no failure."""
    assert job.rc == 0 and job.status == "successful", job.tail()
    assert play in [e["event_data"].get("play") for e in job.of("playbook_on_play_start")], job.tail()
    role_tasks = [e["event_data"]["task"] for e in job.of("playbook_on_task_start")
                  if e["event_data"].get("role") == "rhoai_connector"]
    patterns = role_task_patterns()
    unknown = [t for t in role_tasks if not any(p.match(t) for p in patterns)
               and not t.startswith("Validating arguments against arg spec")]
    assert role_tasks and not unknown, f"role tasks {role_tasks}, not in the role's files: {unknown}"
    assert job.results(), "no task of the collection's modules reported a result"
    assert job.count("failures") == 0 and job.count("dark") == 0, job.stats
    assert job.count("ok") > 0, job.stats


def test_image_is_the_definition_with_only_the_listed_differences(jobs: Jobs) -> None:
    """The image holds AAP 2.5's ansible-core and ansible-runner series and both collections."""
    env = ee_build.podman_env()
    out = subprocess.run(["podman", "run", "--rm", "--user", ARBITRARY_UID, jobs.image, "bash", "-c",
                          "ansible --version; ansible-runner --version; ansible-galaxy collection list;"
                          " ansible-doc -t strategy -l"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert re.search(r"ansible \[core 2\.16\.\d+\]", out.stdout), out.stdout
    assert re.search(r"^2\.4\.\d+$", out.stdout, re.M), out.stdout
    assert re.search(r"^kubernetes\.core\s+6\.", out.stdout, re.M), out.stdout
    assert re.search(r"^rhdh\.ai_connector\s+\d", out.stdout, re.M), out.stdout
    assert re.search(r"\bmitogen_linear\b", out.stdout), "Mitogen's strategies are not where ansible looks"
    size = subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", jobs.image], capture_output=True,
                          text=True, env=env, check=True).stdout.strip()
    print(f"image {jobs.image}: {int(size) / 1e6:.0f} MB, built or reused in {jobs.build_seconds:.0f} s")


def test_check_diff_job_shows_the_changes_and_writes_nothing(jobs: Jobs) -> None:
    job = jobs.check
    assert_clean_job(job, "Install the RHOAI connector for Red Hat Developer Hub")
    assert job.count("changed") > 0, job.stats
    diffs = [r for r in job.results() if r.get("res", {}).get("diff")]
    assert diffs, "a --check --diff job should carry the diff of what would change"
    assert real(our_writes(jobs.cluster, job.started, until=jobs.install.started)) == []


def test_install_job_converges_with_the_credential_variables_only(jobs: Jobs) -> None:
    job = jobs.install
    assert_clean_job(job, "Install the RHOAI connector for Red Hat Developer Hub")
    assert job.count("changed") > 0, job.stats
    users = {e.get("user", {}).get("username") for e in jobs.cluster.audit_events(job.started)
             if USER_AGENT in e.get("userAgent", "")}
    assert users == {f"system:serviceaccount:default:{ADMIN_SA}"}, users
    assert {"location", "storage-rest", "rhoai-normalizer"} <= set(jobs.containers_installed), jobs.containers_installed


def test_rerun_job_changes_nothing_and_writes_nothing(jobs: Jobs) -> None:
    job = jobs.rerun
    assert_clean_job(job, "Install the RHOAI connector for Red Hat Developer Hub")
    assert job.count("changed") == 0, job.stats
    assert real(our_writes(jobs.cluster, job.started, until=jobs.verify.started)) == []


def test_verify_job_reports_the_checks(jobs: Jobs) -> None:
    job = jobs.verify
    assert_clean_job(job, "Report on the RHOAI connector")
    assert job.count("changed") == 0, job.stats
    assert re.search(r"OK\s+location, storage-rest, rhoai-normalizer Ready", job.stdout), job.tail()


def test_uninstall_job_removes_the_connector(jobs: Jobs) -> None:
    job = jobs.uninstall
    assert_clean_job(job, "Uninstall the RHOAI connector from Red Hat Developer Hub")
    assert job.count("changed") > 0, job.stats
    left = jobs.cluster.kubectl("get", "serviceaccount,configmap,secret", "-n", NAMESPACE,
                                "-l", "app.kubernetes.io/managed-by=rhdh.ai_connector", "-o", "name").stdout.strip()
    assert left == "", left
    assert containers(jobs.cluster) == ["backstage-backend"]


def test_no_job_event_holds_the_token(jobs: Jobs) -> None:
    for job in (jobs.check, jobs.install, jobs.rerun, jobs.verify, jobs.uninstall):
        assert job.events, "no events came back"
        text = job.raw_events()
        assert jobs.token not in text, "the bearer token is in the job events"
        assert jobs.token[-24:] not in text and jobs.token[:24] not in text
        env_dumps = [e for e in job.events if "K8S_AUTH_API_KEY" in json.dumps(e)]
        assert env_dumps == [], "the credential's variable shows up in the events"
