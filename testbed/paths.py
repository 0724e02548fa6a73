"""Where the testbed keeps its binaries, clusters and state (never inside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def cache_root() -> Path:
    """Return ``${XDG_CACHE_HOME:-~/.cache}/rhdh-ai-connector``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rhdh-ai-connector"


def kwok_workdir() -> Path:
    """Return the folder handed to kwokctl as ``KWOK_WORKDIR`` (it keeps clusters under ``clusters/``)."""
    return cache_root()


def clusters_root() -> Path:
    """Return the folder holding one working folder per cluster."""
    return kwok_workdir() / "clusters"


def cluster_dir(name: str) -> Path:
    """Return the working folder of cluster ``name``."""
    return clusters_root() / name
