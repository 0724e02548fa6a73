"""Print the facts of CustomResourceDefinition files that a trimmed schema must keep.

Usage: python -m testbed.crdfacts FILE.yaml [FILE.yaml ...]

For each CRD: group, kind, names, scope, conversion strategy, and for each version whether it is
served/storage, has a status subresource, and every path marked x-kubernetes-preserve-unknown-fields.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import yaml


def preserve_paths(schema: dict[str, Any], path: str = "") -> Iterator[str]:
    """Yield every path under ``schema`` that preserves unknown fields."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        yield path or "."
    for key, sub in (schema.get("properties") or {}).items():
        yield from preserve_paths(sub, f"{path}.{key}")
    if isinstance(schema.get("items"), dict):
        yield from preserve_paths(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from preserve_paths(schema["additionalProperties"], f"{path}{{*}}")


def describe(crd: dict[str, Any]) -> Iterator[str]:
    """Yield the lines describing one CRD."""
    spec = crd["spec"]
    names = spec["names"]
    yield f"{crd['metadata']['name']}: group={spec['group']} kind={names['kind']} scope={spec['scope']}"
    yield (
        f"  plural={names.get('plural')} singular={names.get('singular')} "
        f"shortNames={names.get('shortNames')} conversion={spec.get('conversion', {}).get('strategy', 'None')}"
    )
    for version in spec["versions"]:
        sub = ",".join(sorted(version.get("subresources") or {}))
        yield f"  {version['name']}: served={version['served']} storage={version['storage']} subresources={sub}"
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        for path in preserve_paths(schema):
            yield f"    preserve-unknown: {path}"


def main(paths: list[str]) -> int:
    """Print the facts of every CRD found in ``paths``."""
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    print("\n".join(describe(doc)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
