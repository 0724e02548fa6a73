"""Pure functions of the benchmark: reading the API server's metrics and audit events (per step: each
module task sends its own user agent), the minimum read requests of each step of a no-op run, ratios
and targets. No I/O here (unit-tested)."""

from __future__ import annotations

import re
import sys
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
    ("rhdh-operator", "RHDH operator"),  # the real operator (rhdh-operator-1.8/...) and the old stand-in
    ("rhdh-testbed", "benchmark/testbed"),
    ("kubectl", "benchmark/testbed"),
)
COLLECTION_AGENT = "rhdh.ai_connector"
# kubernetes.core's client sends /version and /apis with the Python client's default user agent while it
# builds the client on a cold discovery cache, before the collection's module sets its own: on the
# collection's cluster, requests of this agent are the collection's, of no step.
CLIENT_DEFAULT_AGENT = "OpenAPI-Generator"


def agent_group(user_agent: str, playbook_agents: Iterable[str]) -> str:
    """Who sent a request: 'playbook', 'controllers', 'RHDH operator', 'benchmark/testbed', 'other'."""
    if any(user_agent.startswith(a) for a in playbook_agents):
        return "playbook"
    for prefix, group in BACKGROUND_AGENTS:
        if user_agent.startswith(prefix):
            return group
    return "other"


def step_of(user_agent: str) -> str:
    """The step (module short name) of a playbook request: ``rhdh.ai_connector/<module>`` gives
    ``<module>``; the bare ``rhdh.ai_connector`` (a module without a name) stays as it is; any other agent
    gives its product token (``OpenAPI-Generator/33.1.0/python``: ``OpenAPI-Generator``)."""
    token = user_agent.split(" ", 1)[0]
    if token.startswith(COLLECTION_AGENT + "/"):
        return token[len(COLLECTION_AGENT) + 1:] or COLLECTION_AGENT
    if token == COLLECTION_AGENT:
        return COLLECTION_AGENT
    return token.split("/", 1)[0]


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


def audit_request(event: Mapping[str, Any]) -> str:
    """verb and request URI of an audit event: one object, one list or one discovery document."""
    return f"{event.get('verb')} {event.get('requestURI', '')}"


def audit_summary(events: Iterable[Mapping[str, Any]], playbook_agents: Iterable[str]) -> dict[str, Any]:
    """Counts of audit events by sender group and kind; the playbook's own by verb/resource and, per
    step (user agent, one task each), every request with how often it was sent.

    A repeat is a GET/LIST of a URI that the same user agent (the same task) had already read in the
    window: what one process needs to read once. A URI read by several steps is listed apart: each task
    is its own process and must read what it decides on. (SubjectAccessReviews all POST the same URI;
    the audit log, at Metadata level, does not show what each one asks, so they are not repeats.)"""
    agents = tuple(playbook_agents)
    by_group: dict[str, Counter[str]] = {}
    own: Counter[str] = Counter()
    steps: dict[str, dict[str, Any]] = {}
    readers: dict[str, list[str]] = {}
    for event in events:
        agent = str(event.get("userAgent", ""))
        group = agent_group(agent, agents)
        kind = audit_kind(event)
        by_group.setdefault(group, Counter())[kind] += 1
        if group != "playbook":
            continue
        own[audit_what(event)] += 1
        step = steps.setdefault(step_of(agent), {"read": 0, "query": 0, "write": 0, "requests": Counter()})
        step[kind] += 1
        step["requests"][audit_request(event)] += 1
        if event.get("verb") in ("get", "list"):
            uri = str(event.get("requestURI", ""))
            if step_of(agent) not in readers.setdefault(uri, []):
                readers[uri].append(step_of(agent))
    for step in steps.values():
        repeats = {r: n for r, n in step["requests"].items() if n > 1 and r.split(" ", 1)[0] in ("get", "list")}
        step["repeats"] = dict(sorted(repeats.items()))
        step["repeated_reads"] = sum(n - 1 for n in repeats.values())
        step["requests"] = dict(sorted(step["requests"].items()))
    playbook = by_group.get("playbook", Counter())
    return {
        "by_group": {g: dict(c) for g, c in sorted(by_group.items())},
        "playbook": {k: playbook.get(k, 0) for k in ("read", "write", "query")},
        "playbook_requests": dict(sorted(own.items())),
        "playbook_discovery": sum(v for k, v in own.items() if " /api" in k),
        "steps": steps,
        # GET/LIST of a URI the same step (user agent, one task) had already read: what a cache would save.
        "playbook_repeated_reads": sum(s["repeated_reads"] for s in steps.values()),
        # URIs read by more than one step (each task its own process): the cost of separate tasks.
        "read_by_several_steps": {u: s for u, s in sorted(readers.items()) if len(s) > 1},
    }


# ----- CPU of other processes -----
def stat_cpu_ticks(stat: str) -> int:
    """utime + stime, in clock ticks, from the text of /proc/<pid>/stat (the name may hold spaces)."""
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def per_cluster(value: float, clusters: int) -> float:
    """A figure of a run over ``clusters`` clusters, per cluster (the controller's CPU of a fleet run)."""
    return round(value / max(1, clusters), 2)


def cpu_floor(cpu_seconds: float, cores: int) -> float:
    """The shortest wall time in which ``cores`` cores can do ``cpu_seconds`` of work."""
    return round(cpu_seconds / max(1, cores), 2)


# ----- the minimum a no-op needs, per step -----
# The role's module tasks in their order (tasks/*.yml); each sends rhdh.ai_connector/<module>.
STEPS = (
    "rhdh_info",
    "rhdh_connector_rbac",
    "rhdh_dynamic_plugins",
    "rhdh_app_config",
    "rhdh_sidecar_patch",
    "rhdh_connector_verify",
)
VERIFY_STEP = "rhdh_connector_verify"


def step_minimum(registries: int, access_reviews: int, user_app_configs: int,
                 verify: bool = True) -> dict[str, list[tuple[str, int]]]:
    """The read-only requests each step of a no-op of the role needs, each with why (role defaults:
    an operator install, the registries found on the cluster, ``user_app_configs`` ConfigMaps listed by
    the Backstage CR without a key). A step must read each object it manages or decides on, once, and
    the discovery documents it needs; each task is its own process, so an object two steps decide on is
    read by both. What preflight found comes to the later steps as parameters (the CR's name and served
    version, the workload, the plugin ConfigMap, the registries): they ask no discovery again. A step
    that reads less cannot know that nothing differs; one that reads more wastes requests."""
    out: dict[str, list[tuple[str, int]]] = {
        "rhdh_info": [
            ("GET /apis/<group> of DataScienceCluster, DSCInitialization, ModelRegistry, Route, dashboard "
             "(opendatahub.io), OLM (which are served, and in which version)", 6),
            ("GET /apis/serving.kserve.io/v1beta1 (KServe serves InferenceServices)", 1),
            ("LIST DataScienceCluster (release, components, where the registries live)", 1),
            ("LIST DSCInitialization (release and applications namespace)", 1),
            ("LIST ModelRegistry in the registries namespace (the registries to bind)", 1),
            ("LIST the registries' Routes (each registry reachable; the model catalog's Route among them)", 1),
            ("LIST Role in the registries namespace (each registry's registry-user Role exists)", 1),
            ("GET OdhDashboardConfig (registry and catalog switched on in the dashboard)", 1),
            ("LIST ClusterServiceVersion (the RHOAI operator's version)", 1),
            ("GET /apis/rhdh.redhat.com (the served Backstage versions: later steps write through the newest)", 1),
            ("LIST Backstage in the RHDH namespace (the CR: its patch, the plugin ConfigMap it names)", 1),
            ("GET the rendered Deployment (RHDH's release from its image tag; containers, ports, volumes, mounts "
             "for the clash checks)", 1),
            ("GET the user's dynamic-plugins ConfigMap (it parses)", 1),
        ],
        "rhdh_connector_rbac": [
            ("GET ServiceAccount, ClusterRole, ClusterRoleBinding, Role (compare each)", 4),
            ("LIST the collection's RoleBindings by its label, cluster-wide (the registry bindings to compare "
             f"and the stale ones to prune; its items answer the reads of the {registries} registry bindings and "
             "of the connector's own RoleBinding, which carries the label too)", 1),
            ("GET the guide's RoleBinding rhdh-rhoai-dashboard-permissions (migrate_legacy: replaced when found)", 1),
            ("GET the token Secret (exists, token filled in; the ServiceAccount was read above)", 1),
            ("GET the 6 objects of the guide's older rhdh-rhoai-bridge names (removed when found)", 6),
        ],
        "rhdh_dynamic_plugins": [
            ("GET the Backstage CR (names the plugin ConfigMap; backstage_api_version given: no discovery)", 1),
            ("GET the user's dynamic-plugins ConfigMap (compare the two entries)", 1),
        ],
        "rhdh_app_config": [
            ("GET the app-config ConfigMap (compare the provider's entry)", 1),
        ],
        "rhdh_sidecar_patch": [
            ("GET the Backstage CR (compare the sidecars and the app-config reference in its patch)", 1),
            ("GET the rendered Deployment (the sidecars as written, rolled out: in a no-op this read is also "
             "the rollout poll's only one)", 1),
        ],
    }
    if verify:
        out[VERIFY_STEP] = [
            ("GET the RHDH Deployment (rolled out with the sidecars; its pod spec for the app-config files)", 1),
            ("LIST the RHDH pods (the sidecars Ready)", 1),
            ("GET the user's dynamic-plugins ConfigMap (the two plugins, enabled, their tags)", 1),
            ("GET the app-config ConfigMap (the provider's baseUrl)", 1),
            ("GET the Backstage CR (lists the app-config ConfigMap; which app-config files to mount)", 1),
            (f"GET each of the {user_app_configs} user app-config ConfigMaps the CR lists without a key "
             "(which files they mount)", user_app_configs),
            ("GET the token Secret (token and ca.crt)", 1),
            ("GET ConfigMap bac-import-model (storage-rest has synced)", 1),
            (f"POST SubjectAccessReview, one per permission the connector needs ({access_reviews})", access_reviews),
        ]
    return out


def step_reads(step: Mapping[str, Any]) -> int:
    """Read-only requests of one step's audit summary: GET, LIST, discovery and review queries."""
    return int(step.get("read", 0)) + int(step.get("query", 0))


def step_verdicts(seen: Mapping[str, Mapping[str, Any]],
                  minimum: Mapping[str, list[tuple[str, int]]]) -> list[dict[str, Any]]:
    """One row per step, in the role's order (then any other user agent that sent requests): its
    read-only requests in the no-op (``seen``: audit_summary's ``steps``), its minimum, repeats,
    writes and the verdict. A step that did not run has no row unless it has a minimum."""
    names = [s for s in STEPS if s in minimum or s in seen] + sorted(s for s in seen if s not in STEPS)
    rows = []
    for name in names:
        step = seen.get(name, {})
        reads, least = step_reads(step), total(minimum.get(name, []))
        if not step:
            verdict = "did not run"
        elif reads == least:
            verdict = "at minimum"
        elif reads > least:
            verdict = f"{reads - least} over"
        else:
            verdict = f"{least - reads} under (a check skipped?)"
        rows.append({"step": name, "reads": reads, "minimum": least, "over": max(0, reads - least),
                     "repeated_reads": int(step.get("repeated_reads", 0)), "writes": int(step.get("write", 0)),
                     "verdict": verdict})
    return rows


def total(items: Iterable[tuple[str, int]]) -> int:
    return sum(count for _, count in items)


def total_minimum(minimum: Mapping[str, list[tuple[str, int]]]) -> int:
    return sum(total(items) for items in minimum.values())


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


# ----- one module process, phase by phase -----
# Who pulled an import in (python -X importtime): each imported module's own time goes to the first of
# these groups found on its chain of importers, itself first. Standard-library modules count for
# whoever imported them; those imported by none of the groups are the AnsiballZ wrapper's own.
IMPORT_GROUPS = (
    ("ansible_collections.rhdh.", "this collection's module_utils"),
    ("ansible_collections.kubernetes.", "kubernetes.core's module_utils"),
    ("ansible.", "ansible's module_utils"),
    ("ruamel.", "ruamel.yaml"),
    ("_ruamel_yaml", "ruamel.yaml"),
    ("kubernetes.", "the kubernetes client and what it imports"),
)
CLIENT_GROUP = "the kubernetes client and what it imports"
WRAPPER_GROUP = "the standard library, for the wrapper and Python itself"
_IMPORT_LINE = re.compile(r"^import time:\s+(?P<self>\d+) \|\s+(?P<cumulative>\d+) \|(?P<indent> *)(?P<name>\S+)")


def parse_importtime(text: str) -> list[tuple[int, str, float, str | None]]:
    """``python -X importtime`` output: (depth, module, own seconds, importer or None) per import, in
    the order printed (an import after everything it imported)."""
    rows = []
    for line in text.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            rows.append((len(match.group("indent")) // 2, match.group("name"), int(match.group("self")) / 1e6))
    importer: dict[int, str | None] = {}
    stack: list[tuple[int, str]] = []
    for index in range(len(rows) - 1, -1, -1):  # backwards, an importer comes before what it imported
        depth, name, _ = rows[index]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        importer[index] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return [(depth, name, own, importer[i]) for i, (depth, name, own) in enumerate(rows)]


def import_group(name: str, stdlib: frozenset[str] | set[str] | None = None) -> str | None:
    """The group of one imported module: one of IMPORT_GROUPS, the client's group for any other
    third-party package (what ``import kubernetes`` pulls in: urllib3, yaml, pydantic, google.auth...),
    None for the standard library (and the bare namespace package ansible_collections)."""
    stdlib = sys.stdlib_module_names if stdlib is None else stdlib
    for prefix, group in IMPORT_GROUPS:
        if (name + ".").startswith(prefix):
            return group
    top = name.split(".", 1)[0]
    if top in stdlib or top in ("ansible_collections", "sitecustomize", "_sysconfigdata") or top.startswith("_sysconfigdata"):
        return None
    return CLIENT_GROUP


def import_breakdown(text: str, stdlib: frozenset[str] | set[str] | None = None) -> dict[str, float]:
    """Seconds of import per group (``python -X importtime`` output), largest first: each module's own
    time goes to the group of the first module on its chain of importers (itself first) that has one."""
    rows = parse_importtime(text)
    importer_of = {name: importer for _, name, _, importer in rows}
    totals: Counter[str] = Counter()
    for _, name, own, _ in rows:
        group, seen, current = None, set(), name
        while current is not None and current not in seen and group is None:
            seen.add(current)
            group = import_group(current, stdlib)
            current = importer_of.get(current)
        totals[group or WRAPPER_GROUP] += own
    return {group: round(seconds, 3) for group, seconds in totals.most_common()}


def import_packages(text: str, top: int = 5) -> list[tuple[str, float]]:
    """The ``top`` third-party packages by their own import seconds (what the client's group is made of)."""
    totals: Counter[str] = Counter()
    for _, name, own, _ in parse_importtime(text):
        if import_group(name) == CLIENT_GROUP:
            totals[name.split(".", 1)[0]] += own
    return [(name, round(seconds, 3)) for name, seconds in totals.most_common(top)]


# Marks of one module process (bench/module_cost.py's driver), in seconds since the process was spawned.
PHASES = (
    ("interpreter", "Python's start (the interpreter and site)", None, "start"),
    ("wrapper", "AnsiballZ wrapper (payload decoded, written and opened as a zip)", "start", "loader"),
    ("imports", "imports and the module's top-level code", "loader", "init0"),
    ("arguments", "argument spec and validation (AnsibleModule)", "init0", "init1"),
    ("before_client", "the module's code before the client", "init1", "client0"),
    ("client", "client set-up (kubeconfig, API client, discovery cache)", "client0", "client1"),
    ("work", "requests and the step's own work", "client1", "exit0"),
    ("exit", "exit (result JSON, temporary files, interpreter teardown)", "exit0", "end"),
)


def module_phases(marks: Mapping[str, float]) -> dict[str, float]:
    """Seconds of each phase of one module process from its marks (seconds since spawn: start, loader,
    init0/init1 around AnsibleModule's constructor, client0/client1 around get_api_client, exit0 at
    exit_json or fail_json, end when the process was reaped; http_s the time spent in HTTP requests).
    A phase whose marks are missing (a module that made no client) is left out; ``work`` is split into
    ``requests`` (http_s) and ``step`` (the rest); ``total`` is ``end``."""
    out: dict[str, float] = {}
    for key, _, begin, end in PHASES:
        if end in marks and (begin is None or begin in marks):
            out[key] = round(marks[end] - (marks[begin] if begin else 0.0), 4)
    if "work" in out and "http_s" in marks:
        out["requests"] = round(marks["http_s"], 4)
        out["step"] = round(out["work"] - marks["http_s"], 4)
    if "end" in marks:
        out["total"] = round(marks["end"], 4)
    return out


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


def speed_targets(col: Mapping[str, float], ref: Mapping[str, float],
                  mitogen: Mapping[str, float] | None = None) -> list[Target]:
    """The targets of speed, each a ratio within one run. ``col`` and ``ref`` (the collection and the
    reference, run plainly) and ``mitogen`` (the collection under strategy mitogen_linear; None when not
    run) hold medians: ``converge_s`` and ``noop_s`` (wall seconds of a fresh converge and of a no-op
    re-run) and ``converge_cpu_s`` and ``noop_cpu_s`` (controller CPU seconds per cluster). The
    collection takes at most the reference's wall time and CPU, and under Mitogen at most half the
    reference's wall time run plainly."""
    out = [
        Target("fresh converge wall time (median), collection / reference",
               ratio(col["converge_s"], ref["converge_s"]), 1.0),
        Target("no-op wall time (median), collection / reference", ratio(col["noop_s"], ref["noop_s"]), 1.0),
    ]
    if mitogen:
        out += [
            Target("fresh converge wall time (median), collection under Mitogen (mitogen_linear) / reference "
                   "run plainly", ratio(mitogen["converge_s"], ref["converge_s"]), 0.5),
            Target("no-op wall time (median), collection under Mitogen (mitogen_linear) / reference run plainly",
                   ratio(mitogen["noop_s"], ref["noop_s"]), 0.5),
        ]
    out += [
        Target("controller CPU per cluster, fresh converge (median), collection / reference",
               ratio(col["converge_cpu_s"], ref["converge_cpu_s"]), 1.0),
        Target("controller CPU per cluster, no-op (median), collection / reference",
               ratio(col["noop_cpu_s"], ref["noop_cpu_s"]), 1.0),
    ]
    return out


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
