"""The testbed's Backstage CRDs make the API server behave as with RHDH's own: versions served
per release, no conversion webhook, strategic merge refused, unknown fields pruned except under
spec.deployment.patch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from testbed import Cluster
from testbed.crds import backstage
from testbed.kube import Kube, crd_established, wait_for

CRDS = Path(backstage.__file__).resolve().parent
SERVED = {
    "1.8": ["v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"],
    "1.9": ["v1alpha5", "v1alpha4", "v1alpha3"],
    "1.10": ["v1alpha5", "v1alpha4"],
}
NS = "crd-tests"


def _install(kube: Kube, release: str) -> None:
    crd = yaml.safe_load((CRDS / f"backstage-rhdh-{release}.yaml").read_text())
    kube.ensure(crd)
    name = crd["metadata"]["name"]

    def served() -> bool:
        group = kube.get_or_none("/apis/rhdh.redhat.com")
        versions = [v["version"] for v in (group or {}).get("versions", [])]
        return crd_established(kube, name) and sorted(versions) == sorted(SERVED[release])

    wait_for(f"RHDH {release}'s Backstage CRD to be served", served, 60)


def _path(api: str, name: str | None = None) -> str:
    base = f"/apis/rhdh.redhat.com/{api}/namespaces/{NS}/backstages"
    return f"{base}/{name}" if name else base


def _create(kube: Kube, api: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    body = {
        "apiVersion": f"rhdh.redhat.com/{api}",
        "kind": "Backstage",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }
    return kube.request("POST", _path(api), body=body)


@pytest.fixture(scope="module")
def crd_cluster(module_cluster_factory) -> Cluster:
    cluster = module_cluster_factory()
    cluster.kubectl("create", "namespace", NS)
    return cluster


def test_crd_files_are_generated_from_the_facts() -> None:
    for release in backstage.RELEASES:
        assert backstage.path_for(release).read_text() == backstage.render(release)
        crd = backstage.crd(release)
        assert crd["spec"]["conversion"] == {"strategy": "None"}
        storage = [v["name"] for v in crd["spec"]["versions"] if v["storage"]]
        assert storage == [SERVED[release][0]]


def test_served_versions_follow_the_release_and_objects_survive_upgrades(crd_cluster: Cluster) -> None:
    kube = crd_cluster.kube()
    _install(kube, "1.8")
    group = kube.request("GET", "/apis/rhdh.redhat.com")
    assert group["preferredVersion"]["version"] == "v1alpha4"
    _create(kube, "v1alpha4", "upgraded", {"application": {"dynamicPluginsConfigMapName": "mine"}})
    _install(kube, "1.9")
    _install(kube, "1.10")
    group = kube.request("GET", "/apis/rhdh.redhat.com")
    assert group["preferredVersion"]["version"] == "v1alpha5"
    read = kube.request("GET", _path("v1alpha5", "upgraded"))
    assert read["apiVersion"] == "rhdh.redhat.com/v1alpha5"
    assert read["spec"]["application"]["dynamicPluginsConfigMapName"] == "mine"
    with pytest.raises(ApiException) as gone:
        kube.request("GET", _path("v1alpha3", "upgraded"))
    assert gone.value.status == 404
    crd = kube.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/backstages.rhdh.redhat.com")
    assert crd["status"]["storedVersions"] == ["v1alpha4", "v1alpha5"]


def test_strategic_merge_patch_is_refused_merge_patch_works(crd_cluster: Cluster) -> None:
    kube = crd_cluster.kube()
    _install(kube, "1.10")
    _create(kube, "v1alpha5", "patched", {"application": {"route": {"enabled": True}}})
    change = {"spec": {"application": {"route": {"enabled": False}}}}
    with pytest.raises(ApiException) as refused:
        kube.request(
            "PATCH", _path("v1alpha5", "patched"), body=change,
            content_type="application/strategic-merge-patch+json",
        )
    assert refused.value.status == 415
    kubectl = crd_cluster.kubectl(
        "patch", "backstage", "patched", "-n", NS, "--type=strategic", "-p", json.dumps(change), check=False
    )
    assert kubectl.returncode != 0
    assert "application/strategic-merge-patch+json is not supported" in kubectl.stderr
    merged = kube.request(
        "PATCH", _path("v1alpha5", "patched"), body=change, content_type="application/merge-patch+json"
    )
    assert merged["spec"]["application"]["route"]["enabled"] is False


def test_unknown_fields_are_pruned_except_under_deployment_patch(crd_cluster: Cluster) -> None:
    kube = crd_cluster.kube()
    _install(kube, "1.10")
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "location", "image": "example/location", "madeUp": 1}]
                }
            }
        },
        "anything": {"goes": True},
    }
    created = _create(
        kube,
        "v1alpha5",
        "pruned",
        {
            "application": {"dynamicPluginsConfigMapName": "plugins", "notAField": "x"},
            "deployment": {"kind": "Deployment", "patch": patch},
            "madeUpTopLevel": {"a": 1},
        },
    )
    spec = created["spec"]
    assert "madeUpTopLevel" not in spec
    assert spec["application"] == {"dynamicPluginsConfigMapName": "plugins"}
    assert spec["deployment"]["patch"] == patch
    assert spec["monitoring"] == {"enabled": False}  # the schema's default


def test_writing_through_an_older_version_loses_newer_fields(crd_cluster: Cluster) -> None:
    """Why the collection reads and writes the storage version: no conversion webhook."""
    kube = crd_cluster.kube()
    _install(kube, "1.10")
    _create(kube, "v1alpha5", "older", {"deployment": {"kind": "StatefulSet"}, "flavours": [{"name": "lightspeed"}]})
    old = kube.request("GET", _path("v1alpha4", "older"))
    old["spec"].setdefault("application", {})["dynamicPluginsConfigMapName"] = "plugins"
    kube.request("PUT", _path("v1alpha4", "older"), body=old)
    new = kube.request("GET", _path("v1alpha5", "older"))
    assert new["spec"]["application"]["dynamicPluginsConfigMapName"] == "plugins"
    assert "kind" not in new["spec"].get("deployment", {})
    assert "flavours" not in new["spec"]
