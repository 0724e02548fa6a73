#!/usr/bin/env python3
"""Print, one a line, the write requests the collection sent to a testbed cluster since a time.

Usage: writes.py CLUSTER SINCE_EPOCH [USER_AGENT] [--repeated-reads]. Exit 0 always when the
cluster answers; the caller asserts on the output (empty: no write). Dry-run requests are not
writes. With --repeated-reads: the reads (GET/LIST) one task sent more than once instead (each task
of the role is one module, one process, with its own user agent ``rhdh.ai_connector/<module>``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from testbed import Cluster  # noqa: E402
from testbed.audit import describe, repeated_reads  # noqa: E402


def main(argv: list[str]) -> int:
    reads = "--repeated-reads" in argv
    args = [a for a in argv[1:] if a != "--repeated-reads"]
    name, since = args[0], float(args[1])
    agent = args[2] if len(args) > 2 else "rhdh.ai_connector"
    cluster = Cluster.get(name)
    if reads:
        by_task: dict[str, list] = {}
        for event in cluster.audit_events(since):
            user_agent = event.get("userAgent", "").split(" ")[0]
            if agent in user_agent:
                by_task.setdefault(user_agent, []).append(event)
        for task, events in sorted(by_task.items()):
            for uri, times in repeated_reads(events):
                print(f"{task}: {times} x GET {uri}")
        return 0
    for event in cluster.write_requests(since=since, user_agent=agent):
        print(describe(event))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
