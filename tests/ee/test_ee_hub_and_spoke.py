"""Hub and spoke as AAP runs its job templates: RHDH (the real RHDH 2.0 operator) on one testbed cluster,
OpenShift AI on another, and the jobs inside the execution environment through ansible-runner's worker
protocol (runner_job.py).

The job carries the two credentials docs/aap.md prescribes, built as AAP injects them: the built-in
"OpenShift or Kubernetes API Bearer Token" of the RHDH cluster (K8S_AUTH_HOST, K8S_AUTH_API_KEY,
K8S_AUTH_VERIFY_SSL and K8S_AUTH_SSL_CA_CERT naming a file in the private data dir), and a credential of
the custom type defined in docs/aap.md for the OpenShift AI cluster, its input and injector
configuration read from that page and rendered as AAP renders them (a file under /runner/env for the
CA, the extra vars in a file given as ``-e @file``). Each token is a cluster-admin ServiceAccount's.

Three jobs, in order: install, a re-run, uninstall. The tests read the job events and both API
servers' audit logs and objects.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from runner_job import Job, bearer_token_credential, custom_credential, run_job  # noqa: E402
from test_ee_jobs import assert_clean_job, cluster_ca, our_writes, sa_token  # noqa: E402
from testbed.kube import wait_for  # noqa: E402

HEADING = "### Hub and spoke: two credentials, one of them for the OpenShift AI cluster"
NS = "ai-rhdh"
WORKLOAD = "backstage-developer-hub"
COPY = "rhdh-kserve-kubeflow-connector-rhoai-token"
TOKEN = "rhdh-kserve-kubeflow-connector-token"
CONNECTOR = "rhdh-kserve-kubeflow-connector"
APP_CONFIG = "rhdh-rhoai-connector-app-config"
ENTRY = ("catalog", "providers", "modelCatalog", "kserve-kubeflow-connector", "rhoai")
MANAGED = "app.kubernetes.io/managed-by=rhdh.ai_connector"
INSTALL_PLAY = "Install the RHOAI connector for Red Hat Developer Hub"
UNINSTALL_PLAY = "Uninstall the RHOAI connector from Red Hat Developer Hub"


@dataclass
class HubJobs:
    hub: Any
    spoke: Any
    secrets: dict[str, str]  # what must show in no job event: the credentials' tokens, the connector's
    before: dict[str, Any]
    installed: dict[str, Any]
    after: dict[str, Any]
    install: Job
    rerun: Job
    uninstall: Job


def credential_type_in_docs(heading: str = HEADING) -> dict[str, Any]:
    """The custom credential type a section of docs/aap.md defines: its first YAML block is the input
    configuration, its second the injector configuration, as an admin pastes them into AAP."""
    section = (ROOT / "docs" / "aap.md").read_text(encoding="utf-8").split(heading, 1)[1]
    section = re.split(r"\n##+ ", section, maxsplit=1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) >= 2, f"no input and injector configuration under {heading!r}"
    return {"inputs": yaml.safe_load(blocks[0]), "injectors": yaml.safe_load(blocks[1])}


def get(cluster: Any, *args: str) -> dict[str, Any] | None:
    proc = cluster.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def names(cluster: Any, *args: str) -> set[str]:
    return {item["metadata"]["name"] for item in get(cluster, *args)["items"]}


def snapshot(hub: Any, spoke: Any) -> dict[str, Any]:
    """What the collection may touch on either cluster (as tests/integration/test_hub_and_spoke.py compares
    it): the ConfigMaps the RHDH 2.0 operator renders from the user's (owned by the Backstage CR) are left
    out, the operator may re-render them in another order."""
    configmaps = {c["metadata"]["name"]: c.get("data") for c in get(hub, "configmaps", "-n", NS)["items"]
                  if "Backstage" not in [o.get("kind") for o in c["metadata"].get("ownerReferences") or []]}
    return {"cr_spec": get(hub, "backstage", "developer-hub", "-n", NS)["spec"], "configmaps": configmaps,
            "secrets": names(hub, "secrets", "-n", NS), "hub_clusterroles": names(hub, "clusterroles"),
            "hub_managed": names(hub, "serviceaccounts,configmaps,secrets", "-A", "-l", MANAGED),
            "spoke_namespaces": names(spoke, "namespaces"), "spoke_clusterroles": names(spoke, "clusterroles"),
            "spoke_clusterrolebindings": names(spoke, "clusterrolebindings"),
            "spoke_managed": names(spoke, "namespaces,clusterroles,clusterrolebindings", "-l", MANAGED)}


def backend_env(hub: Any) -> list[dict[str, Any]]:
    """The environment of RHDH's container in the Deployment the operator rendered."""
    pod = get(hub, "deployment", WORKLOAD, "-n", NS)["spec"]["template"]["spec"]
    return next(c for c in pod["containers"] if c["name"] == "backstage-backend").get("env") or []


def installed_state(hub: Any, spoke: Any) -> dict[str, Any]:
    doc = yaml.safe_load(get(hub, "configmap", APP_CONFIG, "-n", NS)["data"]["app-config.rhoai-connector.yaml"])
    for key in ENTRY:
        doc = doc[key]
    return {"copy": get(hub, "secret", COPY, "-n", NS), "entry": doc, "env": backend_env(hub),
            "hub_service_account": get(hub, "serviceaccount", CONNECTOR, "-n", NS),
            "spoke_namespace": get(spoke, "namespace", NS), "spoke_token": get(spoke, "secret", TOKEN, "-n", NS),
            "spoke_binding": get(spoke, "clusterrolebinding", CONNECTOR)}


@pytest.fixture(scope="module")
def hub_jobs(image: tuple[str, float], module_cluster_factory, tmp_path_factory) -> HubJobs:
    hub = module_cluster_factory("rhdh-operator-2.0")
    spoke = module_cluster_factory("rhoai-2.25")
    hub_token, spoke_token = sa_token(hub), sa_token(spoke)
    credentials = bearer_token_credential(hub.server, hub_token, cluster_ca(hub).decode()) + custom_credential(
        credential_type_in_docs(),
        {"host": spoke.server, "token": spoke_token, "ca_data": cluster_ca(spoke).decode(), "verify_ssl": True})
    # The template's extra vars. Both testbed API servers listen on 127.0.0.1, so the provider entry's url (the
    # spoke's API server as the run reached it) is a loopback address, which preflight refuses unless it is said to
    # be reachable from RHDH's pod: here it is, both clusters are on this machine (and the EE runs on the host's
    # network, see run_job, to reach them at all). The RHDH release is given, as a survey would: nothing on the testbed
    # tells it (RHDH's image tag is `next`, no ClusterServiceVersion without OLM, and the CRD serves what RHDH
    # 1.10 serves too), and preflight refuses without it.
    extra = {"rhoai_connector_rhdh_namespace": NS, "rhoai_connector_rhdh_version": "2.0",
             "rhoai_connector_rhoai_url_reachable": True, "rhoai_connector_wait_timeout": 120}
    work = tmp_path_factory.mktemp("ee-hub-jobs")
    before = snapshot(hub, spoke)

    def job(playbook: str) -> Job:
        done = run_job(image[0], work, playbook, credentials.envvars, extra, cmdline=credentials.cmdline,
                       files=credentials.files)
        print(f"EE hub and spoke job {playbook}: {done.status}, rc {done.rc}, {done.seconds:.1f} s")
        return done

    install = job("install.yml")
    installed = installed_state(hub, spoke) if install.rc == 0 else {}
    rerun = job("install.yml")
    uninstall = job("uninstall.yml")
    if uninstall.rc == 0:
        wait_for(f"namespace {NS} to go from the OpenShift AI cluster",
                 lambda: get(spoke, "namespace", NS) is None, 60, 0.5)
    after = snapshot(hub, spoke)
    connector = (installed.get("spoke_token") or {}).get("data", {}).get("token", "")
    secrets = {"RHDH credential's token": hub_token, "OpenShift AI credential's token": spoke_token,
               "connector's token, base64": connector,
               "connector's token": base64.b64decode(connector).decode() if connector else ""}
    return HubJobs(hub, spoke, secrets, before, installed, after, install, rerun, uninstall)


def test_docs_credential_type_gives_the_role_its_openshift_ai_connection() -> None:
    """docs/aap.md's custom type, injected as AAP does: role variables only, the CA as a file in the EE."""
    credential_type = credential_type_in_docs()
    options = yaml.safe_load((ROOT / "roles" / "rhoai_connector" / "meta" / "argument_specs.yml").read_text())
    options = options["argument_specs"]["main"]["options"]
    fields = {f["id"]: f for f in credential_type["inputs"]["fields"]}
    assert fields["token"].get("secret") is True, fields["token"]
    injected = custom_credential(credential_type, {"host": "https://api.ai.example.com:6443", "token": "sha256~t",
                                                   "ca_data": "-----BEGIN CERTIFICATE-----\n", "verify_ssl": False})
    assert injected.envvars == {} and injected.args[0] == "-e", injected
    extra_vars = yaml.safe_load(injected.files[injected.args[1].removeprefix("@/runner/")])
    assert set(extra_vars) <= set(options), set(extra_vars) - set(options)
    assert extra_vars["rhoai_connector_rhoai_host"] == "https://api.ai.example.com:6443"
    assert extra_vars["rhoai_connector_rhoai_api_key"] == "sha256~t"
    ca_file = extra_vars["rhoai_connector_rhoai_ca_cert"]
    assert injected.files[ca_file.removeprefix("/runner/")] == b"-----BEGIN CERTIFICATE-----\n"
    # AAP renders every extra var to a string: the role's bool option gets "False" and takes it as false
    assert extra_vars["rhoai_connector_rhoai_validate_certs"] == "False"
    assert options["rhoai_connector_rhoai_validate_certs"]["type"] == "bool"
    assert options["rhoai_connector_rhoai_api_key"].get("no_log") is True


def test_install_job_puts_each_object_on_its_cluster(hub_jobs: HubJobs) -> None:
    job, state, spoke = hub_jobs.install, hub_jobs.installed, hub_jobs.spoke
    assert_clean_job(job, INSTALL_PLAY)
    assert job.count("changed") > 0, job.stats
    # the OpenShift AI cluster: the connector's namespace, ServiceAccount, binding and token
    assert state["spoke_namespace"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "rhdh.ai_connector"
    subjects = state["spoke_binding"]["subjects"]
    assert subjects == [{"kind": "ServiceAccount", "name": CONNECTOR, "namespace": NS}], subjects
    token = state["spoke_token"]["data"]
    # the RHDH cluster: no ServiceAccount of the connector, the copy of the token from the OpenShift AI cluster
    assert state["hub_service_account"] is None
    copy = state["copy"]
    assert copy["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "rhdh.ai_connector"
    assert copy["metadata"]["annotations"]["rhdh.ai-connector/rhoai-url"] == spoke.server
    assert copy["data"]["token"] == token["token"] and copy["data"]["ca.crt"] == token["ca.crt"]
    # the provider entry names the OpenShift AI cluster's API server (the credential's host) and its CA
    entry = state["entry"]
    assert entry["url"] == spoke.server and entry["serviceAccountToken"] == "${token}", entry
    assert entry["caData"] == token["ca.crt"], entry
    # the pod the operator rendered reads the token from the copy
    refs = [e["valueFrom"]["secretKeyRef"] for e in state["env"] if e["name"] == "token"]
    assert refs == [{"name": COPY, "key": "token"}], state["env"]
    # each cluster was written to with its own credential
    for cluster in (hub_jobs.hub, spoke):
        writes = our_writes(cluster, job.started, until=hub_jobs.rerun.started)
        assert writes, f"the install wrote nothing on {cluster.name}"
        users = {e.get("user", {}).get("username") for e in writes}
        assert users == {"system:serviceaccount:default:aap-credential"}, (cluster.name, users)


def test_rerun_job_writes_nothing_on_either_cluster(hub_jobs: HubJobs) -> None:
    job = hub_jobs.rerun
    assert_clean_job(job, INSTALL_PLAY)
    assert job.count("changed") == 0, job.stats
    for cluster in (hub_jobs.hub, hub_jobs.spoke):
        writes = our_writes(cluster, job.started, until=hub_jobs.uninstall.started)
        assert writes == [], (cluster.name, [f"{e['verb']} {e['requestURI']}" for e in writes])


def test_uninstall_job_gives_both_clusters_back(hub_jobs: HubJobs) -> None:
    job = hub_jobs.uninstall
    assert_clean_job(job, UNINSTALL_PLAY)
    assert job.count("changed") > 0, job.stats
    assert get(hub_jobs.hub, "secret", COPY, "-n", NS) is None
    assert [e for e in backend_env(hub_jobs.hub) if e["name"] == "token"] == []
    before, after = hub_jobs.before, hub_jobs.after
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_no_job_event_holds_a_token(hub_jobs: HubJobs) -> None:
    assert hub_jobs.secrets["connector's token"], "the install made no token to look for"
    for job in (hub_jobs.install, hub_jobs.rerun, hub_jobs.uninstall):
        assert job.events, "no events came back"
        text = job.raw_events()
        for what, secret in hub_jobs.secrets.items():
            assert secret not in text and secret[:24] not in text and secret[-24:] not in text, \
                f"the {what} is in the events of the {job.of('playbook_on_play_start')[0]['event_data']['play']} job"
