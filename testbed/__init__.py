"""The project's testbed: real local Kubernetes control planes with fake nodes, for tests.

    from testbed import Cluster, build_binaries
    c = Cluster.create("tb-demo")      # idempotent
    c.load("rhoai-2.25", "rhdh-operator-1.8")
    c.kubectl("get", "backstages", "-A")

See testbed/README.md.
"""

from .build import BuildResult, build_binaries, run_build
from .cluster import Cluster
from .errors import ComponentError, TestbedError

__all__ = [
    "BuildResult",
    "Cluster",
    "ComponentError",
    "TestbedError",
    "build_binaries",
    "run_build",
]
