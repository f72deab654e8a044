"""Fixtures for the hardening tests: the port harness of ``tests/port_node`` over a fresh database.

``port_harness.py`` is reused as is (its directory is put on ``sys.path`` here); the database fixture
(SQLite, or a new PostgreSQL database when ``PILOT_TEST_DATABASE_URL`` is set) is ``tests/conftest.py``'s.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "port_node"))

from port_harness import PortHarness, make_harness


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[PortHarness]:
    """A port over a fresh database, closed after the test."""
    port = make_harness(tmp_path, database_url)
    try:
        yield port
    finally:
        port.close()
