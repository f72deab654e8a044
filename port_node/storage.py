"""Storing a decided submission: its row, its log leaf, the new checkpoint and its receipt, in one transaction.

``SubmissionStore`` is what intake needs of any store (``find``, ``store``) and ``SubmissionRow`` the one
row type it reads and writes; ``SqlSubmissionStore`` is the port's store over its database, and
``port_node.memory_store`` an in-memory one for the ports the tests and the conformance kit stand up.

docs/design.md §10: a crash leaves all or none. Leaf indices come from ``log_head``, read inside the
write transaction with ``SELECT ... FOR UPDATE`` (PostgreSQL; SQLite has one writer at a time and this
process serialises its own writers with the log's lock), never from a database sequence, so they are
dense and gap-free under concurrency. The lock is held only for the write itself: the assessment and
the leaf bytes are prepared before it, the checkpoint and the receipt (which name the index) inside it.

What one submission writes is bounded, so one request cannot make the port write much more than it
sent: the receipt carries the reasons (capped, by ``schemas.assess``) and is the only copy of them;
the content is stored once, and only when the port may keep it.

Idempotency (docs/design.md §6): a row with the same ``(exporter, submission_id)`` and digest answers
with its stored receipt bytes (200); another digest is a conflict (409). The check is repeated under
the lock, so two identical submissions racing each other add one leaf, and both callers get one receipt.
A database that cannot be reached or written is ``503 LOG_UNAVAILABLE``; nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from node_core.problems import ProblemError
from port_node.crash_points import unsafe_test_crash_point
from port_node.log import TransparencyLog
from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES, SUBMISSIONS
from schemas.codes import Code
from schemas.merkle import leaf_hash
from schemas.phrase import Phrase
from schemas.receipt import LogPosition

__all__ = [
    "ReceiptBuilder",
    "SqlSubmissionStore",
    "SubmissionRow",
    "SubmissionStore",
    "database_unavailable",
    "unavailable",
]


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


class SubmissionStore(Protocol):
    """What intake needs of a store: the SQL one here, or ``port_node.memory_store`` for stand-ins."""

    def find(self, exporter: str, submission_id: str) -> SubmissionRow | None:
        """The stored submission of ``exporter`` with this id, or None."""
        ...

    def store(self, row: SubmissionRow, leaf_input: bytes, build_receipt: ReceiptBuilder) -> SubmissionRow:
        """Log ``leaf_input`` and store ``row`` with its receipt; or return the row already stored."""
        ...


# Statements built once: building and cache-keying a statement per call costs more than running it.
_FIND = sa.select(SUBMISSIONS).where(
    SUBMISSIONS.c.exporter == sa.bindparam("exporter"), SUBMISSIONS.c.submission_id == sa.bindparam("sid")
)
_LOCK_HEAD = sa.select(LOG_HEAD.c.size).where(LOG_HEAD.c.id == 1).with_for_update()
_INSERT_LEAF = sa.insert(LOG_LEAVES)
_INSERT_CHECKPOINT = sa.insert(CHECKPOINTS)
_INSERT_SUBMISSION = sa.insert(SUBMISSIONS)
_SET_HEAD = sa.update(LOG_HEAD).where(LOG_HEAD.c.id == 1).values(size=sa.bindparam("new_size"))
#: The fields of ``SubmissionRow`` that are columns of ``submissions`` (all but ``created``).
_COLUMNS = tuple(f.name for f in fields(SubmissionRow) if f.name != "created")


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
    """Reads and writes the port's submissions and log tables (a ``SubmissionStore``)."""

    def __init__(self, engine: Engine, log: TransparencyLog) -> None:
        self.engine = engine
        self.log = log

    # -- reads ----------------------------------------------------------------------------------------

    def find(self, exporter: str, submission_id: str) -> SubmissionRow | None:
        """The stored submission of ``exporter`` with this id, or None."""
        with unavailable(), self.engine.connect() as connection:
            return self._find(connection, exporter, submission_id)

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

    @staticmethod
    def _find(connection: Connection, exporter: str, submission_id: str) -> SubmissionRow | None:
        row = connection.execute(_FIND, {"exporter": exporter, "sid": submission_id}).first()
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
        log = self.log
        leaf = leaf_hash(leaf_input)
        with log.write_lock:
            staged = False
            try:
                with self.engine.begin() as connection:
                    head = connection.execute(_LOCK_HEAD).scalar_one()
                    existing = self._find(connection, row.exporter, row.submission_id)
                    if existing is not None:
                        return existing
                    log.sync(connection, int(head))
                    staged = True
                    index, root, note, proof = log.stage(leaf_input)
                    stored = row.logged(build_receipt(LogPosition(index, leaf, note, proof)), index)
                    self._insert(connection, stored, leaf_input, leaf, root, note)
            except DBAPIError as exc:
                if staged:
                    self._discard()
                if isinstance(exc, IntegrityError):
                    return self._stored_by_other(row, exc)
                raise database_unavailable() from exc
            except BaseException:
                if staged:
                    self._discard()
                raise
            unsafe_test_crash_point("after-commit")
            log.publish(index + 1, note)
        return stored

    def _stored_by_other(self, row: SubmissionRow, error: IntegrityError) -> SubmissionRow:
        """Another process stored the same (exporter, submission id) first: answer with its row."""
        stored = self.find(row.exporter, row.submission_id)
        if stored is None:
            raise error
        return stored

    def _insert(
        self, connection: Connection, row: SubmissionRow, leaf_input: bytes, leaf: bytes, root: bytes, note: str
    ) -> None:
        index = row.leaf_index
        connection.execute(_INSERT_LEAF, {"leaf_index": index, "leaf_input": leaf_input, "leaf_hash": leaf})
        connection.execute(_INSERT_CHECKPOINT, {"tree_size": index + 1, "root_hash": root, "note": note})
        connection.execute(_INSERT_SUBMISSION, {name: getattr(row, name) for name in _COLUMNS})
        connection.execute(_SET_HEAD, {"new_size": index + 1})

    def _discard(self) -> None:
        self.log.discard(self.engine)
