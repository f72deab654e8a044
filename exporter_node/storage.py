"""Reading and writing the exporter's tables: one function per question or state change, one transaction each.

Writers take the node's ``WriteLock`` (a no-op on PostgreSQL, a single writer on SQLite). A consignment,
its outbox row and the list of credentials it sends sealed are inserted in one transaction, and a delivery's
outcome (consignment state, attempt row, outbox row removed or rescheduled) is written in one transaction,
so a crash leaves all or none.

Sealed credentials (docs/design.md §§6, 8): once the port has answered a consignment with a verified
receipt, ``finish`` replaces, in the same transaction, the plaintext of every credential the consignment
sent sealed, wherever the exporter's records hold it (an imported credential, a facility's record), by
the sealed form it sent, and marks the record held sealed (``sealed_to``, ``sealed_in``, ``sealed_at``).
Every connection runs with ``PRAGMA secure_delete=ON`` (``node_core.database``), so SQLite overwrites the
replaced content with zeros instead of leaving it in free space; after such a replacement the write-ahead
log is checkpointed and truncated (``PRAGMA wal_checkpoint(TRUNCATE)``), since older frames of the same
pages, plaintext included, would otherwise stay in the ``-wal`` file until it is reused. PostgreSQL keeps
an updated row's old version until VACUUM reclaims its space, and does not overwrite it then either: see
docs/design.md §10.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from exporter_node.sealing import SealedCredential
from exporter_node.tables import (
    CONSIGNMENT,
    DELIVERY_ATTEMPT,
    FACILITY,
    IMPORTED_CREDENTIAL,
    OUTBOX,
    PORT_CHECKPOINT,
    SEALED_CREDENTIAL,
)
from node_core.database import TableStore
from schemas.jsonio import parse_json

__all__ = [
    "Attempt",
    "DueItem",
    "DuplicateError",
    "KnownCheckpoint",
    "Storage",
]

PENDING = "pending"

log = logging.getLogger(__name__)


class DuplicateError(Exception):
    """An insert hit an existing primary key."""


@dataclass(frozen=True)
class DueItem:
    """An outbox row whose next attempt is due."""

    consignment_id: str
    destination: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt and its outcome."""

    number: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    http_status: int | None = None
    code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class KnownCheckpoint:
    """The largest verified checkpoint seen from a port."""

    port_id: str
    origin: str
    size: int
    root_hash: bytes
    checkpoint: str


class Storage(TableStore):
    """The exporter's persistence, over one engine and its write lock."""

    def _insert(self, table: sa.Table, values: dict[str, Any]) -> None:
        """Insert one row keyed by ``values["id"]``; DuplicateError when the id exists."""
        try:
            with self._write() as connection:
                connection.execute(sa.insert(table).values(**values))
        except IntegrityError as exc:
            raise DuplicateError(values["id"]) from exc

    # --- facilities --------------------------------------------------------------------------------

    def add_facility(self, values: dict[str, Any]) -> None:
        """Insert a facility with its signed record; DuplicateError when the id exists."""
        self._insert(FACILITY, values)

    def replace_held_sealed_facility(self, values: dict[str, Any]) -> bool:
        """Put a newly issued record in place of a facility's record held only sealed; False when the facility
        is not held sealed (then nothing changes)."""
        with self._write() as connection:
            updated = connection.execute(
                sa.update(FACILITY)
                .where(FACILITY.c.id == values["id"], FACILITY.c.sealed_to.is_not(None))
                .values(**values, sealed_to=None, sealed_in=None, sealed_at=None)
            )
        return bool(updated.rowcount)

    def facilities(self, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Facilities (all, or those with the given ids), oldest first."""
        query = sa.select(FACILITY).order_by(FACILITY.c.created_at, FACILITY.c.id)
        if ids is not None:
            query = query.where(FACILITY.c.id.in_(list(ids)))
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def plants_with_number(self, establishment_number: str) -> list[dict[str, Any]]:
        """Processing plants registered under an establishment number."""
        query = sa.select(FACILITY).where(
            FACILITY.c.establishment_number == establishment_number,
            FACILITY.c.facility_type == "processing_plant",
        )
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # --- imported credentials ----------------------------------------------------------------------

    def imported_credential(self, credential_id: str) -> dict[str, Any] | None:
        """One imported credential by id."""
        query = sa.select(IMPORTED_CREDENTIAL).where(IMPORTED_CREDENTIAL.c.id == credential_id)
        with self._read() as connection:
            row = connection.execute(query).first()
        return dict(row._mapping) if row else None

    def add_imported_credential(self, values: dict[str, Any]) -> None:
        """Insert an imported credential; DuplicateError when the id exists."""
        self._insert(IMPORTED_CREDENTIAL, values)

    def restore_imported_credential(self, credential_id: str, digest: str, credential: dict[str, Any]) -> bool:
        """Put the plaintext back in an imported credential held only sealed, when it is the same credential
        (same digest); False when there is no such row (then nothing changes)."""
        with self._write() as connection:
            updated = connection.execute(
                sa.update(IMPORTED_CREDENTIAL)
                .where(
                    IMPORTED_CREDENTIAL.c.id == credential_id,
                    IMPORTED_CREDENTIAL.c.digest == digest,
                    IMPORTED_CREDENTIAL.c.sealed_to.is_not(None),
                )
                .values(credential=credential, sealed_to=None, sealed_in=None, sealed_at=None)
            )
        return bool(updated.rowcount)

    def imported_credentials(
        self, *, assessed_facilities: Sequence[str] | None = None, establishments: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Imported credentials: all, or those assessing one of the facilities or naming an establishment."""
        query = sa.select(IMPORTED_CREDENTIAL).order_by(IMPORTED_CREDENTIAL.c.imported_at, IMPORTED_CREDENTIAL.c.id)
        if assessed_facilities is not None or establishments is not None:
            query = query.where(
                sa.or_(
                    IMPORTED_CREDENTIAL.c.assessed_facility.in_(list(assessed_facilities or [])),
                    IMPORTED_CREDENTIAL.c.establishment_number.in_(list(establishments or [])),
                )
            )
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # --- consignments and the outbox ---------------------------------------------------------------

    def enqueue(
        self,
        *,
        consignment_id: str,
        destination: str,
        submission: str,
        digest: str,
        raw: bool,
        now: datetime,
        sealed: Sequence[SealedCredential] = (),
    ) -> dict[str, Any]:
        """Store a consignment, its outbox row and what it sends ``sealed`` in one transaction; DuplicateError
        when the id exists."""
        row = {
            "id": consignment_id,
            "destination": destination,
            "state": PENDING,
            "submission": submission,
            "submission_digest": digest,
            "raw": raw,
            "decision": None,
            "reasons": None,
            "receipt": None,
            "failure_code": None,
            "failure_detail": None,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "finished_at": None,
        }
        try:
            with self._write() as connection:
                connection.execute(sa.insert(CONSIGNMENT).values(**row))
                connection.execute(
                    sa.insert(OUTBOX).values(
                        consignment_id=consignment_id,
                        destination=destination,
                        next_attempt_at=now,
                        attempts=0,
                        created_at=now,
                        last_error=None,
                    )
                )
                if sealed:
                    connection.execute(
                        sa.insert(SEALED_CREDENTIAL),
                        [
                            {
                                "consignment_id": consignment_id,
                                "position": item.position,
                                "credential_id": item.credential_id,
                                "digest": item.digest,
                                "kid": item.kid,
                            }
                            for item in sealed
                        ],
                    )
        except IntegrityError as exc:
            raise DuplicateError(consignment_id) from exc
        return row

    def sealed_credentials(self, consignment_id: str) -> list[dict[str, Any]]:
        """What a consignment sends sealed: position, credential id, plaintext digest, key id; in order."""
        query = (
            sa.select(SEALED_CREDENTIAL)
            .where(SEALED_CREDENTIAL.c.consignment_id == consignment_id)
            .order_by(SEALED_CREDENTIAL.c.position)
        )
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def consignment(self, consignment_id: str) -> dict[str, Any] | None:
        """One consignment row by id."""
        with self._read() as connection:
            row = connection.execute(sa.select(CONSIGNMENT).where(CONSIGNMENT.c.id == consignment_id)).first()
        return dict(row._mapping) if row else None

    def consignments(self, *, state: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Consignments, newest first, without their submission text."""
        columns = [c for c in CONSIGNMENT.c if c.name not in ("submission", "receipt")]
        query = sa.select(*columns).order_by(CONSIGNMENT.c.created_at.desc(), CONSIGNMENT.c.id)
        if state is not None:
            query = query.where(CONSIGNMENT.c.state == state)
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query.limit(limit).offset(offset))]

    def attempts(self, consignment_id: str) -> list[dict[str, Any]]:
        """Every delivery attempt of a consignment, in order."""
        query = (
            sa.select(DELIVERY_ATTEMPT)
            .where(DELIVERY_ATTEMPT.c.consignment_id == consignment_id)
            .order_by(DELIVERY_ATTEMPT.c.number, DELIVERY_ATTEMPT.c.id)
        )
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def outbox(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The outbox: consignments still to deliver, soonest first."""
        query = sa.select(OUTBOX).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.consignment_id).limit(limit)
        with self._read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def due(self, now: datetime, *, limit: int = 500) -> list[DueItem]:
        """Outbox rows whose next attempt is at or before ``now``, soonest first."""
        query = (
            sa.select(OUTBOX.c.consignment_id, OUTBOX.c.destination, OUTBOX.c.attempts, OUTBOX.c.created_at)
            .where(OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.consignment_id)
            .limit(limit)
        )
        with self._read() as connection:
            return [DueItem(*row) for row in connection.execute(query)]

    def next_due_at(self) -> datetime | None:
        """When the soonest outbox row is due, or None when the outbox is empty."""
        with self._read() as connection:
            value = connection.execute(sa.select(sa.func.min(OUTBOX.c.next_attempt_at))).scalar()
        return value if isinstance(value, datetime) else None

    def submission_text(self, consignment_id: str) -> str | None:
        """The exact submission text queued for a consignment."""
        query = sa.select(CONSIGNMENT.c.submission).where(CONSIGNMENT.c.id == consignment_id)
        with self._read() as connection:
            value = connection.execute(query).scalar()
        return str(value) if value is not None else None

    def _attempt_row(self, consignment_id: str, attempt: Attempt) -> dict[str, Any]:
        return {
            "consignment_id": consignment_id,
            "number": attempt.number,
            "started_at": attempt.started_at,
            "finished_at": attempt.finished_at,
            "outcome": attempt.outcome,
            "http_status": attempt.http_status,
            "code": attempt.code,
            "detail": attempt.detail,
        }

    def reschedule(self, consignment_id: str, attempt: Attempt, next_attempt_at: datetime) -> None:
        """Record a retryable attempt and when to try again."""
        with self._write() as connection:
            connection.execute(sa.insert(DELIVERY_ATTEMPT).values(**self._attempt_row(consignment_id, attempt)))
            connection.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.consignment_id == consignment_id)
                .values(next_attempt_at=next_attempt_at, attempts=attempt.number, last_error=attempt.detail)
            )
            connection.execute(
                sa.update(CONSIGNMENT)
                .where(CONSIGNMENT.c.id == consignment_id)
                .values(attempts=attempt.number, updated_at=attempt.finished_at)
            )

    def finish(
        self,
        consignment_id: str,
        attempt: Attempt,
        *,
        state: str,
        decision: str | None = None,
        reasons: list[dict[str, Any]] | None = None,
        receipt: str | None = None,
        failure_code: str | None = None,
        failure_detail: str | None = None,
        sent: bool = False,
    ) -> None:
        """Record the final attempt, the final state and what the port said; the outbox row goes.

        ``sent``: the port answered with a verified receipt. The plaintext of the credentials the consignment
        sent sealed is then replaced in the exporter's records by their sealed form (module doc).
        """
        discarded = 0
        with self._write() as connection:
            if sent:
                discarded = self._keep_only_sealed(connection, consignment_id, attempt.finished_at)
            connection.execute(sa.insert(DELIVERY_ATTEMPT).values(**self._attempt_row(consignment_id, attempt)))
            connection.execute(sa.delete(OUTBOX).where(OUTBOX.c.consignment_id == consignment_id))
            connection.execute(
                sa.update(CONSIGNMENT)
                .where(CONSIGNMENT.c.id == consignment_id)
                .values(
                    state=state,
                    decision=decision,
                    reasons=reasons,
                    receipt=receipt,
                    failure_code=failure_code,
                    failure_detail=failure_detail,
                    attempts=attempt.number,
                    updated_at=attempt.finished_at,
                    finished_at=attempt.finished_at,
                )
            )
        if discarded:
            self._truncate_wal()

    def _keep_only_sealed(self, connection: sa.Connection, consignment_id: str, at: datetime) -> int:
        """Replace the plaintext of what ``consignment_id`` sent sealed by the sealed form; how many records."""
        sealed = connection.execute(
            sa.select(SEALED_CREDENTIAL).where(SEALED_CREDENTIAL.c.consignment_id == consignment_id)
        ).all()
        if not sealed:
            return 0
        text = connection.execute(
            sa.select(CONSIGNMENT.c.submission).where(CONSIGNMENT.c.id == consignment_id)
        ).scalar_one()
        sent = parse_json(str(text))["credentials"]
        replaced = 0
        for item in sealed:
            held = {
                "credential": sent[item.position],
                "sealed_to": item.kid,
                "sealed_in": consignment_id,
                "sealed_at": at,
            }
            for table, id_column in (
                (IMPORTED_CREDENTIAL, IMPORTED_CREDENTIAL.c.id),
                (FACILITY, FACILITY.c.credential_id),
            ):
                result = connection.execute(
                    sa.update(table)
                    .where(id_column == item.credential_id, table.c.digest == item.digest, table.c.sealed_to.is_(None))
                    .values(**held)
                )
                replaced += result.rowcount
        return replaced

    def _truncate_wal(self) -> None:
        """Checkpoint SQLite's write-ahead log into the database and truncate it to zero bytes (module doc)."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.write_lock, self.engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if busy:
            log.warning(
                "the write-ahead log could not be truncated (readers were busy): replaced plaintext may stay in "
                "it until the next truncation or until the node stops"
            )

    # --- port checkpoints --------------------------------------------------------------------------

    def known_checkpoint(self, port_id: str) -> KnownCheckpoint | None:
        """The largest verified checkpoint seen from ``port_id``."""
        query = sa.select(PORT_CHECKPOINT).where(PORT_CHECKPOINT.c.port_id == port_id)
        with self._read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return KnownCheckpoint(
            port_id=row.port_id,
            origin=row.origin,
            size=int(row.size),
            root_hash=base64.b64decode(row.root_hash),
            checkpoint=row.checkpoint,
        )

    def remember_checkpoint(self, known: KnownCheckpoint, now: datetime) -> None:
        """Store ``known`` as the port's checkpoint unless a larger one is already stored."""
        values = {
            "origin": known.origin,
            "size": known.size,
            "root_hash": base64.b64encode(known.root_hash).decode("ascii"),
            "checkpoint": known.checkpoint,
            "updated_at": now,
        }
        with self._write() as connection:
            updated = connection.execute(
                sa.update(PORT_CHECKPOINT)
                .where(PORT_CHECKPOINT.c.port_id == known.port_id, PORT_CHECKPOINT.c.size < known.size)
                .values(**values)
            )
            if updated.rowcount == 0:
                exists = connection.execute(
                    sa.select(PORT_CHECKPOINT.c.port_id).where(PORT_CHECKPOINT.c.port_id == known.port_id)
                ).first()
                if exists is None:
                    connection.execute(sa.insert(PORT_CHECKPOINT).values(port_id=known.port_id, **values))
