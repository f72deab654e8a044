"""The exporter's status list state in its database: index allocation, set bits, signed list versions.

docs/design.md §12. One function per question or change, each in one transaction:

- ``allocate``: the next status list index for a credential about to be signed. The index is
  ``MAX(list_index) + 1`` inserted in one statement under a unique constraint, so two consignments
  built at once never get the same index (on PostgreSQL the loser of a race hits the constraint and
  tries again; on SQLite writers are serialised); rows are never deleted, so an index is never reused.
- ``change_bit``: set or clear one bit and sign the list's next version in the same transaction. The
  next sequence is read first, then the bits: two changes of one list at once compute the same sequence,
  and the primary key ``(list_id, sequence)`` lets only one commit; the other is tried again and then
  sees the first one's bit. So every version signs exactly the bits committed before it.
- ``status_list_version`` rows with ``published_at`` null are the publisher's outbox
  (``exporter_node.status_publisher``): nothing is lost if the node stops or the registry is down.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from exporter_node.tables import STATUS_ALLOCATION, STATUS_BIT, STATUS_LIST_VERSION
from node_core.database import TableStore

__all__ = [
    "Allocation",
    "ListVersion",
    "SignVersion",
    "SignedVersion",
    "StatusStore",
]

T = TypeVar("T")

#: How many times a transaction that lost a race (a unique constraint hit) is tried again.
MAX_TRIES = 50
#: The pause before a try again grows by up to this much per race lost (seconds).
RETRY_PAUSE_S = 0.002


@dataclass(frozen=True)
class Allocation:
    """The status list index given to one credential."""

    credential_id: str
    index: int
    record_type: str
    issued_at: datetime


@dataclass(frozen=True)
class SignedVersion:
    """A list version signed by the issuer, ready to store."""

    credential: dict[str, Any]
    digest: str
    valid_until: datetime


#: Signs version ``sequence`` of a list with the bits at ``indexes`` set.
SignVersion = Callable[[int, Sequence[int]], SignedVersion]


@dataclass(frozen=True)
class ListVersion:
    """One stored list version and where it stands with the registry."""

    list_id: str
    sequence: int
    credential: dict[str, Any]
    digest: str
    signed_at: datetime
    valid_until: datetime
    published_at: datetime | None
    attempts: int
    last_error: str | None
    refused_code: str | None

    @property
    def pending(self) -> bool:
        """Still to publish: neither acknowledged by the registry nor refused by it."""
        return self.published_at is None and self.refused_code is None


class StatusStore(TableStore):
    """The exporter's status list tables, over one engine and its write lock."""

    def _retrying(self, attempt: Callable[[], T]) -> T:
        """``attempt()`` again while it loses a race on a unique constraint (see the module doc).

        Each loss waits a random moment first, up to ``RETRY_PAUSE_S`` times the losses so far: without it,
        the losers of one race meet again at once, and whichever thread the scheduler favours can win every
        round while another loses fifty in a row (seen with eight allocators on PostgreSQL once a pooled
        connection was no longer pinged before each attempt, which had spaced them).
        """
        for tries in range(1, MAX_TRIES):
            try:
                return attempt()
            except IntegrityError:
                time.sleep(random.uniform(0, RETRY_PAUSE_S * tries))
        return attempt()

    # --- allocation --------------------------------------------------------------------------------

    def allocate(self, credential_id: str, record_type: str, at: datetime) -> Allocation:
        """The index of ``credential_id``: the one it already has, or the next never given out."""

        def attempt() -> Allocation:
            with self._write() as connection:
                found = _allocation(connection, credential_id)
                if found is not None:
                    return found
                next_index = sa.select(sa.func.coalesce(sa.func.max(STATUS_ALLOCATION.c.list_index), -1) + 1)
                connection.execute(
                    sa.insert(STATUS_ALLOCATION).from_select(
                        ["credential_id", "list_index", "record_type", "issued_at"],
                        sa.select(
                            sa.literal(credential_id, sa.String),
                            next_index.scalar_subquery(),
                            sa.literal(record_type, sa.String),
                            sa.literal(at, STATUS_ALLOCATION.c.issued_at.type),
                        ),
                    )
                )
                allocated = _allocation(connection, credential_id)
                assert allocated is not None
                return allocated

        return self._retrying(attempt)

    def allocation(self, credential_id: str) -> Allocation | None:
        """The index given to ``credential_id``, or None when this exporter never allocated one to it."""
        with self._read() as connection:
            return _allocation(connection, credential_id)

    # --- bits and versions -------------------------------------------------------------------------

    def set_indexes(self, list_id: str) -> list[int]:
        """The indexes whose bit is set in ``list_id``, ascending."""
        with self._read() as connection:
            return _set_indexes(connection, list_id)

    def change_bit(
        self, list_id: str, index: int, credential_id: str, *, set_it: bool, sign: SignVersion, now: datetime
    ) -> ListVersion | None:
        """Set (``set_it``) or clear one bit and store the next version signed by ``sign``, in one transaction.

        None when the bit already was as asked (no new version).
        """

        def attempt() -> ListVersion | None:
            with self._write() as connection:
                sequence = _latest_sequence(connection, list_id) + 1
                key = (STATUS_BIT.c.list_id == list_id) & (STATUS_BIT.c.list_index == index)
                is_set = connection.execute(sa.select(STATUS_BIT.c.list_index).where(key)).first() is not None
                if is_set == set_it:
                    return None
                if set_it:
                    connection.execute(
                        sa.insert(STATUS_BIT).values(
                            list_id=list_id, list_index=index, credential_id=credential_id, set_at=now
                        )
                    )
                else:
                    connection.execute(sa.delete(STATUS_BIT).where(key))
                return _insert_version(connection, list_id, sequence, sign, now)

        return self._retrying(attempt)

    def sign_next(self, list_id: str, sign: SignVersion, now: datetime, *, above: int = 0) -> ListVersion:
        """Store a new version of ``list_id`` with its current bits, numbered above ``above`` and every own one."""

        def attempt() -> ListVersion:
            with self._write() as connection:
                sequence = max(_latest_sequence(connection, list_id), above) + 1
                return _insert_version(connection, list_id, sequence, sign, now)

        return self._retrying(attempt)

    def ensure_first(self, list_id: str, sign: SignVersion, now: datetime) -> ListVersion | None:
        """Version 1 of ``list_id`` when the list has no version yet; None when it has one."""

        def attempt() -> ListVersion | None:
            with self._write() as connection:
                if _latest_sequence(connection, list_id) > 0:
                    return None
                return _insert_version(connection, list_id, 1, sign, now)

        return self._retrying(attempt)

    def latest(self, list_id: str) -> ListVersion | None:
        """The newest version of ``list_id``."""
        query = (
            sa.select(STATUS_LIST_VERSION)
            .where(STATUS_LIST_VERSION.c.list_id == list_id)
            .order_by(STATUS_LIST_VERSION.c.sequence.desc())
            .limit(1)
        )
        with self._read() as connection:
            row = connection.execute(query).first()
        return _version(row._mapping) if row is not None else None

    def version(self, list_id: str, sequence: int) -> ListVersion | None:
        """One version of ``list_id``."""
        query = sa.select(STATUS_LIST_VERSION).where(
            STATUS_LIST_VERSION.c.list_id == list_id, STATUS_LIST_VERSION.c.sequence == sequence
        )
        with self._read() as connection:
            row = connection.execute(query).first()
        return _version(row._mapping) if row is not None else None

    def versions(self, list_id: str) -> list[ListVersion]:
        """Every version of ``list_id``, oldest first."""
        query = (
            sa.select(STATUS_LIST_VERSION)
            .where(STATUS_LIST_VERSION.c.list_id == list_id)
            .order_by(STATUS_LIST_VERSION.c.sequence)
        )
        with self._read() as connection:
            return [_version(row._mapping) for row in connection.execute(query)]

    # --- the outbox --------------------------------------------------------------------------------

    def pending(self) -> list[ListVersion]:
        """Versions still to publish, by list and then oldest first (the registry wants rising sequences)."""
        query = (
            sa.select(STATUS_LIST_VERSION)
            .where(STATUS_LIST_VERSION.c.published_at.is_(None), STATUS_LIST_VERSION.c.refused_code.is_(None))
            .order_by(STATUS_LIST_VERSION.c.list_id, STATUS_LIST_VERSION.c.sequence)
        )
        with self._read() as connection:
            return [_version(row._mapping) for row in connection.execute(query)]

    def mark_published(self, list_id: str, sequence: int, at: datetime) -> None:
        """The registry acknowledged this version."""
        self._update(list_id, sequence, published_at=at, last_error=None, attempts=STATUS_LIST_VERSION.c.attempts + 1)

    def mark_refused(self, list_id: str, sequence: int, code: str, detail: str) -> None:
        """The registry refused this version for good: it is not offered again."""
        self._update(
            list_id, sequence, refused_code=code, last_error=detail, attempts=STATUS_LIST_VERSION.c.attempts + 1
        )

    def note_failure(self, list_id: str, sequence: int, detail: str) -> None:
        """An attempt that could not reach the registry (it is tried again later)."""
        self._update(list_id, sequence, last_error=detail, attempts=STATUS_LIST_VERSION.c.attempts + 1)

    def _update(self, list_id: str, sequence: int, **values: Any) -> None:
        with self._write() as connection:
            connection.execute(
                sa.update(STATUS_LIST_VERSION)
                .where(STATUS_LIST_VERSION.c.list_id == list_id, STATUS_LIST_VERSION.c.sequence == sequence)
                .values(**values)
            )


def _allocation(connection: Connection, credential_id: str) -> Allocation | None:
    row = connection.execute(
        sa.select(STATUS_ALLOCATION).where(STATUS_ALLOCATION.c.credential_id == credential_id)
    ).first()
    if row is None:
        return None
    return Allocation(row.credential_id, int(row.list_index), row.record_type, row.issued_at)


def _latest_sequence(connection: Connection, list_id: str) -> int:
    value = connection.execute(
        sa.select(sa.func.max(STATUS_LIST_VERSION.c.sequence)).where(STATUS_LIST_VERSION.c.list_id == list_id)
    ).scalar()
    return int(value) if value is not None else 0


def _set_indexes(connection: Connection, list_id: str) -> list[int]:
    query = sa.select(STATUS_BIT.c.list_index).where(STATUS_BIT.c.list_id == list_id).order_by(STATUS_BIT.c.list_index)
    return [int(index) for index in connection.execute(query).scalars()]


def _insert_version(
    connection: Connection, list_id: str, sequence: int, sign: SignVersion, now: datetime
) -> ListVersion:
    """Sign version ``sequence`` with the bits as this transaction sees them, and store it."""
    signed = sign(sequence, _set_indexes(connection, list_id))
    values: dict[str, Any] = {
        "list_id": list_id,
        "sequence": sequence,
        "credential": signed.credential,
        "digest": signed.digest,
        "signed_at": now,
        "valid_until": signed.valid_until,
        "published_at": None,
        "attempts": 0,
        "last_error": None,
        "refused_code": None,
    }
    connection.execute(sa.insert(STATUS_LIST_VERSION).values(**values))
    return _version(values)


def _version(row: Any) -> ListVersion:
    return ListVersion(
        list_id=row["list_id"],
        sequence=int(row["sequence"]),
        credential=dict(row["credential"]),
        digest=row["digest"],
        signed_at=row["signed_at"],
        valid_until=row["valid_until"],
        published_at=row["published_at"],
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        refused_code=row["refused_code"],
    )
