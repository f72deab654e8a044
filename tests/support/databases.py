"""Throwaway databases: SQLite under a test's ``tmp_path``, or PostgreSQL when ``PILOT_TEST_DATABASE_URL`` is set.

``fresh_database`` backs the root ``database_url`` fixture (``tests/conftest.py``): a SQLite file, or a new
PostgreSQL database on the configured server, dropped afterwards. ``fresh_schema`` gives a URL whose
connections use a new schema of an existing PostgreSQL database (``search_path``), dropped afterwards.
A configured server that does not answer fails the test: configured but down is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

__all__ = ["TEST_DATABASE_ENV", "admin_engine", "configured_postgres_url", "fresh_database", "fresh_schema"]

TEST_DATABASE_ENV = "PILOT_TEST_DATABASE_URL"


def configured_postgres_url() -> str | None:
    """``PILOT_TEST_DATABASE_URL``, or None when it is unset or empty."""
    return os.environ.get(TEST_DATABASE_ENV) or None


@contextmanager
def admin_engine(url: str) -> Iterator[sa.Engine]:
    """An autocommit engine on ``url`` that has answered ``SELECT 1`` (else the test fails); disposed after."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except OperationalError as exc:
            pytest.fail(f"{TEST_DATABASE_ENV} is set but unreachable: {exc}")
        yield engine
    finally:
        engine.dispose()


def _execute(engine: sa.Engine, statement: str) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text(statement))


@contextmanager
def fresh_database(directory: Path, name: str = "node") -> Iterator[str]:
    """A URL to an empty database: ``<directory>/<name>.db``, or a new PostgreSQL database dropped after."""
    server = configured_postgres_url()
    if server is None:
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    database = f"pilot_test_{uuid.uuid4().hex[:12]}"
    with admin_engine(server) as admin:
        _execute(admin, f'CREATE DATABASE "{database}"')
        try:
            yield make_url(server).set(database=database).render_as_string(hide_password=False)
        finally:
            _execute(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def fresh_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """``url`` with its connections put in a new schema (``search_path``), dropped with its tables after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with admin_engine(url) as admin:
        _execute(admin, f'CREATE SCHEMA "{schema}"')
        try:
            yield (
                make_url(url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        finally:
            _execute(admin, f'DROP SCHEMA "{schema}" CASCADE')
