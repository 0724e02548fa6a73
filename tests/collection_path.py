"""Make this checkout importable as ``ansible_collections.rhdh.ai_connector``.

The repository root is the collection root, so a symlink tree under ``.cache/collections`` (git
ignores it) is enough for Python and for ``ANSIBLE_COLLECTIONS_PATH``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"


def ensure() -> Path:
    link = COLLECTIONS / "ansible_collections" / "rhdh" / "ai_connector"
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(ROOT, target_is_directory=True)
        except FileExistsError:
            pass
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    paths = [str(COLLECTIONS)] + [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":") if p]
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = ":".join(dict.fromkeys(paths))
    return COLLECTIONS
