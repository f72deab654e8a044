"""The ``harness`` fixture of ``tests/port_node`` and ``tests/hardening``: a port over a fresh database.

Import it into a ``conftest.py`` (``from support.harness import harness``). It builds on
``tests/port_node/port_harness.py``, so ``tests/port_node`` must be on ``sys.path``: it is for the tests
in that folder (pytest's ``prepend`` import mode), and ``tests/hardening/conftest.py`` puts it there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from port_harness import PortHarness, make_harness

__all__ = ["harness"]


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[PortHarness]:
    """A port over a fresh database, closed after the test."""
    port = make_harness(tmp_path, database_url)
    try:
        yield port
    finally:
        port.close()
