"""Pure functions of the benchmark: reading the API server's metrics and audit events, the
minimum request count of a no-op run, ratios and targets. No I/O here (unit-tested)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

METRIC = "apiserver_request_total"
# apiserver_request_total's verb label (upper case) for requests that may change state.
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY", "CREATE", "UPDATE"})
READ_VERBS = frozenset({"GET", "LIST", "WATCH", "WATCHLIST"})
# POSTs that only ask a question (SubjectAccessReview and friends): read-only, not writes.
QUERY_RESOURCES = frozenset(
    {
        "subjectaccessreviews",
        "selfsubjectaccessreviews",
        "localsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "tokenreviews",
    }
)
AUDIT_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>.*)\})?\s+(?P<value>\S+)")
_LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')

# (verb, group, resource, subresource) as apiserver_request_total labels them.
Key = tuple[str, str, str, str]


def parse_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of metric ``name`` in Prometheus text exposition ``text``."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match or match.group("name") != name:
            continue
        labels = {m.group("key"): m.group("value") for m in _LABEL.finditer(match.group("labels") or "")}
        samples.append((labels, float(match.group("value"))))
    return samples


def request_counts(text: str) -> Counter[Key]:
    """apiserver_request_total summed over code, scope, version and component, by
    (verb, group, resource, subresource); dry runs are left out."""
    counts: Counter[Key] = Counter()
    for labels, value in parse_samples(text, METRIC):
        if labels.get("dry_run"):
            continue
        key = (labels.get("verb", ""), labels.get("group", ""), labels.get("resource", ""),
               labels.get("subresource", ""))
        counts[key] += int(value)
    return counts


def delta(after: Mapping[Key, int], before: Mapping[Key, int]) -> Counter[Key]:
    """Per-key increase from ``before`` to ``after`` (keys that did not move are left out)."""
    out: Counter[Key] = Counter()
    for key, value in after.items():
        diff = value - before.get(key, 0)
        if diff > 0:
            out[key] = diff
    return out


def kind_of(verb: str, resource: str) -> str:
    """'write', 'query' (a read-only POST such as a SubjectAccessReview) or 'read'."""
    if resource in QUERY_RESOURCES:
        return "query"
    if verb.upper() in WRITE_VERBS:
        return "write"
    return "read"


def split_counts(counts: Mapping[Key, int]) -> dict[str, int]:
    """Totals of ``counts`` by kind: read, write, query."""
    totals = {"read": 0, "write": 0, "query": 0}
    for (verb, _group, resource, _sub), value in counts.items():
        totals[kind_of(verb, resource)] += value
    return totals


def label(key: Key) -> str:
    """One readable word for a metrics key: VERB group/resource/subresource."""
    verb, group, resource, sub = key
    if not resource:  # non-resource URLs (discovery, /metrics): the path is in the subresource label
        return f"{verb} {sub or '(non-resource)'}"
    what = "/".join(p for p in (group, resource, sub) if p)
    return f"{verb} {what}"


def scale(counts: Mapping[Key, int], factor: float) -> dict[Key, float]:
    """``counts`` times ``factor`` (an idle baseline stretched to another interval)."""
    return {key: value * factor for key, value in counts.items()}


# ----- audit events -----
BACKGROUND_AGENTS = (
    ("kube-apiserver", "controllers"),
    ("kube-controller-manager", "controllers"),
    ("kube-scheduler", "controllers"),
    ("kwok-controller", "controllers"),
    ("rhdh-operator-standin", "stand-in operator"),
    ("rhdh-testbed", "benchmark/testbed"),
    ("kubectl", "benchmark/testbed"),
)


def agent_group(user_agent: str, playbook_agents: Iterable[str]) -> str:
    """Who sent a request: 'playbook', 'controllers', 'stand-in operator', 'benchmark/testbed', 'other'."""
    if any(user_agent.startswith(a) for a in playbook_agents):
        return "playbook"
    for prefix, group in BACKGROUND_AGENTS:
        if user_agent.startswith(prefix):
            return group
    return "other"


def audit_kind(event: Mapping[str, Any]) -> str:
    """'write', 'query' or 'read' for one audit event (dry runs count as queries)."""
    ref = event.get("objectRef") or {}
    if ref.get("resource") in QUERY_RESOURCES or "dryRun=All" in str(event.get("requestURI", "")):
        return "query"
    return "write" if event.get("verb") in AUDIT_WRITE_VERBS else "read"


def audit_what(event: Mapping[str, Any]) -> str:
    """verb and resource of an audit event (the path for discovery and other non-resource URLs)."""
    ref = event.get("objectRef") or {}
    if not ref:
        path = str(event.get("requestURI", "")).split("?", 1)[0]
        return f"{event.get('verb')} {path}"
    what = "/".join(p for p in (ref.get("apiGroup"), ref.get("resource"), ref.get("subresource")) if p)
    return f"{event.get('verb')} {what}"


def audit_summary(events: Iterable[Mapping[str, Any]], playbook_agents: Iterable[str]) -> dict[str, Any]:
    """Counts of audit events by sender group and kind, and the playbook's own by verb/resource."""
    agents = tuple(playbook_agents)
    by_group: dict[str, Counter[str]] = {}
    own: Counter[str] = Counter()
    uris: Counter[str] = Counter()
    for event in events:
        group = agent_group(str(event.get("userAgent", "")), agents)
        by_group.setdefault(group, Counter())[audit_kind(event)] += 1
        if group == "playbook":
            own[audit_what(event)] += 1
            if event.get("verb") in ("get", "list"):
                uris[str(event.get("requestURI", ""))] += 1
    playbook = by_group.get("playbook", Counter())
    return {
        "by_group": {g: dict(c) for g, c in sorted(by_group.items())},
        "playbook": {k: playbook.get(k, 0) for k in ("read", "write", "query")},
        "playbook_requests": dict(sorted(own.items())),
        "playbook_discovery": sum(v for k, v in own.items() if " /api" in k),
        # GET/LIST of a URI the playbook had already read in the same run: what a cache would save.
        "playbook_repeated_reads": sum(n - 1 for n in uris.values()),
    }


# ----- CPU of other processes -----
def stat_cpu_ticks(stat: str) -> int:
    """utime + stime, in clock ticks, from the text of /proc/<pid>/stat (the name may hold spaces)."""
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def cpu_floor(cpu_seconds: float, cores: int) -> float:
    """The shortest wall time in which ``cores`` cores can do ``cpu_seconds`` of work."""
    return round(cpu_seconds / max(1, cores), 2)


# ----- the minimum a no-op needs -----
def minimum_noop_reads(registries: int, wait_rollout: bool = True) -> list[tuple[str, int]]:
    """The reads the guide's steps cannot do without in a no-op, with default variables (operator
    install, registries found on the cluster), each with why. A run that reads less cannot know
    that nothing differs."""
    items = [
        ("GET ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding (compare each)", 5),
        ("GET the token Secret (exists, token filled in)", 1),
        ("GET the app-config ConfigMap (compare its entry)", 1),
        ("GET the user's dynamic-plugins ConfigMap (compare the two entries)", 1),
        ("GET/LIST the Backstage CR (compare the sidecars, app-config ref; names the plugin ConfigMap)", 1),
        ("GET /apis/rhdh.redhat.com (which Backstage versions are served: write through the newest)", 1),
        ("GET/LIST the DataScienceCluster (where the registries live)", 1),
        ("LIST ModelRegistry in the registries namespace (which RoleBindings must exist)", 1),
        (f"GET the RoleBinding of each of the {registries} registries", registries),
    ]
    if wait_rollout:
        items.append(("GET the RHDH Deployment (rolled out with the sidecars)", 1))
    return items


# What the role's job adds to the guide's steps, each asked once (role defaults).
PREFLIGHT_READS = [
    ("GET /apis/<group> of DataScienceCluster, DSCInitialization, ModelRegistry, dashboard, OLM, Route "
     "(which of them the cluster serves, and in which version)", 6),
    ("GET /apis/serving.kserve.io/v1beta1 (KServe serves InferenceServices)", 1),
    ("LIST DSCInitialization (release and applications namespace)", 1),
    ("LIST ClusterServiceVersion (the operator's version)", 1),
    ("GET OdhDashboardConfig (registry and catalog switched on in the dashboard)", 1),
    ("LIST the registries' Routes (each registry reachable; the model catalog's Route)", 1),
    ("LIST Role in the registries namespace (each registry's registry-user Role exists)", 1),
]
LEGACY_READS = [("GET the 6 objects of the guide's older rhdh-rhoai-bridge names (removed when found)", 6)]


def verify_reads(access_reviews: int) -> list[tuple[str, int]]:
    """What verification asks: the pods, storage-rest's cache, one SubjectAccessReview per permission."""
    return [
        ("LIST the RHDH pods (the sidecars Ready)", 1),
        ("GET ConfigMap bac-import-model (storage-rest has synced)", 1),
        (f"POST SubjectAccessReview, one per permission the connector needs ({access_reviews})", access_reviews),
    ]


def minimum_job_reads(registries: int, access_reviews: int, verify: bool = True) -> list[tuple[str, int]]:
    """The reads of a no-op of the role with its defaults: the guide's steps (minimum_noop_reads;
    the DataScienceCluster and ModelRegistry lists are preflight's too), preflight, the legacy
    clean-up and, with ``verify``, verification. Each distinct question asked once."""
    items = minimum_noop_reads(registries) + PREFLIGHT_READS + LEGACY_READS
    return items + (verify_reads(access_reviews) if verify else [])


def total(items: Iterable[tuple[str, int]]) -> int:
    return sum(count for _, count in items)


# ----- playbook output -----
_RECAP = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                    r"\s+failed=(?P<failed>\d+)")


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP lines of ansible-playbook's output: host -> ok/changed/unreachable/failed."""
    hosts: dict[str, dict[str, int]] = {}
    for line in output.splitlines():
        match = _RECAP.match(line.strip())
        if match:
            hosts[match.group("host")] = {
                k: int(match.group(k)) for k in ("ok", "changed", "unreachable", "failed")
            }
    return hosts


_TASK_TIME = re.compile(r"^(?P<task>.+?) -+ (?P<seconds>\d+(\.\d+)?)s$")


def parse_profile_tasks(output: str) -> list[tuple[str, float]]:
    """(task, seconds) from the summary of the ansible.posix.profile_tasks callback."""
    tasks = []
    for line in output.splitlines():
        match = _TASK_TIME.match(line.strip())
        if match:
            tasks.append((match.group("task"), float(match.group("seconds"))))
    return tasks


# ----- targets -----
@dataclass(frozen=True)
class Target:
    """One target: ``value`` must be at most ``limit``."""

    name: str
    value: float
    limit: float
    unit: str = ""

    @property
    def passed(self) -> bool:
        return self.value <= self.limit

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.value:g}{self.unit} (limit {self.limit:g}{self.unit})"


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, rounded to 2 decimals (infinity when the denominator is 0)."""
    if denominator == 0:
        return float("inf")
    return round(numerator / denominator, 2)


def fit_clusters(available_bytes: int, per_cluster_bytes: int, cap: int = 10, headroom: float = 0.5) -> int:
    """How many clusters fit in ``available_bytes`` keeping ``headroom`` of it free (at most ``cap``)."""
    if per_cluster_bytes <= 0:
        return cap
    return max(1, min(cap, int(available_bytes * (1 - headroom) // per_cluster_bytes)))


def fleet_sizes(max_clusters: int) -> list[int]:
    """1, 2, 5 and ``max_clusters``, those that do not exceed it, without repeats."""
    return sorted({n for n in (1, 2, 5, max_clusters) if n <= max_clusters})
