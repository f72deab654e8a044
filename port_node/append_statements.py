"""The append's statements, and intake's look-up before it, on the database driver's own cursor.

The append (``SqlSubmissionStore._append``) is the one write on the intake's hot path: per group, the log
head moved by the group's size (with the leaves other processes appended meanwhile, read in the same round
trip), the leaves, the checkpoint, the submission rows and the commit. Each statement is a Core construct
compiled once per dialect and run on the driver's cursor inside SQLAlchemy's transaction
(``node_core.driver_statements``: Core's bind processors, Core's errors): measured on this project's machine,
one submission's transaction cost SQLite 0.88 ms through Core against 0.41 ms so, PostgreSQL 3.2 ms against
1.0 ms (about 0.3 ms per statement round trip). On PostgreSQL the head and its read go in one pipeline, the
three inserts and the ``COMMIT`` in another: two round trips for the whole write. Intake's look-up before the
write (``is_stored``: is this submission already there?) runs here too, once per submission.

The transaction is SQLAlchemy's (``engine.begin()``: pool, rollback); its commit is the driver's, sent by
``append(..., commit=True)``, after which SQLAlchemy's own finds no transaction left and sends nothing.
tests/port_node/test_append_statements.py writes the same rows both ways and compares what is read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from node_core.driver_statements import DriverStatement, driver_cursor, driver_errors, pipeline
from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES, SUBMISSIONS

__all__ = ["RECENT_LEAVES", "AppendStatements"]

#: The most leaf hashes ``advance_head`` reads with the head; a tree further behind is caught up by a streamed read.
RECENT_LEAVES = 1000

_HEAD_ROW = LOG_HEAD.c.id == 1
_ADVANCE = (
    sa.update(LOG_HEAD)
    .where(_HEAD_ROW)
    .values(size=LOG_HEAD.c.size + sa.bindparam("count", type_=sa.BigInteger))
    .returning(LOG_HEAD.c.size)
)
#: The committed leaves from ``known`` up to the head this transaction just moved (less its own ``count``).
_RECENT = (
    sa.select(LOG_LEAVES.c.leaf_index, LOG_LEAVES.c.leaf_hash)
    .where(
        LOG_LEAVES.c.leaf_index >= sa.bindparam("known", type_=sa.BigInteger),
        LOG_LEAVES.c.leaf_index
        < sa.select(LOG_HEAD.c.size).where(_HEAD_ROW).scalar_subquery() - sa.bindparam("count", type_=sa.BigInteger),
    )
    .order_by(LOG_LEAVES.c.leaf_index)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_STORED = sa.select(sa.literal(1)).where(
    SUBMISSIONS.c.exporter == sa.bindparam("exporter"), SUBMISSIONS.c.submission_id == sa.bindparam("sid")
)


def _insert(table: sa.Table) -> sa.Insert:
    return sa.insert(table).values({column.name: sa.bindparam(column.name, type_=column.type) for column in table.c})


class AppendStatements:
    """The append's statements, and intake's look-up before it, for one dialect (SQLite or PostgreSQL), made
    once per store."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.advance = DriverStatement(_ADVANCE, dialect)
        self.recent = DriverStatement(_RECENT, dialect)
        self.stored = DriverStatement(_STORED, dialect)
        self.leaves = DriverStatement(_insert(LOG_LEAVES), dialect)
        self.checkpoint = DriverStatement(_insert(CHECKPOINTS), dialect)
        self.submissions = DriverStatement(_insert(SUBMISSIONS), dialect)

    def is_stored(self, connection: Connection, exporter: str, submission_id: str) -> bool:
        """Whether a submission of ``exporter`` with this id is stored: intake's look-up before the write.

        Nearly always False (a new submission), so the row itself is read through Core only when it is there.
        """
        parameters = self.stored.parameters({"exporter": exporter, "sid": submission_id})
        with driver_cursor(connection) as cursor, driver_errors(self.dialect, self.stored.sql, parameters):
            cursor.execute(self.stored.sql, parameters)
            return cursor.fetchone() is not None

    def advance_head(self, connection: Connection, count: int, known: int) -> tuple[int, list[tuple[int, bytes]]]:
        """Move the log head by ``count`` (taking its row lock to the commit): the new size, and ``(index,
        hash)`` of the committed leaves from ``known`` on, in order (what other processes appended since this
        one's tree was current), at most ``RECENT_LEAVES`` of them.

        The read is a statement of its own after the update, so it sees what was committed while the update
        waited for the lock; on PostgreSQL both go in one pipeline (one round trip).
        """
        advance = self.advance.parameters({"count": count})
        recent = self.recent.parameters({"known": known, "count": count, "limit": RECENT_LEAVES})
        with (
            driver_cursor(connection) as head,
            driver_cursor(connection) as leaves,
            driver_errors(self.dialect, self.advance.sql, advance),
        ):
            with pipeline(connection.connection.driver_connection, self.dialect):
                head.execute(self.advance.sql, advance)
                leaves.execute(self.recent.sql, recent)
            row = head.fetchone()
            rows = leaves.fetchall()
        if row is None:
            raise sa.exc.NoResultFound("the log head row is missing")
        return int(row[0]), [(int(index), bytes(value)) for index, value in rows]

    def append(
        self,
        connection: Connection,
        leaves: Sequence[Mapping[str, Any]],
        checkpoint: Mapping[str, Any],
        submissions: Sequence[Mapping[str, Any]],
        *,
        commit: bool = False,
    ) -> None:
        """Insert the leaves, the checkpoint and the submission rows, and with ``commit`` commit: then the
        transaction's last step.

        On PostgreSQL the inserts (and the ``COMMIT``) go in one pipeline: one round trip, and the head's row
        lock is released one round trip sooner (what two port processes wait on). The commit is the driver's,
        so SQLAlchemy's own at the end of ``engine.begin()`` finds no transaction left and sends nothing. If an
        insert fails, the pipeline skips the rest (the commit too) and the error is raised here.
        """
        driver = connection.connection.driver_connection
        with (
            driver_cursor(connection) as cursor,
            driver_errors(self.dialect, self.submissions.sql),
            pipeline(driver, self.dialect),
        ):
            cursor.executemany(self.leaves.sql, [self.leaves.parameters(leaf) for leaf in leaves])
            cursor.execute(self.checkpoint.sql, self.checkpoint.parameters(checkpoint))
            cursor.executemany(self.submissions.sql, [self.submissions.parameters(row) for row in submissions])
            if commit:
                driver.commit()  # type: ignore[union-attr]
