"""Hot statements on the database driver's own cursor, converted and failing as SQLAlchemy Core would.

A few statements run once per request or per write (the port's append and its look-up before it, the nonce
store's upsert). Through Core's ``Connection.execute`` each costs more than the database's own work (measured
on this project's machine: a one-submission append on SQLite 0.88 ms with Core against 0.41 ms on the
driver's cursor; a nonce upsert 147 against 78 µs). A ``DriverStatement`` is a Core construct compiled once
for the engine's dialect and run on the driver's cursor:

- its parameters are converted by the very bind processors Core would use
  (``TypeEngine.dialect_impl(dialect).bind_processor``), so what is stored is what Core stores and Core reads
  it back alike; values the construct holds itself (``WHERE id = 1``) are bound as Core binds them;
- a driver error is raised as SQLAlchemy's (``driver_errors``: ``DBAPIError.instance``, so a unique
  violation is an ``IntegrityError``), as Core raises it;
- on PostgreSQL (psycopg 3) several statements, and the commit, can go in one round trip (``pipeline``).

The transaction stays SQLAlchemy's (the pool, its events, the rollback on error); only the statements skip
Core's per-call work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["DriverStatement", "driver_cursor", "driver_errors", "pipeline", "run_and_commit"]


class DriverStatement:
    """A Core statement compiled once for ``dialect``; ``parameters`` converts values as Core would."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(compiled)
        self._positional = compiled.positiontup is not None
        # The names the SQL text uses: in order for a positional paramstyle (SQLite's ``?``), else each once.
        names = list(compiled.positiontup or dict.fromkeys(compiled.bind_names.values()))
        self._binds = tuple(
            (
                name,
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                compiled.binds[name].required,
                compiled.binds[name].effective_value,
            )
            for name in names
        )

    def parameters(self, values: Mapping[str, Any] | None = None) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for ``values`` by bind name; a value the construct holds itself (``id = 1``)
        is its own. KeyError for a named bind not given, as Core raises for one."""
        given = values or {}
        converted = []
        for name, process, required, own in self._binds:
            value = given[name] if required or name in given else own
            converted.append(value if process is None or value is None else process(value))
        if self._positional:
            return tuple(converted)
        return dict(zip((name for name, *_ in self._binds), converted, strict=True))


def driver_cursor(connection: Connection) -> closing[Any]:
    """A cursor of ``connection``'s driver connection, closed after use."""
    driver = connection.connection.driver_connection
    assert driver is not None, "a connection of a live transaction has its driver connection"
    return closing(driver.cursor())


@contextmanager
def driver_errors(dialect: Dialect, statement: str, parameters: Any = None) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy's (``DBAPIError.instance``), as Core raises them."""
    dbapi = dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(statement, parameters, exc, dbapi.Error) from exc


def pipeline(driver: Any, dialect: Dialect) -> AbstractContextManager[Any]:
    """psycopg 3's pipeline on PostgreSQL (statements sent together, one round trip at its end); nothing
    on SQLite, whose statements run in process anyway."""
    return driver.pipeline() if dialect.name == "postgresql" else nullcontext()


def run_and_commit(engine: Engine, statement: DriverStatement, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Run ``statement`` alone in a transaction of its own on a pooled connection and commit; its first row, or
    None.

    The connection comes from the engine's pool (its events run as for Core) and goes back rolled back after
    an error (the pool's reset on return). On PostgreSQL the statement and the ``COMMIT`` go in one pipeline,
    one round trip instead of three; sqlite3 ends a statement at the commit, so its row is read before.
    """
    parameters = statement.parameters(values)
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert driver is not None, "a pooled connection has its driver connection"
        with closing(driver.cursor()) as cursor, driver_errors(engine.dialect, statement.sql, parameters):
            if engine.dialect.name == "postgresql":
                with pipeline(driver, engine.dialect):
                    cursor.execute(statement.sql, parameters)
                    driver.commit()
                row = cursor.fetchone()
            else:
                cursor.execute(statement.sql, parameters)
                row = cursor.fetchone()
                driver.commit()
    finally:
        connection.close()
    return None if row is None else tuple(row)
