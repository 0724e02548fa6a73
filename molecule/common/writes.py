#!/usr/bin/env python3
"""Print, one a line, the write requests the collection sent to a testbed cluster since a time.

Usage: writes.py CLUSTER SINCE_EPOCH [USER_AGENT]. Exit 0 always when the cluster answers; the
caller asserts on the output (empty: no write). Dry-run requests are not writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from testbed import Cluster  # noqa: E402
from testbed.audit import describe  # noqa: E402


def main(argv: list[str]) -> int:
    name, since = argv[1], float(argv[2])
    agent = argv[3] if len(argv) > 3 else "rhdh.ai_connector"
    for event in Cluster.get(name).write_requests(since=since, user_agent=agent):
        print(describe(event))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
