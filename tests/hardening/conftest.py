"""Fixtures for the hardening tests: the port harness of ``tests/port_node`` over a fresh database.

The ``harness`` fixture is ``tests.support.harness``'s; its database fixture (SQLite, or a new PostgreSQL database when
``PILOT_TEST_DATABASE_URL`` is set) is ``tests/conftest.py``'s.
"""

from __future__ import annotations

from tests.support.harness import harness, harness_settings

__all__ = ["harness", "harness_settings"]
