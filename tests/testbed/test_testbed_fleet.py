"""Fleet tests need several clusters at once: three run side by side, each its own world."""

from __future__ import annotations

from testbed import Cluster


def test_three_clusters_run_at_once(cluster_factory) -> None:
    fleet = [cluster_factory() for _ in range(3)]
    assert len({c.server for c in fleet}) == 3
    assert len({c.kubeconfig for c in fleet}) == 3
    for cluster in fleet:
        assert cluster.readyz()
        assert all(cluster.components_running().values())
        assert cluster.name in Cluster.list()
    fleet[0].kubectl("create", "namespace", "only-in-the-first")
    assert fleet[0].kubectl("get", "namespace", "only-in-the-first").returncode == 0
    for other in fleet[1:]:
        assert other.kubectl("get", "namespace", "only-in-the-first", check=False).returncode != 0
    for cluster in fleet:
        rss = cluster.rss_bytes()
        assert 0 < rss < 2 * 2**30, f"{cluster.name} uses {rss / 2**20:.0f} MiB"
        print(f"{cluster.name}: {rss / 2**20:.0f} MiB resident")
