"""Fixtures for the port node tests: a port harness over the fresh database ``tests/conftest.py`` gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from port_harness import PortHarness, make_harness


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[PortHarness]:
    """A port over a fresh database, closed after the test."""
    port = make_harness(tmp_path, database_url)
    try:
        yield port
    finally:
        port.close()
