"""Fixtures for the port node tests: a fresh database per test (SQLite, or PostgreSQL when selected).

``PILOT_TEST_DATABASE_URL`` selects PostgreSQL: each test then gets its own database (``CREATE
DATABASE``), dropped afterwards. If it is set but unreachable the test is skipped, except under
``CI=true``, where it fails (DESIGN section 10).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from port_harness import PortHarness, make_harness
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


@pytest.fixture
def anyio_backend() -> str:
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
    name = f"port_test_{uuid.uuid4().hex[:12]}"
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
