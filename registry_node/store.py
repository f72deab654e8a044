"""Every version of every issuer's status list, in the registry's database (docs/design.md §12).

``StatusListStore.add`` keeps a verified version in one transaction, under three rules:

1. a list's ``purpose`` is fixed by its first version (another purpose: 422 ``STATUS_LIST_INVALID``);
2. a new version's ``sequence`` is above the list's head (else 409 ``STATUS_LIST_OUT_OF_ORDER``), except
   the very version already held under that sequence (same digest), which is an idempotent retry;
3. two versions posted at once never both become the head, nor share a sequence: the head row is locked
   (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite, one writer at a time, and this process's writers
   queue on ``WriteLock``), advanced with a compare-and-set, and the versions' primary key is
   ``(issuer, list_id, sequence)``. A writer that loses a race anyway (a constraint violation, a head
   that moved) starts its decision again, and then gets the answer the winner left: 409, or 200 when it
   posted the same version.

Reads (``current``, ``held_at``, ``version``, ``history``) see committed versions only. Times are stored in
UTC (SQLite keeps them without a zone; they are read back as UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from node_core.database import TableStore, WriteLock
from node_core.problems import ProblemError
from registry_node.tables import STATUS_LIST_VERSIONS, STATUS_LISTS
from schemas.codes import Code
from schemas.phrase import Phrase
from schemas.status_list import StatusList

__all__ = ["Accepted", "StatusListStore", "StoredVersion"]

#: How often a writer that lost a race decides again before giving up (it never needs more than one more).
_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredVersion:
    """One version of a list as the registry keeps it (``credential`` empty when read for the history)."""

    issuer: str
    list_id: str
    sequence: int
    digest: str
    valid_from: datetime
    valid_until: datetime
    ttl_ms: int
    received_at: datetime
    credential: bytes = b""


@dataclass(frozen=True)
class Accepted:
    """What ``add`` did: ``created`` a new version, or found this very one already held."""

    created: bool
    sequence: int
    digest: str


class _LostRace(Exception):
    """Another writer moved the head between our read and our write: decide again."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bind(value: datetime) -> datetime:
    """A time as bound to a query: UTC (SQLite stores the digits, not the zone)."""
    return value.astimezone(UTC)


_SUMMARY_COLUMNS = (
    STATUS_LIST_VERSIONS.c.issuer,
    STATUS_LIST_VERSIONS.c.list_id,
    STATUS_LIST_VERSIONS.c.sequence,
    STATUS_LIST_VERSIONS.c.digest,
    STATUS_LIST_VERSIONS.c.valid_from,
    STATUS_LIST_VERSIONS.c.valid_until,
    STATUS_LIST_VERSIONS.c.ttl_ms,
    STATUS_LIST_VERSIONS.c.received_at,
)


def _version(row: Any) -> StoredVersion:
    mapping = row._mapping
    credential = mapping.get("credential")
    return StoredVersion(
        issuer=str(mapping["issuer"]),
        list_id=str(mapping["list_id"]),
        sequence=int(mapping["sequence"]),
        digest=str(mapping["digest"]),
        valid_from=_utc(mapping["valid_from"]),
        valid_until=_utc(mapping["valid_until"]),
        ttl_ms=int(mapping["ttl_ms"]),
        received_at=_utc(mapping["received_at"]),
        credential=bytes(credential) if credential is not None else b"",
    )


def out_of_order(held: int) -> ProblemError:
    """409: the registry holds ``held`` or higher; the registry's own number is named, never the input's."""
    return ProblemError(
        Code.STATUS_LIST_OUT_OF_ORDER,
        Phrase(
            "the registry holds version {held} of this status list; a new version needs a higher sequence", held=held
        ),
        extra={"heldSequence": held},
    )


class StatusListStore(TableStore):
    """The registry's status list versions over its database."""

    def __init__(self, engine: Engine, write_lock: WriteLock | None = None) -> None:
        super().__init__(engine, write_lock)
        self._for_update = engine.dialect.name == "postgresql"

    # -- writing -------------------------------------------------------------------------------------

    def add(self, issuer: str, list_id: str, status_list: StatusList, body: bytes) -> Accepted:
        """Keep ``status_list`` (verified, at ``issuer``/``list_id``) with its bytes ``body``; see the module doc.

        Its ``received_at`` is read from the clock inside the write, once the list's head is held, so the
        versions of a list are received in the order of their sequences and ``held_at`` is exact.
        """
        for attempt in range(_ATTEMPTS):
            try:
                with self._write() as connection:
                    return self._add(connection, issuer, list_id, status_list, body)
            except (IntegrityError, _LostRace):
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _add(
        self,
        connection: Connection,
        issuer: str,
        list_id: str,
        status_list: StatusList,
        body: bytes,
    ) -> Accepted:
        key = (STATUS_LISTS.c.issuer == issuer) & (STATUS_LISTS.c.list_id == list_id)
        query = sa.select(STATUS_LISTS.c.purpose, STATUS_LISTS.c.head_sequence).where(key)
        head = connection.execute(query.with_for_update() if self._for_update else query).first()
        sequence = status_list.sequence
        if head is None:
            connection.execute(
                sa.insert(STATUS_LISTS).values(
                    issuer=issuer, list_id=list_id, purpose=status_list.purpose, head_sequence=sequence
                )
            )
        else:
            purpose, held = str(head.purpose), int(head.head_sequence)
            if purpose != status_list.purpose:
                raise ProblemError(
                    Code.STATUS_LIST_INVALID,
                    Phrase(
                        "this status list's earlier versions have statusPurpose {purpose}; a version cannot change it",
                        purpose=purpose,
                    ),
                )
            if sequence <= held:
                return self._already_held(connection, issuer, list_id, status_list, held)
            advance = sa.update(STATUS_LISTS).where(key & (STATUS_LISTS.c.head_sequence < sequence))
            moved = connection.execute(advance.values(head_sequence=sequence))
            if moved.rowcount != 1:
                raise _LostRace
        connection.execute(
            sa.insert(STATUS_LIST_VERSIONS).values(
                issuer=issuer,
                list_id=list_id,
                sequence=sequence,
                digest=status_list.digest,
                valid_from=_bind(status_list.valid_from),
                valid_until=_bind(status_list.valid_until),
                ttl_ms=int(status_list.ttl.total_seconds() * 1000),
                received_at=datetime.now(UTC),
                credential=body,
            )
        )
        return Accepted(created=True, sequence=sequence, digest=status_list.digest)

    def _already_held(
        self, connection: Connection, issuer: str, list_id: str, status_list: StatusList, held: int
    ) -> Accepted:
        """The answer for a sequence at or below the head: the identical version (200), or 409."""
        digest = connection.execute(
            sa.select(STATUS_LIST_VERSIONS.c.digest).where(
                (STATUS_LIST_VERSIONS.c.issuer == issuer)
                & (STATUS_LIST_VERSIONS.c.list_id == list_id)
                & (STATUS_LIST_VERSIONS.c.sequence == status_list.sequence)
            )
        ).scalar_one_or_none()
        if digest == status_list.digest:
            return Accepted(created=False, sequence=status_list.sequence, digest=status_list.digest)
        raise out_of_order(held)

    # -- reading -------------------------------------------------------------------------------------

    def _one(self, where: sa.ColumnElement[bool], order: list[sa.ColumnElement[object]]) -> StoredVersion | None:
        query = sa.select(STATUS_LIST_VERSIONS).where(where).order_by(*order).limit(1)
        with self._read() as connection:
            row = connection.execute(query).first()
        return _version(row) if row is not None else None

    @staticmethod
    def _of(issuer: str, list_id: str) -> sa.ColumnElement[bool]:
        return (STATUS_LIST_VERSIONS.c.issuer == issuer) & (STATUS_LIST_VERSIONS.c.list_id == list_id)

    def current(self, issuer: str, list_id: str) -> StoredVersion | None:
        """The highest version held, or None for a list the registry never received."""
        return self._one(self._of(issuer, list_id), [STATUS_LIST_VERSIONS.c.sequence.desc()])

    def held_at(self, issuer: str, list_id: str, at: datetime) -> StoredVersion | None:
        """The version the registry held at ``at``: the last one received at or before it, or None."""
        where = self._of(issuer, list_id) & (STATUS_LIST_VERSIONS.c.received_at <= _bind(at))
        return self._one(where, [STATUS_LIST_VERSIONS.c.sequence.desc()])

    def version(self, issuer: str, list_id: str, sequence: int) -> StoredVersion | None:
        """Version ``sequence`` exactly, or None."""
        return self._one(self._of(issuer, list_id) & (STATUS_LIST_VERSIONS.c.sequence == sequence), [])

    def history(self, issuer: str, list_id: str) -> list[StoredVersion]:
        """Every version held, oldest first, without the credential bytes."""
        query = sa.select(*_SUMMARY_COLUMNS).where(self._of(issuer, list_id)).order_by(STATUS_LIST_VERSIONS.c.sequence)
        with self._read() as connection:
            return [_version(row) for row in connection.execute(query)]
