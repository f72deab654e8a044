"""Fixtures for the port node tests: a port harness, and the port's migrated database, over the fresh database
``tests/conftest.py`` gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from node_core.database import make_engine, run_migrations
from port_node.state import MIGRATIONS
from tests.support.harness import harness, harness_settings

__all__ = ["engine", "harness", "harness_settings"]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the fresh database, migrated to the port's tables, disposed of after."""
    engine = make_engine(database_url)
    run_migrations(engine, MIGRATIONS)
    yield engine
    engine.dispose()
