"""Local Kubernetes control planes for tests: kwokctl (binary runtime) with a fake kwok node.

Each cluster runs etcd, kube-apiserver (RBAC, admission, audit log), kube-controller-manager
(service account token controller on), kube-scheduler and kwok's controller as plain
processes bound to 127.0.0.1, all state under
``${XDG_CACHE_HOME:-~/.cache}/rhdh-ai-connector/clusters/<name>``. Nothing touches
``~/.kube/config``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from kubernetes import config as kube_config
from kubernetes.client import ApiClient, Configuration

from . import audit
from .build import build_binaries, operator_home
from .errors import ComponentError, TestbedError
from .kube import Kube, raw_request, wait_for
from .paths import PACKAGE_DIR, cluster_dir, clusters_root, kwok_workdir
from .timing import step

LOG = logging.getLogger("testbed.cluster")
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")
COMPONENTS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok-controller",
)
# What start_apiserver() restarts once the API server is back.
CONTROLLERS = ("kube-controller-manager", "kube-scheduler", "kwok-controller")
NODE_NAME = "kwok-node-0"
OPERATOR_PREFIX = "rhdh-operator-"
LOADER_USER_AGENT = "rhdh-testbed"
READY_TIMEOUT = 120.0
MARKER_PREFIX = "testbed-audit-marker-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not reaped) is not alive
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _terminate(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM ``pid``, then SIGKILL if it is still there after ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while _pid_alive(pid):
            time.sleep(0.05)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (one cluster creation at a time: ports are picked free)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _configs_dir() -> Path:
    """Where the testbed keeps what it hands kwokctl (kwokctl wants only clusters in clusters/)."""
    path = kwok_workdir() / "testbed-configs"
    path.mkdir(parents=True, exist_ok=True)
    return path


_TOOLS: list[Path] = []


def _tools() -> Path:
    """The bin folder of build_binaries(), built once per process."""
    if not _TOOLS:
        _TOOLS.append(build_binaries())
    return _TOOLS[0]


def _kwokctl_env() -> dict[str, str]:
    """Environment of kwokctl and kubectl: our work folder, nothing under ~/.kube."""
    env = dict(os.environ)
    env["KWOK_WORKDIR"] = str(kwok_workdir())
    env["KUBECACHEDIR"] = str(kwok_workdir() / "kube-cache")
    env.pop("KUBECONFIG", None)
    return env


PORT_OPTIONS = (
    "kubeApiserverPort",
    "etcdPort",
    "etcdPeerPort",
    "kwokControllerPort",
    "kubeControllerManagerPort",
    "kubeSchedulerPort",
)
PORT_RANGE = range(20000, 30000, 10)  # below Linux's ephemeral range, away from kwokctl's picks


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports_taken() -> set[int]:
    """Ports named in the kwokctl configuration of every cluster, running or not."""
    taken: set[int] = set()
    for conf in clusters_root().glob("*/kwok.yaml"):
        try:
            docs = list(yaml.safe_load_all(conf.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError):
            continue
        for doc in docs:
            options = (doc or {}).get("options") or {}
            taken.update(int(options[key]) for key in PORT_OPTIONS if options.get(key))
    return taken


def _allocate_ports() -> dict[str, int]:
    """Fixed ports for a new cluster: kwokctl only avoids ports bound at the time, so a stopped
    kube-apiserver could lose its port to another cluster. Call with the creation lock held.

    Slots are handed out round-robin, so a new cluster does not get the address a cluster just
    deleted had: clients (kubectl, kubernetes.core) cache API discovery by server address, and a
    stale cache names resource versions the new cluster does not serve."""
    taken = _ports_taken()
    cursor = _configs_dir() / "next-port-slot"
    try:
        start = int(cursor.read_text(encoding="utf-8").strip()) % len(PORT_RANGE)
    except (OSError, ValueError):
        start = 0
    for offset in range(len(PORT_RANGE)):
        slot = (start + offset) % len(PORT_RANGE)
        base = PORT_RANGE[slot]
        ports = range(base, base + len(PORT_OPTIONS))
        if not taken.intersection(ports) and all(_port_free(p) for p in ports):
            cursor.write_text(str(slot + 1), encoding="utf-8")
            return dict(zip(PORT_OPTIONS, ports))
    raise TestbedError(f"no free ports left in {PORT_RANGE.start}-{PORT_RANGE.stop}")


def _kwokctl_config(bin_dir: Path) -> dict[str, Any]:
    """kwokctl's configuration: local binaries only, 127.0.0.1 only, RBAC, admission, audit."""
    return {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": {
            "runtime": "binary",
            "bindAddress": "127.0.0.1",
            "securePort": True,
            "quietPull": True,
            "kubeAuthorization": True,
            "kubeAdmission": True,
            "kubeAuditPolicy": str(PACKAGE_DIR / "config" / "audit-policy.yaml"),
            "kubeSchedulerConfig": str(PACKAGE_DIR / "config" / "kube-scheduler.yaml"),
            "kubeApiserverBinary": str(bin_dir / "kube-apiserver"),
            "kubeControllerManagerBinary": str(bin_dir / "kube-controller-manager"),
            "kubeSchedulerBinary": str(bin_dir / "kube-scheduler"),
            "kubectlBinary": str(bin_dir / "kubectl"),
            "etcdBinary": str(bin_dir / "etcd"),
            "kwokControllerBinary": str(bin_dir / "kwok"),
            "cacheDir": str(kwok_workdir() / "kwok-cache"),
        },
        "componentsPatches": [
            {
                # The token controller fills kubernetes.io/service-account-token Secrets with
                # token and ca.crt only when it has the signing key and the root CA. kwokctl
                # passes both when authorization is on; repeating them keeps that explicit.
                "name": "kube-controller-manager",
                "extraArgs": [
                    {"key": "service-account-private-key-file", "value": "{PKI}/admin.key", "override": True},
                    {"key": "root-ca-file", "value": "{PKI}/ca.crt", "override": True},
                    # One controller manager, no lease to lose: with leader election it exits 10 to
                    # 12 s after the API server went away ("leaderelection lost"), often after
                    # `kwokctl start` found it alive, and then no Deployment rolls out any more.
                    # Not an override: kwokctl passes no --leader-elect, and an override of an
                    # argument it does not pass is dropped with a warning (_kwokctl_create fails
                    # on that warning).
                    {"key": "leader-elect", "value": "false"},
                ],
            },
        ],
    }


def _dropped_overrides(kwokctl_output: str) -> list[str]:
    """Keys of componentsPatches overrides that kwokctl dropped: it only replaces an argument it
    passes itself, and for any other it logs "have not match override" and goes on without it."""
    keys = []
    for line in kwokctl_output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("msg") == "have not match override":
            keys.append(str(record.get("key")))
    return keys


def _node_manifest() -> dict[str, Any]:
    """One fake node that kwok manages: pods scheduled there become Running and Ready."""
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "500Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "status": {"allocatable": capacity, "capacity": capacity},
    }


def _ready_within(cluster: Cluster, seconds: float) -> bool:
    try:
        wait_for(f"/readyz of {cluster.name}", cluster.readyz, seconds)
    except TestbedError:
        return False
    return True


class Cluster:
    """A handle to one running testbed cluster."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.workdir: Path = cluster_dir(name)
        self._api: ApiClient | None = None
        self._kube: Kube | None = None

    def __repr__(self) -> str:
        return f"Cluster({self.name!r})"

    # ----- paths -----
    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def server(self) -> str:
        data = yaml.safe_load(self.kubeconfig.read_text(encoding="utf-8"))
        return str(data["clusters"][0]["cluster"]["server"])

    @property
    def audit_log(self) -> Path:
        return self.workdir / "logs" / "audit.log"

    def log_path(self, component: str) -> Path:
        return self.workdir / "logs" / f"{component}.log"

    def _pid_path(self, component: str) -> Path:
        return self.workdir / "pids" / f"{component}.pid"

    @property
    def bin_dir(self) -> Path:
        """The folder of the testbed's binaries (kubectl, kwokctl, helm, the RHDH operators...)."""
        return _tools()

    # ----- lifecycle -----
    @classmethod
    def create(cls, name: str) -> Cluster:
        """Create and start cluster ``name``, or return it as is if it already runs."""
        if not NAME_RE.match(name):
            raise TestbedError(
                f"invalid cluster name {name!r}: lower-case letters, digits and '-', at most 40"
            )
        bin_dir = build_binaries()
        _TOOLS[:] = [bin_dir]
        cluster = cls(name)
        with _locked(kwok_workdir() / "clusters.lock"):
            if cluster.is_running():
                LOG.info("cluster %s already runs: nothing to do", name)
                return cluster
            with step(f"create cluster {name}"):
                cluster._kwokctl_create(bin_dir)
                cluster._check_components()
                cluster._write_kubeconfig()
                cluster._wait_ready()
                cluster._ensure_node()
        LOG.info("cluster %s is ready; kubeconfig: %s", name, cluster.kubeconfig)
        return cluster

    @classmethod
    def get(cls, name: str) -> Cluster:
        """A handle to cluster ``name``; raises TestbedError if it does not run."""
        cluster = cls(name)
        if not cluster.is_running():
            # Every process may be up with /readyz slow to answer (a loaded machine, an API server
            # just restarted): give it the time a start gets before calling the cluster down.
            if not all(cluster.components_running().values()) or not _ready_within(cluster, 30.0):
                raise TestbedError(
                    f"cluster {name} is not running (create it with: python -m testbed up {name})"
                )
        return cluster

    @staticmethod
    def list() -> list[str]:
        """Names of the clusters that have a working folder (running or not)."""
        root = clusters_root()
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if (p / "kwok.yaml").is_file())

    def components_running(self) -> dict[str, bool]:
        """Which of the cluster's components have a live process."""
        result = {}
        for component in COMPONENTS:
            pid = _read_pid(self._pid_path(self._binary_name(component)))
            result[component] = pid is not None and _pid_alive(pid)
        return result

    def is_running(self) -> bool:
        """True if every component runs, the kubeconfig exists and /readyz answers ok."""
        if not (self.workdir / "kwok.yaml").is_file() or not self.kubeconfig.is_file():
            return False
        if not all(self.components_running().values()):
            return False
        return self.readyz()

    def readyz(self) -> bool:
        """True if the API server's /readyz answers ok."""
        try:
            raw_request(self.kube().api, "GET", "/readyz", timeout=5)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False

    def delete(self) -> None:
        """Stop the RHDH operator and every component, and remove the working folder."""
        with step(f"delete cluster {self.name}"):
            self.stop_operator()
            self._close()
            if (self.workdir / "kwok.yaml").is_file():
                kwokctl = self._kwokctl_binary()
                proc = subprocess.run(
                    [str(kwokctl), "delete", "cluster", "--name", self.name],
                    env=_kwokctl_env(), capture_output=True, text=True, check=False,
                )
                if proc.returncode != 0:
                    LOG.warning("kwokctl delete cluster %s: %s", self.name, proc.stderr.strip())
            self._kill_leftovers()
            shutil.rmtree(self.workdir, ignore_errors=True)
            for suffix in (".kwokctl.yaml", ".create.log"):
                (_configs_dir() / f"{self.name}{suffix}").unlink(missing_ok=True)

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only; etcd keeps running (and the data). The controller manager
        and the scheduler run without leader election, so they have no lease to lose and do not
        exit; start_apiserver() restarts them anyway."""
        with step(f"stop kube-apiserver of {self.name}"):
            pid_path = self._pid_path("kube-apiserver")
            pid = _read_pid(pid_path)
            if pid is not None and _pid_alive(pid):
                _terminate(pid, timeout=5.0)  # a crash more than a drain: no long grace
            pid_path.unlink(missing_ok=True)
            self._close()

    def start_apiserver(self) -> None:
        """Start kube-apiserver again (kwokctl start, with any other component that is down) and,
        once it answers, restart the controller manager, the scheduler, kwok's controller and the
        RHDH operator if one runs.

        Left running, they resume late: each informer retries with client-go's back-off (0.8 s
        doubling up to 30 s, each wait up to twice that, reset only after 2 minutes without a
        failure) and, since the new API server has no watch history, must list again after one
        more failed watch. Measured: the controller manager's Deployment informer listed again
        8 s after one restart and 66 s after a second one 20 s later; until then no Deployment
        rolls out. Fresh processes list and watch at once."""
        with step(f"start kube-apiserver of {self.name}"):
            self._kwokctl_start()
            for component in CONTROLLERS:
                self._stop_component(component)
            # kwok's controller manages the node only while it holds the node's Lease, under an
            # identity new in each process: a new one would wait out the old one's Lease (200 s).
            # The old one is gone, so its Lease goes too and the new one takes the node at once,
            # as a restarted kubelet renews its own.
            lease = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{NODE_NAME}"
            if self.kube().get_or_none(lease) is not None:
                self.kube().request("DELETE", lease)
            self._kwokctl_start()
            self._check_components()
            wait_for(
                f"kwok to hold the Lease of {NODE_NAME}", lambda: self.kube().get_or_none(lease), 30
            )
            # The RHDH operator's informers back off the same way (it re-rendered a Deployment
            # 0.65 s after a CR edit normally, 10 s after one restart, 47 s after a second): a
            # fresh process, with the same release and images, lists and watches at once.
            version = self.operator_version()
            if version:
                images = self.operator_related_images()
                self.stop_operator()
                self.start_operator(version, images)

    def _stop_component(self, component: str) -> None:
        """Stop one component of this cluster; its log is kept as ``<component>.previous.log``
        (kwokctl truncates a component's log when it starts it)."""
        pid_path = self._pid_path(self._binary_name(component))
        log = self.log_path(self._binary_name(component))
        pid = _read_pid(pid_path)
        if pid is not None and _pid_alive(pid) and any(
            str(self.workdir) in part for part in _cmdline(pid)
        ):
            _terminate(pid, timeout=5.0)
        else:
            LOG.warning("%s of %s had exited:\n%s", component, self.name, _tail(log, 5))
        pid_path.unlink(missing_ok=True)
        if log.is_file():
            log.replace(log.with_name(f"{log.stem}.previous.log"))

    def _kwokctl_start(self) -> None:
        """``kwokctl start cluster`` (starts every component that is down) and wait for /readyz."""
        proc = subprocess.run(
            [str(self._kwokctl_binary()), "start", "cluster", "--name", self.name],
            env=_kwokctl_env(), capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise ComponentError(
                "kube-apiserver", proc.stderr.strip()[-2000:], self.log_path("kube-apiserver")
            )
        self._close()
        self._wait_ready()

    # ----- clients -----
    def kubectl(
        self, *args: str, check: bool = True, input: str | None = None  # noqa: A002
    ) -> subprocess.CompletedProcess[str]:
        """Run the testbed's kubectl against this cluster."""
        cmd = [
            str(self.bin_dir / "kubectl"),
            "--kubeconfig", str(self.kubeconfig),
            # Discovery is cached by server address; another cluster may have had this address.
            "--cache-dir", str(self.workdir / "kube-cache"),
            *args,
        ]
        proc = subprocess.run(
            cmd, input=input, capture_output=True, text=True, check=False, env=_kwokctl_env()
        )
        if check and proc.returncode != 0:
            raise TestbedError(
                f"kubectl {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr.strip()}"
            )
        return proc

    def api_client(self) -> ApiClient:
        """A new kubernetes client for this cluster, from its kubeconfig."""
        return kube_config.new_client_from_config(config_file=str(self.kubeconfig))

    def kube(self) -> Kube:
        """The testbed's own REST helper for this cluster (user agent ``rhdh-testbed``)."""
        if self._kube is None:
            config = Configuration()
            kube_config.load_kube_config(config_file=str(self.kubeconfig), client_configuration=config)
            config.retries = False  # fail fast: callers poll
            self._api = ApiClient(config)
            self._api.user_agent = LOADER_USER_AGENT
            self._kube = Kube(self._api)
        return self._kube

    def _close(self) -> None:
        if self._api is not None:
            self._api.close()
        self._api = None
        self._kube = None

    # ----- scenarios -----
    def load(self, *scenarios: str) -> None:
        """Load scenarios by name (idempotent; waits until they are ready)."""
        from .scenarios import load  # local import: scenarios imports this module

        load(self, *scenarios)

    # ----- audit -----
    def audit_events(self, since: float | None = None) -> list[dict[str, Any]]:
        """Parsed audit events (stage ResponseComplete), optionally received at or after ``since``.

        Sends a marker request first and waits for its event, so every request that completed
        before the call is in the answer.
        """
        self._audit_barrier()
        return [
            event
            for event in audit.read_events(self.audit_log)
            if event.get("stage") == "ResponseComplete"
            and MARKER_PREFIX not in event.get("requestURI", "")
            and (since is None or audit.received_at(event) >= since)
        ]

    def write_requests(
        self, since: float | None = None, user_agent: str | None = None
    ) -> list[dict[str, Any]]:
        """Audit events of write requests (create/update/patch/delete/deletecollection)."""
        return audit.writes(self.audit_events(since), user_agent)

    def _audit_barrier(self) -> str:
        marker = f"{MARKER_PREFIX}{uuid.uuid4().hex[:12]}"
        start = self.audit_log.stat().st_size if self.audit_log.exists() else 0
        self.kube().get_or_none(f"/api/v1/namespaces/default/configmaps/{marker}")
        wait_for(
            "the audit log to record the marker request",
            lambda: audit.contains(self.audit_log, start, marker),
            timeout=15,
            interval=0.05,
        )
        return marker

    # ----- the RHDH operator (the real one, built from its source) -----
    @property
    def _operator_dir(self) -> Path:
        return self.workdir / "operator"

    def operator_log(self) -> Path:
        return self._operator_dir / "rhdh-operator.log"

    def _operator_pid(self) -> int | None:
        pid = _read_pid(self._operator_dir / "rhdh-operator.pid")
        if pid is None or not _pid_alive(pid):
            return None
        cmd = _cmdline(pid)
        if not cmd or not Path(cmd[0]).name.startswith(OPERATOR_PREFIX):
            return None
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return None
        if f"KUBECONFIG={self.kubeconfig}".encode() not in environ:
            return None
        return pid

    def operator_version(self) -> str | None:
        """The release (1.8, 1.10, 2.0) of the RHDH operator running for this cluster, None if none."""
        pid = self._operator_pid()
        if pid is None:
            return None
        return Path(_cmdline(pid)[0]).name[len(OPERATOR_PREFIX):]

    def _operator_probe_port(self) -> int:
        """The health-probe port of this cluster's operator: the first port of the cluster's slot
        that no component uses (a slot holds ten ports, the components take six)."""
        docs = yaml.safe_load_all((self.workdir / "kwok.yaml").read_text(encoding="utf-8"))
        for doc in docs:
            port = ((doc or {}).get("options") or {}).get("kubeApiserverPort")
            if port:
                return int(port) + len(PORT_OPTIONS)
        raise TestbedError(f"cluster {self.name}: no kubeApiserverPort in its kwok.yaml")

    def operator_related_images(self) -> dict[str, str]:
        """The ``RELATED_IMAGE_*`` variables of this cluster's running RHDH operator (how OLM pins
        the images it deploys, by digest or tag), empty when none runs."""
        pid = self._operator_pid()
        if pid is None:
            return {}
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
        except OSError:
            return {}
        pairs = (item.partition("=") for item in environ if item.startswith("RELATED_IMAGE_"))
        return {key: value for key, _sep, value in pairs}

    def start_operator(self, version: str, related_images: Mapping[str, str] | None = None) -> None:
        """Start the real RHDH operator ``version`` (1.8, 1.10 or 2.0) for this cluster, out of cluster
        as its README says: metrics off, probes on 127.0.0.1, no leader election, ``LOCALBIN``
        holding a writable copy of its default-config and plugin-deps. ``related_images`` are the
        ``RELATED_IMAGE_*`` variables an OLM install sets (``RELATED_IMAGE_backstage``: RHDH's image).
        Another version, or the same with other images, is stopped first (an operator upgrade). The
        operator decides once, at start, whether it runs on OpenShift (route.openshift.io served):
        load the Route CRD before."""
        related = dict(related_images or {})
        if self.operator_version() == version and self.operator_related_images() == related:
            return
        home = operator_home(version)  # raises naming what is missing
        self.stop_operator()
        run_dir = self._operator_dir / version
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        for part in ("default-config", "plugin-deps"):
            if (home / "config" / part).is_dir():
                shutil.copytree(home / "config" / part, run_dir / part)
        binary = home / "bin" / f"{OPERATOR_PREFIX}{version}"
        port = self._operator_probe_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELATED_IMAGE_")}
        env.update(related, KUBECONFIG=str(self.kubeconfig), LOCALBIN=str(run_dir))
        log = self.operator_log()
        with step(f"start rhdh-operator {version} for {self.name}"):
            with open(log, "ab") as out:
                proc = subprocess.Popen(  # noqa: S603 - the operator built by testbed/build.sh
                    [str(binary), "--metrics-bind-address=0",
                     f"--health-probe-bind-address=127.0.0.1:{port}", "--leader-elect=false"],
                    cwd=run_dir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                    start_new_session=True,
                )
            (self._operator_dir / "rhdh-operator.pid").write_text(str(proc.pid), encoding="utf-8")

            def ready() -> bool:
                if proc.poll() is not None:
                    raise ComponentError(
                        f"rhdh-operator {version}",
                        f"exited with code {proc.returncode}:\n{_tail(log)}", log,
                    )
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                        sock.sendall(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
                        return sock.recv(64).split(b" ")[1:2] == [b"200"]
                except OSError:
                    return False

            wait_for(f"rhdh-operator {version} of {self.name} to be ready", ready, 60, 0.2)

    def stop_operator(self) -> None:
        """Stop the RHDH operator of this cluster if it runs."""
        pid = self._operator_pid()
        if pid is not None:
            with step(f"stop rhdh-operator of {self.name}"):
                _terminate(pid)
        (self._operator_dir / "rhdh-operator.pid").unlink(missing_ok=True)

    # ----- Helm -----
    def helm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the testbed's Helm (built from helm.sh/helm/v3) against this cluster."""
        env = _kwokctl_env()
        home = self.workdir / "helm"
        env.update(
            HELM_CACHE_HOME=str(home / "cache"), HELM_CONFIG_HOME=str(home / "config"),
            HELM_DATA_HOME=str(home / "data"),
        )
        cmd = [str(self.bin_dir / "helm"), "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        if check and proc.returncode != 0:
            raise TestbedError(
                f"helm {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr.strip()}"
            )
        return proc

    # ----- internals -----
    def _kwokctl_binary(self) -> Path:
        return _tools() / "kwokctl"

    @staticmethod
    def _binary_name(component: str) -> str:
        """kwokctl names pid and log files after the component's binary link."""
        return component

    def _kwokctl_create(self, bin_dir: Path) -> None:
        clusters_root().mkdir(parents=True, exist_ok=True)
        config = _kwokctl_config(bin_dir)
        if not (self.workdir / "kwok.yaml").is_file():
            config["options"].update(_allocate_ports())
        pki = str(self.workdir / "pki")
        for patch in config["componentsPatches"]:
            for arg in patch["extraArgs"]:
                arg["value"] = arg["value"].replace("{PKI}", pki)
        config_path = _configs_dir() / f"{self.name}.kwokctl.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        cmd = [
            str(bin_dir / "kwokctl"), "--config", str(config_path),
            "create", "cluster", "--name", self.name, "--kubeconfig", "", "--timeout", "3m",
        ]
        with step(f"kwokctl create cluster {self.name}"):
            proc = subprocess.run(cmd, env=_kwokctl_env(), capture_output=True, text=True, check=False)
        create_log = _configs_dir() / f"{self.name}.create.log"
        create_log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
        if proc.returncode != 0:
            dead = [c for c, ok in self.components_running().items() if not ok]
            component = dead[0] if dead else "kwokctl"
            log = self.log_path(self._binary_name(component)) if dead else create_log
            raise ComponentError(component, f"kwokctl create cluster failed:\n{_tail(create_log)}", log)
        dropped = _dropped_overrides(proc.stdout + proc.stderr)
        if dropped:
            self.delete()
            raise TestbedError(
                f"kwokctl create cluster {self.name} ignored the override of {', '.join(dropped)}:"
                " kwokctl passes no such argument to replace (make it a plain extra argument in"
                " _kwokctl_config); the cluster is deleted again"
            )

    def _check_components(self) -> None:
        for component, running in self.components_running().items():
            if not running:
                log = self.log_path(self._binary_name(component))
                raise ComponentError(component, f"not running:\n{_tail(log)}", log)

    def _write_kubeconfig(self) -> None:
        """Write an admin kubeconfig with embedded credentials (usable from anywhere)."""
        kwok_cfg = yaml.safe_load((self.workdir / "kubeconfig.yaml").read_text(encoding="utf-8"))
        server = kwok_cfg["clusters"][0]["cluster"]["server"]
        pki = self.workdir / "pki"

        def b64(name: str) -> str:
            return base64.b64encode((pki / name).read_bytes()).decode()

        context = f"testbed-{self.name}"
        data = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": context, "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")}}
            ],
            "users": [
                {"name": f"{context}-admin", "user": {
                    "client-certificate-data": b64("admin.crt"), "client-key-data": b64("admin.key")}}
            ],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": f"{context}-admin"}}
            ],
            "current-context": context,
        }
        tmp = self.kubeconfig.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self.kubeconfig)
        self._close()

    def _wait_ready(self) -> None:
        with step(f"wait for {self.name} to be ready"):
            try:
                wait_for("/readyz", self.readyz, READY_TIMEOUT)
            except TestbedError as err:
                self._check_components()
                raise ComponentError(
                    "kube-apiserver", str(err), self.log_path("kube-apiserver")
                ) from err
            kube = self.kube()
            wait_for(
                "the default ServiceAccount",
                lambda: kube.get_or_none("/api/v1/namespaces/default/serviceaccounts/default"),
                READY_TIMEOUT,
            )

    def _ensure_node(self) -> None:
        kube = self.kube()
        node = _node_manifest()
        if kube.get(node) is None:
            kube.request("POST", "/api/v1/nodes", body=node)

        def node_ready() -> bool:
            live = kube.get(node) or {}
            return any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in live.get("status", {}).get("conditions", [])
            )

        with step(f"wait for node {NODE_NAME} to be Ready"):
            try:
                wait_for(f"node {NODE_NAME} to be Ready", node_ready, 60)
            except TestbedError as err:
                raise ComponentError("kwok-controller", str(err), self.log_path("kwok")) from err

    def _kill_leftovers(self) -> None:
        """Kill any component process still running from this cluster's folder."""
        for pid_file in (self.workdir / "pids").glob("*.pid"):
            pid = _read_pid(pid_file)
            if pid is not None and _pid_alive(pid) and any(
                str(self.workdir) in part for part in _cmdline(pid)
            ):
                _terminate(pid)

    def info(self) -> dict[str, Any]:
        """Name, server, kubeconfig and component states (for ``python -m testbed list``)."""
        state = self.components_running()
        running = all(state.values())
        return {
            "name": self.name,
            "running": running,
            "server": self.server if self.kubeconfig.exists() else None,
            "kubeconfig": str(self.kubeconfig),
            "components": state,
            "operator": self.operator_version(),
            "checked_at": datetime.now().isoformat(timespec="seconds"),
        }

    def rss_bytes(self) -> int:
        """Resident memory of every process of this cluster (components and operator), summed."""
        total = 0
        pids = [_read_pid(p) for p in (self.workdir / "pids").glob("*.pid")]
        pids.append(self._operator_pid())
        for pid in pids:
            if pid is None or not _pid_alive(pid):
                continue
            try:
                for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue
        return total


def dump_json(data: Any) -> str:
    """JSON for CLI output."""
    return json.dumps(data, indent=2, sort_keys=True)
