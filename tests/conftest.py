"""pytest fixtures for tests that need the testbed (real local Kubernetes control planes).

- ``testbed_bin`` (session): the testbed's bin folder, built or reused.
- ``cluster_factory`` (function): ``make(*scenarios, name=None)`` creates a fresh cluster with a
  unique short name and the scenarios loaded; deleted at teardown unless RHDH_TESTBED_KEEP=1.
- ``module_cluster_factory`` (module): the same, for clusters shared by one test module.
- ``shared_cluster`` (session): one cluster per worker named ``pytest-shared-<worker>`` with no scenario; tests using
  it work in namespaces of their own.

Tests using these fixtures get the ``cluster`` marker. If the testbed cannot start they fail
with the reason; they are never skipped.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testbed import Cluster, TestbedError, build_binaries  # noqa: E402
from tests.suite_order import file_rank  # noqa: E402

CLUSTER_FIXTURES = frozenset(
    {"testbed_bin", "cluster_factory", "module_cluster_factory", "shared_cluster"}
)
# One per pytest-xdist worker (scripts/test runs test files two at a time): gw0, gw1; "main" without xdist.
SHARED_NAME = "pytest-shared-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
MakeCluster = Callable[..., Cluster]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: needs the testbed (a local Kubernetes control plane)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CLUSTER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.cluster)
    building = os.environ.get("TESTBED_BUILD_RUNNING") == "1"
    items.sort(key=lambda item: file_rank(item.path, building))  # stable: each file keeps its order


def keep_clusters() -> bool:
    """RHDH_TESTBED_KEEP=1 keeps the clusters tests made, for a look afterwards."""
    return os.environ.get("RHDH_TESTBED_KEEP") == "1"


def _fail(what: str, err: Exception) -> None:
    pytest.fail(f"the testbed could not {what}: {err}", pytrace=False)


class ClusterMaker:
    """Creates clusters on demand and deletes them all at teardown."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.made: list[Cluster] = []

    def __call__(self, *scenarios: str, name: str | None = None) -> Cluster:
        name = name or f"{self.prefix}-{uuid.uuid4().hex[:6]}"
        try:
            cluster = Cluster.create(name)
        except TestbedError as err:
            _fail(f"create cluster {name}", err)
        self.made.append(cluster)
        try:
            cluster.load(*scenarios)
        except TestbedError as err:
            _fail(f"load {', '.join(scenarios)} into {name}", err)
        return cluster

    def cleanup(self) -> None:
        if keep_clusters():
            for cluster in self.made:
                print(f"\nkept cluster {cluster.name}: export KUBECONFIG={cluster.kubeconfig}")
            return
        for cluster in self.made:
            cluster.delete()


@pytest.fixture(scope="session")
def testbed_bin() -> Path:
    try:
        return build_binaries()
    except TestbedError as err:
        _fail("build its binaries", err)
        raise  # unreachable: pytest.fail raises


@pytest.fixture
def cluster_factory(testbed_bin: Path) -> Iterator[MakeCluster]:
    maker = ClusterMaker("pt")
    yield maker
    maker.cleanup()


@pytest.fixture(scope="module")
def module_cluster_factory(testbed_bin: Path) -> Iterator[MakeCluster]:
    maker = ClusterMaker("pm")
    yield maker
    maker.cleanup()


@pytest.fixture(scope="session")
def shared_cluster(testbed_bin: Path) -> Iterator[Cluster]:
    maker = ClusterMaker("ps")
    yield maker(name=SHARED_NAME)
    maker.cleanup()
