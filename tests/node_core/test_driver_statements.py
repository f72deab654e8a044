"""A Core construct compiled once and run on the driver's cursor binds and fails as Core would
(node_core/driver_statements.py; the port's append and the nonce store compare what they store with Core's)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from node_core.database import make_engine
from node_core.driver_statements import DriverStatement, driver_cursor, driver_errors

pytestmark = pytest.mark.db

_METADATA = sa.MetaData()
_ROWS = sa.Table(
    "driver_statement_rows",
    _METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    _METADATA.create_all(engine)
    yield engine
    engine.dispose()


def _insert() -> sa.Insert:
    # ``kind`` is the construct's own value, as ``WHERE id = 1`` is in the port's statements.
    return sa.insert(_ROWS).values(
        id=sa.bindparam("id"), kind="fixed", at=sa.bindparam("at", type_=_ROWS.c.at.type), tags=sa.bindparam("tags")
    )


def test_values_are_bound_as_core_binds_them_and_the_constructs_own_too(engine: Engine) -> None:
    statement = DriverStatement(_insert(), engine.dialect)
    at = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(_insert(), {"id": 1, "at": at, "tags": ["a", "ж"]})
        parameters = statement.parameters({"id": 2, "at": at, "tags": ["a", "ж"]})
        with driver_cursor(connection) as cursor, driver_errors(engine.dialect, statement.sql, parameters):
            cursor.execute(statement.sql, parameters)
    with engine.connect() as connection:
        core, driver = connection.execute(sa.select(_ROWS.c.kind, _ROWS.c.at, _ROWS.c.tags).order_by(_ROWS.c.id)).all()
    assert core == driver and driver.kind == "fixed" and driver.tags == ["a", "ж"]


def test_a_value_not_given_is_a_key_error_and_a_driver_error_is_cores(engine: Engine) -> None:
    statement = DriverStatement(_insert(), engine.dialect)
    with pytest.raises(KeyError, match="at"):
        statement.parameters({"id": 3, "tags": []})
    parameters = statement.parameters({"id": 4, "at": datetime(2026, 1, 1, tzinfo=UTC), "tags": []})
    with engine.begin() as connection, driver_cursor(connection) as cursor:
        cursor.execute(statement.sql, parameters)
    with (
        pytest.raises(sa.exc.IntegrityError),
        engine.begin() as connection,
        driver_cursor(connection) as cursor,
        driver_errors(engine.dialect, statement.sql, parameters),
    ):
        cursor.execute(statement.sql, parameters)  # the same id again
