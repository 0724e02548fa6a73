#!/usr/bin/env python3
"""Print, one a line, what is wrong with the pod the RHDH workload renders now, against the snapshot
taken before the connector came (testbed/rendered.py says what is checked).

Usage: rendered.py CLUSTER SNAPSHOT_JSON CONNECTOR_CONFIGMAP present|absent. Exit 0 when the
cluster answers; the caller asserts on the output (empty: nothing wrong).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from testbed import Cluster  # noqa: E402
from testbed.rendered import problems  # noqa: E402


def main(argv: list[str]) -> int:
    name, snapshot, configmap, state = argv[1:5]
    before = json.loads(Path(snapshot).read_text(encoding="utf-8"))["deployment"]
    meta = before["metadata"]
    plural = "statefulsets" if before.get("kind") == "StatefulSet" else "deployments"
    after = Cluster.get(name).kube().get_or_none(
        f"/apis/apps/v1/namespaces/{meta['namespace']}/{plural}/{meta['name']}"
    )
    if after is None:
        print(f"{before.get('kind', 'Deployment')} {meta['namespace']}/{meta['name']} is gone")
        return 0
    for line in problems(before, after, connector_configmap=configmap, connector=state == "present"):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
