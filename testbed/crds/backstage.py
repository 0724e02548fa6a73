"""Writes the testbed's Backstage CRDs (``backstage-rhdh-<release>.yaml``) from the facts below.

The RHDH operator's CRD grew one API version per release; each RHDH release serves a window
of versions and stores the newest. There is no conversion webhook (strategy None): the API
server only relabels apiVersion between versions, and fields unknown to the schema of the
version a client writes through are pruned. Only ``spec.deployment.patch`` keeps unknown
fields. The schemas below are trimmed (no descriptions) but declare every field users and the
collection touch.

Usage (from the repository root): ``python -m testbed.crds.backstage`` rewrites the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Schema = dict[str, Any]
ORDER = ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4", "v1alpha5")
DNS_SUBDOMAIN = (
    r"^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])"
    r"(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9]))*$"
)
# release -> (served versions, storage version, deprecation warning of unserved/deprecated ones)
RELEASES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "1.8": (
        ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"),
        "v1alpha4",
        "Since 1.3.0 spec.application.image, spec.application.replicas, "
        "spec.application.imagePullSecrets are deprecated in favor of corresponding "
        "spec.deployment fields",
    ),
    "1.9": (("v1alpha3", "v1alpha4", "v1alpha5"), "v1alpha5", "{v} is not served and will be permanently removed"),
    "1.10": (("v1alpha4", "v1alpha5"), "v1alpha5", "{v} is not served"),
}


def at_least(version: str, minimum: str) -> bool:
    """True if API version ``version`` is ``minimum`` or newer."""
    return ORDER.index(version) >= ORDER.index(minimum)


def string() -> Schema:
    return {"type": "string"}


def obj(properties: Schema, required: list[str] | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def containers() -> Schema:
    schema = array(string())
    schema["x-kubernetes-validations"] = [
        {
            "message": "If '*' is specified, no other container names are allowed",
            "rule": '!(size(self) != 1 && self[0]=="*")',
        }
    ]
    return schema


def object_ref(version: str, key: bool = True, mount_path: bool = True) -> Schema:
    """An item of appConfig/extraFiles/extraEnvs lists: a ConfigMap, Secret or PVC by name."""
    props: Schema = {}
    if at_least(version, "v1alpha4"):
        props["containers"] = containers()
    if key:
        props["key"] = string()
    if mount_path and at_least(version, "v1alpha3"):
        props["mountPath"] = string()
    props["name"] = string()
    return obj(props, ["name"])


def application(version: str) -> Schema:
    env: Schema = {"name": string(), "value": string()}
    if at_least(version, "v1alpha4"):
        env = {"containers": containers(), **env}
    files: Schema = {
        "configMaps": array(object_ref(version)),
        "mountPath": {"type": "string", "default": "/opt/app-root/src"},
    }
    if at_least(version, "v1alpha3"):
        files["pvcs"] = array(object_ref(version, key=False))
    files["secrets"] = array(object_ref(version))
    props: Schema = {
        "appConfig": obj(
            {
                "configMaps": array(object_ref(version)),
                "mountPath": {"type": "string", "default": "/opt/app-root/src"},
            }
        ),
        "dynamicPluginsConfigMapName": string(),
        "extraEnvs": obj(
            {
                "configMaps": array(object_ref(version, mount_path=False)),
                "envs": array(obj(env, ["name", "value"])),
                "secrets": array(object_ref(version, mount_path=False)),
            }
        ),
        "extraFiles": obj(files),
    }
    if not at_least(version, "v1alpha5"):
        props["image"] = string()
        props["imagePullSecrets"] = array(string())
        props["replicas"] = {"type": "integer", "format": "int32", "default": 1}
    host = {"type": "string", "maxLength": 253, "pattern": DNS_SUBDOMAIN}
    props["route"] = obj(
        {
            "enabled": {"type": "boolean", "default": True},
            "host": dict(host),
            "subdomain": dict(host),
            "tls": obj(
                {
                    "caCertificate": string(),
                    "certificate": string(),
                    "externalCertificateSecretName": string(),
                    "key": string(),
                }
            ),
        }
    )
    return obj(props)


def spec(version: str, release: str) -> Schema:
    props: Schema = {
        "application": application(version),
        "database": obj(
            {"authSecretName": string(), "enableLocalDb": {"type": "boolean", "default": True}}
        ),
    }
    if at_least(version, "v1alpha2"):
        deployment: Schema = {}
        if at_least(version, "v1alpha5"):
            deployment["kind"] = {"type": "string", "enum": ["Deployment", "StatefulSet"]}
        deployment["patch"] = {"x-kubernetes-preserve-unknown-fields": True}
        props["deployment"] = obj(deployment)
    if at_least(version, "v1alpha5") and release == "1.10":
        props["flavours"] = array(
            obj({"enabled": {"type": "boolean", "default": True}, "name": string()}, ["name"])
        )
    if at_least(version, "v1alpha4"):
        props["monitoring"] = obj(
            {"enabled": {"type": "boolean", "default": False}}, default={"enabled": False}
        )
    props["rawRuntimeConfig"] = obj({"backstageConfig": string(), "localDbConfig": string()})
    return obj(props)


def status() -> Schema:
    condition = obj(
        {
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "message": {"type": "string", "maxLength": 32768},
            "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
            "reason": {"type": "string", "maxLength": 1024},
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "type": {"type": "string", "maxLength": 316},
        },
        ["lastTransitionTime", "message", "reason", "status", "type"],
    )
    return obj({"conditions": array(condition)})


def version_entry(version: str, release: str) -> Schema:
    served, storage, warning = RELEASES[release]
    entry: Schema = {}
    deprecated = version not in served or (release == "1.8" and version == "v1alpha1")
    if deprecated:
        entry["deprecated"] = True
        entry["deprecationWarning"] = warning.format(v=version)
    entry["name"] = version
    entry["schema"] = {
        "openAPIV3Schema": obj(
            {
                "apiVersion": string(),
                "kind": string(),
                "metadata": {"type": "object"},
                "spec": spec(version, release),
                "status": status(),
            }
        )
    }
    entry["served"] = version in served
    entry["storage"] = version == storage
    entry["subresources"] = {"status": {}}
    return entry


def crd(release: str) -> Schema:
    """The Backstage CRD as RHDH ``release`` installs it."""
    storage = RELEASES[release][1]
    versions = ORDER[: ORDER.index(storage) + 1]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": "backstages.rhdh.redhat.com",
            "labels": {"testbed.rhdh-ai-connector/rhdh-release": release},
        },
        "spec": {
            "group": "rhdh.redhat.com",
            "names": {
                "kind": "Backstage",
                "listKind": "BackstageList",
                "plural": "backstages",
                "singular": "backstage",
            },
            "scope": "Namespaced",
            "conversion": {"strategy": "None"},
            "versions": [version_entry(v, release) for v in versions],
        },
    }


def render(release: str) -> str:
    header = (
        f"# Backstage CRD (rhdh.redhat.com) as served by RHDH {release}: written for the testbed from\n"
        "# the facts of the operator's CRD (versions, storage, defaults, preserved subtrees).\n"
        "# Generated by testbed/crds/backstage.py: edit that file, then run python -m testbed.crds.backstage\n"
    )
    return header + yaml.safe_dump(crd(release), sort_keys=False, width=100)


def path_for(release: str) -> Path:
    return Path(__file__).resolve().parent / f"backstage-rhdh-{release}.yaml"


def main() -> None:
    for release in RELEASES:
        path_for(release).write_text(render(release), encoding="utf-8")
        print(path_for(release))


if __name__ == "__main__":
    main()
