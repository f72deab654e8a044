"""The append's statements run on the database driver's own cursor, inside SQLAlchemy's transaction.

The append (``SqlSubmissionStore._append``) is the one write on the intake's hot path: per group, the log
head moved by the group's size (with the leaves other processes appended meanwhile, read in the same round
trip), the leaves, the checkpoint, the submission rows and the commit. Run through SQLAlchemy Core's
``Connection.execute``, its statements cost more than the database's own work (measured on this project's
machine, one submission per transaction: SQLite 0.88 ms with Core against 0.41 ms on the driver's cursor;
PostgreSQL 3.2 ms, about 0.3 ms per statement round trip plus the commit). Here each statement is written
once per dialect, its parameters are converted by the very bind processors SQLAlchemy would use
(``TypeEngine.dialect_impl(dialect).bind_processor``), so the stored bytes are what Core stores and Core
reads them back; on PostgreSQL the head and its read go in one pipeline, and the three inserts and the
commit in another (two round trips for the whole write, psycopg 3). Intake's look-up before the write
(``is_stored``: is this submission already there?) runs here too, once per submission.

The transaction is SQLAlchemy's (``engine.begin()``: pool, rollback); its commit is the driver's, sent by
``append_and_commit``. A driver error is raised as SQLAlchemy's (``DBAPIError.instance``: a unique violation
is an ``IntegrityError``), as Core raises it. tests/port_node/test_driver_writes.py writes the same rows both
ways and compares what is read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES, SUBMISSIONS

__all__ = ["RECENT_LEAVES", "DriverWrites"]

#: The most leaf hashes ``advance_head`` reads with the head; a tree further behind is caught up by a streamed read.
RECENT_LEAVES = 1000


class _Insert:
    """``INSERT INTO table (columns) VALUES (...)`` for the driver, with each column's bind processor."""

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect, mark: str) -> None:
        self.columns = tuple(columns)
        self.sql = f"INSERT INTO {table.name} ({', '.join(self.columns)}) VALUES ({', '.join([mark] * len(columns))})"
        processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.columns
        ]
        self._processors = tuple(zip(self.columns, processors, strict=True))

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[name] if process is None or row[name] is None else process(row[name])
            for name, process in self._processors
        )


class DriverWrites:
    """The append's statements, and intake's look-up before it, for one dialect (SQLite or PostgreSQL), made
    once per store."""

    def __init__(self, dialect: Dialect) -> None:
        mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"
        self.dialect = dialect
        self.pipelined = dialect.name == "postgresql"
        self.advance_sql = f"UPDATE {LOG_HEAD.name} SET size = size + {mark} WHERE id = 1 RETURNING size"
        self.recent_sql = (
            f"SELECT leaf_index, leaf_hash FROM {LOG_LEAVES.name} WHERE leaf_index >= {mark}"
            f" AND leaf_index < (SELECT size FROM {LOG_HEAD.name} WHERE id = 1) - {mark}"
            f" ORDER BY leaf_index LIMIT {mark}"
        )
        self.stored_sql = f"SELECT 1 FROM {SUBMISSIONS.name} WHERE exporter = {mark} AND submission_id = {mark}"
        self.leaves = _Insert(LOG_LEAVES, ("leaf_index", "leaf_input", "leaf_hash"), dialect, mark)
        self.checkpoint = _Insert(CHECKPOINTS, ("tree_size", "root_hash", "note"), dialect, mark)
        self.submissions = _Insert(SUBMISSIONS, [column.name for column in SUBMISSIONS.columns], dialect, mark)

    @contextmanager
    def _driver_errors(self, statement: str, parameters: Any) -> Iterator[None]:
        dbapi = self.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(statement, parameters, exc, dbapi.Error) from exc

    def is_stored(self, connection: Connection, exporter: str, submission_id: str) -> bool:
        """Whether a submission of ``exporter`` with this id is stored: intake's look-up before the write.

        Nearly always False (a new submission), so the row itself is read through Core only when it is there.
        """
        with _cursor(connection) as cursor, self._driver_errors(self.stored_sql, (exporter, submission_id)):
            cursor.execute(self.stored_sql, (exporter, submission_id))
            return cursor.fetchone() is not None

    def advance_head(self, connection: Connection, count: int, known: int) -> tuple[int, list[tuple[int, bytes]]]:
        """Move the log head by ``count`` (taking its row lock to the commit): the new size, and ``(index,
        hash)`` of the committed leaves from ``known`` on, in order (what other processes appended since this
        one's tree was current), at most ``RECENT_LEAVES`` of them.

        The read is a statement of its own after the update, so it sees what was committed while the update
        waited for the lock; on PostgreSQL both go in one pipeline (one round trip).
        """
        driver = connection.connection.driver_connection
        pipeline: AbstractContextManager[Any] = driver.pipeline() if self.pipelined else nullcontext()  # type: ignore[union-attr]
        with _cursor(connection) as head, _cursor(connection) as leaves, self._driver_errors(self.advance_sql, None):
            with pipeline:
                head.execute(self.advance_sql, (count,))
                leaves.execute(self.recent_sql, (known, count, RECENT_LEAVES))
            row = head.fetchone()
            recent = leaves.fetchall()
        if row is None:
            raise sa.exc.NoResultFound("the log head row is missing")
        return int(row[0]), [(int(index), bytes(value)) for index, value in recent]

    def append(
        self,
        connection: Connection,
        leaves: Sequence[Mapping[str, Any]],
        checkpoint: Mapping[str, Any],
        submissions: Sequence[Mapping[str, Any]],
    ) -> None:
        """Insert the leaves, the checkpoint and the submission rows (one round trip on PostgreSQL)."""
        self._append(connection, leaves, checkpoint, submissions, commit=False)

    def append_and_commit(
        self,
        connection: Connection,
        leaves: Sequence[Mapping[str, Any]],
        checkpoint: Mapping[str, Any],
        submissions: Sequence[Mapping[str, Any]],
    ) -> None:
        """``append``, then commit: the transaction's last step.

        On PostgreSQL the inserts and the ``COMMIT`` go in one pipeline: one round trip, and the head's row
        lock is released one round trip sooner (what two port processes wait on). The commit is the driver's,
        so SQLAlchemy's own at the end of ``engine.begin()`` finds no transaction left and sends nothing. If
        an insert fails, the pipeline skips the rest (the commit too) and the error is raised here.
        """
        self._append(connection, leaves, checkpoint, submissions, commit=True)

    def _append(
        self,
        connection: Connection,
        leaves: Sequence[Mapping[str, Any]],
        checkpoint: Mapping[str, Any],
        submissions: Sequence[Mapping[str, Any]],
        *,
        commit: bool,
    ) -> None:
        driver = connection.connection.driver_connection
        assert driver is not None, "a connection of a live transaction has its driver connection"
        pipeline: AbstractContextManager[Any] = driver.pipeline() if self.pipelined else nullcontext()
        with _cursor(connection) as cursor, self._driver_errors(self.submissions.sql, None), pipeline:
            cursor.executemany(self.leaves.sql, [self.leaves.parameters(leaf) for leaf in leaves])
            cursor.execute(self.checkpoint.sql, self.checkpoint.parameters(checkpoint))
            cursor.executemany(self.submissions.sql, [self.submissions.parameters(row) for row in submissions])
            if commit:
                driver.commit()


def _cursor(connection: Connection) -> closing[Any]:
    driver = connection.connection.driver_connection
    assert driver is not None, "a connection of a live transaction has its driver connection"
    return closing(driver.cursor())
