"""Make this checkout importable as ``ansible_collections.rhdh.ai_connector``.

The repository root is the collection root, so a symlink tree under ``.cache/collections`` (git
ignores it) is enough for Python and for ``ANSIBLE_COLLECTIONS_PATH``. An installed copy of the
collection (the built artifact, which ships this file and ``tests/unit``) is used where it is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"


def installed_in() -> Path | None:
    """The collections folder when this copy already sits at ``ansible_collections/rhdh/ai_connector``.

    That is an installed artifact (``ansible-galaxy collection install``, ``ansible-test units``) or
    a checkout in that layout: it is importable as it is, so no link is made inside it.
    """
    if (ROOT.parent.parent.name, ROOT.parent.name, ROOT.name) == ("ansible_collections", "rhdh", "ai_connector"):
        return ROOT.parent.parent.parent
    return None


def ensure() -> Path:
    collections = installed_in()
    if collections is None:
        collections = COLLECTIONS
        link = COLLECTIONS / "ansible_collections" / "rhdh" / "ai_connector"
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            try:
                link.symlink_to(ROOT, target_is_directory=True)
            except FileExistsError:
                pass
    if str(collections) not in sys.path:
        sys.path.insert(0, str(collections))
    paths = [str(collections)] + [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":") if p]
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = ":".join(dict.fromkeys(paths))
    return collections
