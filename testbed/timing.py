"""Logging helpers: every testbed step reports how long it took."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

LOG = logging.getLogger("testbed")


@contextmanager
def step(what: str) -> Iterator[None]:
    """Log ``what`` when it starts and how long it took when it ends (or failed)."""
    started = time.monotonic()
    LOG.info("%s ...", what)
    try:
        yield
    except BaseException:
        LOG.error("%s: failed after %.1f s", what, time.monotonic() - started)
        raise
    LOG.info("%s: done in %.1f s", what, time.monotonic() - started)
