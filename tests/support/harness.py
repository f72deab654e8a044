"""The ``harness`` fixture: a port over a fresh database (for ``tests/port_node``, ``hardening``, ``node_core``).

Import both fixtures into a ``conftest.py`` (``from tests.support.harness import harness, harness_settings``); a
test module that needs other settings overrides ``harness_settings``. It builds on ``tests/port_node/port_harness.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.port_node.port_harness import PortHarness, make_harness

__all__ = ["harness", "harness_settings"]


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    """Node settings of the harness's port besides its defaults: none (override it in a test module)."""
    return {}


@pytest.fixture
def harness(tmp_path: Path, database_url: str, harness_settings: dict[str, Any]) -> Iterator[PortHarness]:
    """A port over a fresh database, closed after the test."""
    port = make_harness(tmp_path, database_url, **harness_settings)
    try:
        yield port
    finally:
        port.close()
