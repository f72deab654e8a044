"""Fixtures for node_core tests: databases (SQLite always, PostgreSQL when configured) and signing keys.

PostgreSQL runs when ``PILOT_TEST_DATABASE_URL`` is set; if it is set but unreachable the test is skipped,
except with ``CI=true``, where it fails (DESIGN section 10). Each PostgreSQL test gets its own schema,
dropped afterwards, so parallel runs do not collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from node_core.database import make_engine, run_migrations

ALEMBIC_FIXTURE = Path(__file__).parent / "alembic_fixture"


def postgres_url_or_skip() -> str:
    """The PostgreSQL test URL; fails when the server does not answer."""
    url = os.environ["PILOT_TEST_DATABASE_URL"]  # tests/conftest.py deselects these tests when it is unset
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        pytest.fail(f"PILOT_TEST_DATABASE_URL is set but unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema (search_path), dropped after the test."""
    url = postgres_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.db)])
def migrated_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database upgraded with the fixture's migrations (the shared tables)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'node.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    run_migrations(engine, ALEMBIC_FIXTURE)
    try:
        yield engine
    finally:
        engine.dispose()
