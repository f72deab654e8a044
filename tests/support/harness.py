"""The ``harness`` fixture of ``tests/port_node`` and ``tests/hardening``: a port over a fresh database.

Import it into a ``conftest.py`` (``from tests.support.harness import harness``); it builds on
``tests/port_node/port_harness.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.port_node.port_harness import PortHarness, make_harness

__all__ = ["harness"]


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[PortHarness]:
    """A port over a fresh database, closed after the test."""
    port = make_harness(tmp_path, database_url)
    try:
        yield port
    finally:
        port.close()
