#!/usr/bin/env python3
"""Print the role's variables as a Markdown table, from meta/argument_specs.yml (the one source).

The README carries this table between `<!-- role-vars:start -->` and `<!-- role-vars:end -->`;
tests/unit/test_docs.py fails when the two differ. `--write` rewrites the README's table.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "roles" / "rhoai_connector" / "meta" / "argument_specs.yml"
README = ROOT / "README.md"
START, END = "<!-- role-vars:start -->", "<!-- role-vars:end -->"


def plain(text: str) -> str:
    """Ansible doc markup (C(x), O(x), E(x)) as Markdown."""
    text = re.sub(r"[COEV]\(([^)]*)\)", r"`\1`", text)
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    options = yaml.safe_load(SPECS.read_text())["argument_specs"]["main"]["options"]
    rows = ["| variable | type | default | what it does |", "|---|---|---|---|"]
    for name, spec in options.items():
        desc = spec.get("description", "")
        desc = " ".join(desc) if isinstance(desc, list) else desc
        if spec.get("choices"):
            desc += " One of: " + ", ".join("`{0}`".format(c) for c in spec["choices"]) + "."
        default = spec.get("default")
        shown = "`{0}`".format(yaml.safe_dump(default, default_flow_style=True).strip().replace("...", "").strip()) if default not in (None,) else ""
        rows.append("| `{0}` | {1} | {2} | {3} |".format(name, spec.get("type", "str"), shown, plain(desc)))
    return "\n".join(rows)


def readme_table() -> str:
    text = README.read_text()
    return text[text.index(START) + len(START):text.index(END)].strip()


def main() -> int:
    if "--write" in sys.argv:
        text = README.read_text()
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        README.write_text(head + START + "\n" + table() + "\n" + END + tail)
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
