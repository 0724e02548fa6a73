"""Reading the API server's audit log (one JSON event per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
# Requests that POST an object but only ask a question: they change nothing.
QUERY_RESOURCES = frozenset(
    {
        "subjectaccessreviews",
        "selfsubjectaccessreviews",
        "localsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "tokenreviews",
    }
)


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event in the audit log at ``path`` (a half-written last line is skipped)."""
    events = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        return []
    return events


def contains(path: Path, offset: int, text: str) -> bool:
    """True if ``text`` appears in the audit log after byte ``offset`` in a ResponseComplete event."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return False
    return any(text in line and '"ResponseComplete"' in line for line in data.splitlines())


def received_at(event: dict[str, Any]) -> float:
    """When the API server received the request, as a Unix timestamp."""
    stamp = event.get("requestReceivedTimestamp") or event.get("stageTimestamp") or ""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def is_write(event: dict[str, Any]) -> bool:
    """True for a request that may change state (not a review query, not a dry run)."""
    if event.get("verb") not in WRITE_VERBS:
        return False
    if (event.get("objectRef") or {}).get("resource") in QUERY_RESOURCES:
        return False
    return "dryRun=All" not in event.get("requestURI", "")


def writes(events: Iterable[dict[str, Any]], user_agent: str | None = None) -> list[dict[str, Any]]:
    """The write requests among ``events``, optionally from a user agent containing ``user_agent``."""
    return [
        e
        for e in events
        if is_write(e) and (user_agent is None or user_agent in e.get("userAgent", ""))
    ]


READ_VERBS = frozenset({"get", "list"})


def repeated_reads(events: Iterable[dict[str, Any]], user_agent: str | None = None) -> list[tuple[str, int]]:
    """Reads (GET/LIST, discovery included) sent more than once, as (request URI, times), by URI."""
    seen: dict[str, int] = {}
    for e in events:
        if e.get("verb") in READ_VERBS and (user_agent is None or user_agent in e.get("userAgent", "")):
            seen[e.get("requestURI", "")] = seen.get(e.get("requestURI", ""), 0) + 1
    return sorted((uri, n) for uri, n in seen.items() if n > 1)


def describe(event: dict[str, Any]) -> str:
    """One line for a human: verb, object, user agent, response code."""
    ref = event.get("objectRef") or {}
    what = "/".join(
        part for part in (ref.get("namespace"), ref.get("resource"), ref.get("name"),
                          ref.get("subresource")) if part
    )
    code = (event.get("responseStatus") or {}).get("code")
    return f"{event.get('verb')} {what} by {event.get('userAgent', '?')} -> {code}"
