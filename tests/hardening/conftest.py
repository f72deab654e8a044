"""Fixtures for the hardening tests: the port harness of ``tests/port_node`` over a fresh database.

``port_harness.py`` is reused as is (its directory is put on ``sys.path`` here); the ``harness`` fixture is
``support.harness``'s, and its database fixture (SQLite, or a new PostgreSQL database when
``PILOT_TEST_DATABASE_URL`` is set) is ``tests/conftest.py``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "port_node"))

from support.harness import harness

__all__ = ["harness"]
