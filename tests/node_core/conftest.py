"""Fixtures for node_core tests: databases (SQLite always, PostgreSQL when configured), signing keys, and the
real registry app (``registry``) for the status list client code.

PostgreSQL runs when ``PILOT_TEST_DATABASE_URL`` is set; if it is set but unreachable the test fails
(``support.databases``). Each PostgreSQL test gets its own schema, dropped afterwards, so parallel runs do
not collide.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from node_core.database import make_engine, run_migrations
from tests.registry_node.registry_harness import RegistryHarness, make_registry
from tests.support.databases import configured_postgres_url, fresh_schema
from tests.support.harness import harness, harness_settings

__all__ = ["harness", "harness_settings", "migrated_engine", "postgres_schema_url", "registry_app"]

ALEMBIC_FIXTURE = Path(__file__).parent / "alembic_fixture"


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema (search_path), dropped after the test."""
    url = configured_postgres_url()
    assert url is not None  # tests/conftest.py deselects the tests that use this fixture when it is unset
    with fresh_schema(url) as scoped:
        yield scoped


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


@pytest.fixture
def registry_app(tmp_path: Path, database_url: str) -> Iterator[RegistryHarness]:
    """The real registry app (``registry_node``) over a fresh database, closed after the test."""
    with make_registry(tmp_path, database_url) as registry:
        yield registry
