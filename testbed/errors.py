"""Errors raised by the testbed."""

from __future__ import annotations

from pathlib import Path


class TestbedError(RuntimeError):
    """Something in the testbed failed; the message says what and where to look."""

    __test__ = False  # not a pytest test class


class ComponentError(TestbedError):
    """A cluster component (kube-apiserver, etcd, the RHDH operator, ...) failed to start."""

    def __init__(self, component: str, reason: str, log: Path | None = None) -> None:
        where = f"; its log is {log}" if log else ""
        super().__init__(f"{component} failed to start: {reason}{where}")
        self.component = component
        self.log = log
