"""Fixtures of the conformance kit's tests: one ``pilot init`` sandbox and a real port process on loopback.

The conftests of ``tests/conformance`` and ``tests/e2e/conformance`` import them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import pilot_init, port_with_registry


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default ``pilot init`` data dir shared by the session's nodes (each node has its own database)."""
    return pilot_init(tmp_path_factory.mktemp("conformance") / "data")


@pytest.fixture(scope="session")
def our_port(sandbox: Path) -> Iterator[str]:
    """``pilot node port --id cn-port-01`` on a free port, with a registry holding the sandbox's status lists."""
    with port_with_registry(sandbox, "cn-port-01").start() as node:
        yield node.url
