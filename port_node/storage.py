"""Storing decided submissions: rows, log leaves, a checkpoint and the receipts, in one transaction per group.

``SubmissionStore`` is what intake needs of any store (``find``, ``store``, ``store_many``) and
``SubmissionRow`` the one row type it reads and writes; ``SqlSubmissionStore`` is the port's store over its
database, and ``port_node.memory_store`` an in-memory one for the ports the tests and the conformance kit
stand up.

docs/design.md §10: a crash leaves all or none. Leaf indices come from ``log_head``, moved and locked by
the write's first statement (``UPDATE ... RETURNING``: a row lock held to commit on PostgreSQL; SQLite has
one writer at a time and this process serialises its own writers with the log's lock), never from a
database sequence, so they are dense and gap-free under concurrency, across processes too. The lock is
held only for the write itself: the assessment and the leaf bytes are prepared before it, the checkpoint
and the receipts (which name the index) inside it.

Group commit (the queue: ``port_node.group_commit``): the submissions waiting to be written when a write ends
(up to ``GROUP_LIMIT``, in arrival order) are written together by the next one: their leaves, one signed
checkpoint over the group's last size, their rows and receipts, in one transaction of the same statements
whatever the group's size (the head, the leaves another process appended meanwhile, the leaves, the
checkpoint, the rows), and one commit. Each member's receipt carries its own index and inclusion proof
against that checkpoint. No timer: a submission alone is written at once, and one that arrives during a write
waits for that write and then its own group's, never longer. When a group's transaction fails, nothing of it
was written, and each member is written again alone, so one member's failure (a conflict, a refused row) is
its alone: the others commit, it gets its own answer (a stored row, or ``503 LOG_UNAVAILABLE`` when the
database cannot be reached or written). A batch
(``store_many``) goes through the same queue, in groups of at most ``GROUP_LIMIT``.

What one submission writes is bounded, so one request cannot make the port write much more than it
sent: the receipt carries the reasons (capped, by ``schemas.assess``) and is the only copy of them;
the content is stored once, and only when the port may keep it.

Idempotency (docs/design.md §6): a row with the same ``(exporter, submission_id)`` and digest answers
with its stored receipt bytes (200); another digest is a conflict (409). Intake looks first; the write
does not look again: a row stored meanwhile (by another group or process) fails the rows' primary key,
and that member, written again alone, answers with the row stored first. The same submission twice in
one group is written once, the second member answering with the first's row. So two identical
submissions racing each other add one leaf, and both callers get one receipt.

The append's statements run on the driver's cursor inside SQLAlchemy's transaction
(``port_node.append_statements``: measured to cost half of Core's on SQLite, a third on PostgreSQL); on
PostgreSQL they take two round trips: the head with the leaves other processes appended since this
process's last write, then the inserts with the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from node_core.problems import ProblemError
from port_node.append_statements import AppendStatements
from port_node.crash_points import unsafe_test_crash_point
from port_node.group_commit import GroupCommitQueue, Queued
from port_node.log import StagedLeaves, TransparencyLog
from port_node.tables import LOG_LEAVES, SUBMISSIONS
from schemas.codes import Code
from schemas.phrase import Phrase
from schemas.receipt import LogPosition

__all__ = [
    "GROUP_LIMIT",
    "PendingWrite",
    "ReceiptBuilder",
    "SqlSubmissionStore",
    "SubmissionRow",
    "SubmissionStore",
    "database_unavailable",
    "unavailable",
]

log = logging.getLogger(__name__)


def database_unavailable() -> ProblemError:
    """503 LOG_UNAVAILABLE for a database that cannot be reached or written (the client should retry)."""
    return ProblemError(Code.LOG_UNAVAILABLE, Phrase("the port's database is unavailable; retry later"), status=503)


@contextmanager
def unavailable() -> Iterator[None]:
    """Translate database failures (other than constraint violations) into ``database_unavailable``."""
    try:
        yield
    except IntegrityError:
        raise
    except DBAPIError as exc:
        raise database_unavailable() from exc


@dataclass(frozen=True)
class SubmissionRow:
    """One submission as the port keeps it: a row of ``submissions``.

    Intake makes it before the write, with no ``receipt`` and ``leaf_index`` -1; the store returns it
    with both filled in (``logged``), ``created`` True when that call added it (and its leaf).
    """

    exporter: str
    submission_id: str
    digest: str
    decision: str
    reason_codes: list[str]
    received_at: datetime
    content: bytes | None
    receipt: bytes = b""
    leaf_index: int = -1
    created: bool = False

    @classmethod
    def pending(cls, entry: Mapping[str, Any], received_at: datetime, content: bytes | None) -> SubmissionRow:
        """The row of a decided submission from its log entry (``schemas.receipt.log_entry``), not yet logged."""
        return cls(
            exporter=entry["exporter"],
            submission_id=entry["submissionId"],
            digest=entry["submissionDigest"],
            decision=entry["decision"],
            reason_codes=list(entry["reasonCodes"]),
            received_at=received_at,
            content=content,
        )

    def logged(self, receipt: bytes, index: int) -> SubmissionRow:
        """This row as just stored: its receipt, its leaf index, ``created``."""
        return replace(self, receipt=receipt, leaf_index=index, created=True)

    @property
    def reasons(self) -> list[dict[str, str]]:
        """The reasons, as signed into the receipt (their only stored copy)."""
        reasons: list[dict[str, str]] = orjson.loads(self.receipt)["credentialSubject"]["reasons"]
        return reasons


#: Builds the receipt bytes once the log position is known (inside the write, under the log's lock).
ReceiptBuilder = Callable[[LogPosition], bytes]


@dataclass(frozen=True)
class PendingWrite:
    """One submission waiting to be logged: its row, its leaf input, and how to sign its receipt."""

    row: SubmissionRow
    leaf_input: bytes
    build_receipt: ReceiptBuilder

    @property
    def key(self) -> tuple[str, str]:
        """``(exporter, submission id)``: what makes two writes the same submission."""
        return self.row.exporter, self.row.submission_id


class SubmissionStore(Protocol):
    """What intake needs of a store: the SQL one here, or ``port_node.memory_store`` for stand-ins."""

    def find(self, exporter: str, submission_id: str) -> SubmissionRow | None:
        """The stored submission of ``exporter`` with this id, or None."""
        ...

    def store(self, row: SubmissionRow, leaf_input: bytes, build_receipt: ReceiptBuilder) -> SubmissionRow:
        """Log ``leaf_input`` and store ``row`` with its receipt; or return the row already stored."""
        ...

    def store_many(self, writes: Sequence[PendingWrite]) -> list[SubmissionRow | ProblemError]:
        """``store`` for each write, in order; a write that failed with a ``ProblemError`` gets it in its place."""
        ...


# Statements built once: building and cache-keying a statement per call costs more than running it.
_FIND = sa.select(SUBMISSIONS).where(
    SUBMISSIONS.c.exporter == sa.bindparam("exporter"), SUBMISSIONS.c.submission_id == sa.bindparam("sid")
)
#: A submission's write in the group-commit queue, with its stored row once written.
QueuedWrite = Queued[PendingWrite, SubmissionRow]
#: The fields of ``SubmissionRow`` that are columns of ``submissions`` (all but ``created``).
_COLUMNS = tuple(f.name for f in fields(SubmissionRow) if f.name != "created")

#: The most submissions one group commits together (module docstring): bounds a group's transaction.
GROUP_LIMIT = 100


def _row_of(row: Any) -> SubmissionRow:
    return SubmissionRow(
        exporter=row.exporter,
        submission_id=row.submission_id,
        digest=row.digest,
        decision=row.decision,
        reason_codes=list(row.reason_codes),
        received_at=row.received_at,
        content=bytes(row.content) if row.content is not None else None,
        receipt=bytes(row.receipt),
        leaf_index=int(row.leaf_index),
    )


class SqlSubmissionStore:
    """Reads and writes the port's submissions and log tables (a ``SubmissionStore``), writes in groups."""

    def __init__(self, engine: Engine, log: TransparencyLog, *, group_limit: int = GROUP_LIMIT) -> None:
        self.engine = engine
        self.log = log
        #: Where ``find`` looks (intake's idempotency check, once per submission): on PostgreSQL the log's
        #: autocommit engine, one round trip instead of three (begin, select, rollback).
        self.read_engine = log.head_engine or engine
        self.group_limit = group_limit
        #: The writes waiting to be written, and the turn to write the next group (``port_node.group_commit``).
        self.groups: GroupCommitQueue[PendingWrite, SubmissionRow] = GroupCommitQueue(self._write_group, group_limit)
        #: The append's statements on the driver's cursor (``port_node.append_statements``).
        self.statements = AppendStatements(engine.dialect)

    # -- reads ----------------------------------------------------------------------------------------

    def find(self, exporter: str, submission_id: str) -> SubmissionRow | None:
        """The stored submission of ``exporter`` with this id, or None."""
        with unavailable(), self.read_engine.connect() as connection:
            if not self.statements.is_stored(connection, exporter, submission_id):
                return None
            row = connection.execute(_FIND, {"exporter": exporter, "sid": submission_id}).first()
        return _row_of(row) if row is not None else None

    def find_any(self, submission_id: str) -> SubmissionRow | None:
        """The earliest stored submission with this id, whoever sent it (for the operator)."""
        with unavailable(), self.engine.connect() as connection:
            row = connection.execute(
                sa.select(SUBMISSIONS)
                .where(SUBMISSIONS.c.submission_id == submission_id)
                .order_by(SUBMISSIONS.c.leaf_index)
                .limit(1)
            ).first()
        return _row_of(row) if row is not None else None

    def leaf_inputs(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """``(index, leaf input)`` of the committed leaves in ``[start, end)``."""
        with unavailable(), self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(LOG_LEAVES.c.leaf_index, LOG_LEAVES.c.leaf_input)
                .where(LOG_LEAVES.c.leaf_index >= start, LOG_LEAVES.c.leaf_index < end)
                .order_by(LOG_LEAVES.c.leaf_index)
            ).all()
        return [(int(index), bytes(data)) for index, data in rows]

    # -- the write ------------------------------------------------------------------------------------

    def store(self, row: SubmissionRow, leaf_input: bytes, build_receipt: ReceiptBuilder) -> SubmissionRow:
        """Store a new submission with its leaf, checkpoint and receipt, or return the one already stored."""
        [queued] = self.groups.commit([Queued(PendingWrite(row, leaf_input, build_receipt))])
        return queued.outcome()

    def store_many(self, writes: Sequence[PendingWrite]) -> list[SubmissionRow | ProblemError]:
        """``store`` for each write, committed in groups; a write that failed with a ``ProblemError`` gets it."""
        results: list[SubmissionRow | ProblemError] = []
        for start in range(0, len(writes), self.group_limit):
            for queued in self.groups.commit([Queued(write) for write in writes[start : start + self.group_limit]]):
                results.append(queued.error if isinstance(queued.error, ProblemError) else queued.outcome())
            unsafe_test_crash_point("mid-batch")
        return results

    def _write_group(self, group: list[QueuedWrite]) -> None:
        """Commit ``group`` in one transaction; if that fails, each member alone (its own outcome)."""
        first_of: dict[tuple[str, str], QueuedWrite] = {}
        unique: list[QueuedWrite] = []
        repeats: list[tuple[QueuedWrite, QueuedWrite]] = []
        for queued in group:
            first = first_of.setdefault(queued.write.key, queued)
            if first is queued:
                unique.append(queued)
            else:
                repeats.append((queued, first))
        if len(unique) == 1:
            self._write_alone(unique[0])
        else:
            try:
                stored = self._append([queued.write for queued in unique])
            except Exception:  # nothing was written: retry each alone, so one member's failure is its own
                log.warning("group commit failed; writing its members one by one", extra={"group": len(unique)})
                for queued in unique:
                    self._write_alone(queued)
            else:
                for queued, row in zip(unique, stored, strict=True):
                    queued.succeed(row)
        for queued, first in repeats:  # the same submission twice in one group: the second sees the first
            if first.result is not None:
                queued.succeed(replace(first.result, created=False))
            else:
                self._write_alone(queued)

    def _write_alone(self, queued: QueuedWrite) -> None:
        write = queued.write
        try:
            [stored] = self._append([write])
        except IntegrityError as exc:  # another process stored the same (exporter, submission id) first
            try:
                queued.succeed(self._stored_by_other(write.row, exc))
            except Exception as error:
                queued.fail(error)
        except DBAPIError as exc:
            queued.fail(_unavailable_from(exc))
        except Exception as exc:
            queued.fail(exc)
        else:
            queued.succeed(stored)

    def _append(self, writes: list[PendingWrite]) -> list[SubmissionRow]:
        """Append the leaves, one checkpoint, the rows and their receipts in one transaction; all or none.

        The same statements whatever the group's size: the head moved (and locked) by the group's size, with
        the leaves another process appended since this one's tree was current; the leaves, the checkpoint, the
        rows, and the commit. No look-up first: a submission stored meanwhile (another thread's group, another
        process) fails the rows' primary key and so the whole transaction.
        """
        log = self.log
        with log.write_lock:
            staged = False
            try:
                with self.engine.begin() as connection:
                    count = len(writes)
                    head, recent = self.statements.advance_head(connection, count, log.size)
                    log.sync(connection, head - count, recent)
                    staged = True
                    group = log.stage([write.leaf_input for write in writes])
                    stored = [
                        write.row.logged(write.build_receipt(LogPosition(index, leaf, group.note, proof)), index)
                        for index, write, leaf, proof in zip(
                            range(group.start, group.size), writes, group.leaf_hashes, group.proofs, strict=True
                        )
                    ]
                    self._insert_and_commit(connection, stored, writes, group)
            except BaseException:
                if staged:
                    log.discard()
                raise
            unsafe_test_crash_point("after-commit")
            log.publish(group.size, group.note)
        return stored

    def _insert_and_commit(
        self, connection: Connection, stored: list[SubmissionRow], writes: list[PendingWrite], group: StagedLeaves
    ) -> None:
        self.statements.append(
            connection,
            [
                {"leaf_index": row.leaf_index, "leaf_input": write.leaf_input, "leaf_hash": leaf}
                for row, write, leaf in zip(stored, writes, group.leaf_hashes, strict=True)
            ],
            {"tree_size": group.size, "root_hash": group.root, "note": group.note},
            [{name: getattr(row, name) for name in _COLUMNS} for row in stored],
            commit=True,
        )

    def _stored_by_other(self, row: SubmissionRow, error: IntegrityError) -> SubmissionRow:
        """Another process stored the same (exporter, submission id) first: answer with its row."""
        stored = self.find(row.exporter, row.submission_id)
        if stored is None:
            raise error
        return stored


def _unavailable_from(exc: DBAPIError) -> ProblemError:
    error = database_unavailable()
    error.__cause__ = exc
    return error
