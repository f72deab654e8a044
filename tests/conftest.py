"""Suite-wide rules and fixtures: which database tests run on, and a fresh database per test.

Tests that need PostgreSQL itself (marked ``postgres``, or using a PostgreSQL-only fixture) are
deselected — not skipped — when ``PILOT_TEST_DATABASE_URL`` is unset: the README's plain ``pytest``
runs on SQLite, and ``.ci/run`` runs ``pytest -m db`` again with the URL set. When the URL is set but the
server does not answer, those tests fail: a configured database that is down is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

POSTGRES_ONLY_FIXTURES = {"postgres_schema_url", "local_databases"}


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
    """A URL to an empty database of the selected kind (SQLite, or a new PostgreSQL database), removed after."""
    selected = os.environ.get("PILOT_TEST_DATABASE_URL")
    if not selected:
        yield f"sqlite:///{tmp_path / 'node.db'}"
        return
    admin = _postgres_admin(selected)
    name = f"pilot_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(selected).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_url() -> str | None:
    return os.environ.get("PILOT_TEST_DATABASE_URL") or None


def pytest_report_header(config: pytest.Config) -> str:
    url = _postgres_url()
    if url:
        return f"database tests: SQLite and PostgreSQL ({url})"
    return "database tests: SQLite only (PILOT_TEST_DATABASE_URL unset; PostgreSQL-only tests deselected)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _postgres_url():
        return
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        needs_postgres = (
            item.get_closest_marker("postgres") is not None
            or bool(POSTGRES_ONLY_FIXTURES & set(getattr(item, "fixturenames", ())))
            or (callspec is not None and "postgresql" in callspec.params.values())
        )
        (drop if needs_postgres else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
