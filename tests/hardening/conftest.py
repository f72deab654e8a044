"""Fixtures for the hardening tests: a fresh port database (SQLite, or PostgreSQL when selected) and the port harness.

The port harness of ``tests/port_node`` (``port_harness.py``) is reused as is: its directory is put on
``sys.path`` here. ``PILOT_TEST_DATABASE_URL`` selects PostgreSQL: each test then gets its own database,
dropped afterwards; set but unreachable, the test fails (a configured database that is down is an error).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "port_node"))

from port_harness import PortHarness, make_harness


@pytest.fixture
def anyio_backend() -> str:
    """The anyio plugin runs async tests on asyncio."""
    return "asyncio"


def _postgres_admin(url: str) -> sa.Engine:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        pytest.fail(f"PILOT_TEST_DATABASE_URL is set but unreachable: {exc}")
    return engine


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the selected kind, removed after the test."""
    selected = os.environ.get("PILOT_TEST_DATABASE_URL")
    if not selected:
        yield f"sqlite:///{tmp_path / 'port.db'}"
        return
    admin = _postgres_admin(selected)
    name = f"hard_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(selected).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[PortHarness]:
    """A port over a fresh database, closed after the test."""
    port = make_harness(tmp_path, database_url)
    try:
        yield port
    finally:
        port.close()
