"""The port's witness: cosigns other ports' checkpoints after checking they extend what it cosigned before.

C2SP ``tlog-witness`` ``add-checkpoint`` (the request body is parsed by ``schemas.signed_note``):

1. the body parses (else 400); the origin is ``<port id>.pilot.example/log`` of a port the trust list
   gives a ``log`` key (else 404); the checkpoint verifies with one of those keys (else 403);
2. ``old`` is at most the checkpoint's size (else 400) and equals the size of the latest checkpoint
   this witness cosigned for the origin, 0 if none (else 409, answering that size as
   ``text/x.tlog.size``);
3. the consistency proof from ``old`` to the new size verifies against the stored root (else 422);
   equal sizes need equal roots (else 409);
4. the new checkpoint is persisted, then cosigned (C2SP ``tlog-cosignature``, Ed25519, with the port's
   ``witness`` key under the name ``<port id>.pilot.example/witness``).

Two checkpoints for one size with different roots, or one that does not extend the cosigned one, are
equivocation: both signed notes (and the proof) are kept in ``witness_evidence`` and the checkpoint is
refused. The rules are in ``Witness.add_checkpoint``; errors are ``WitnessRefusal`` with a status.

Several processes of one port (``--workers``) share ``witness_state``: each add-checkpoint reads the held
checkpoint with ``SELECT ... FOR UPDATE`` (PostgreSQL), so two requests for one origin are checked one
after the other and the held size never goes back; two first requests for an origin race on the insert,
and the loser is checked again against the winner's checkpoint.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from node_core.trust_holder import TrustHolder
from port_node.witness_tables import WITNESS_EVIDENCE, WITNESS_STATE
from schemas.errors import VerificationError
from schemas.identifiers import witness_name
from schemas.merkle import verify_consistency
from schemas.signed_note import (
    Checkpoint,
    SignedNote,
    cosign_checkpoint,
    parse_add_checkpoint,
    parse_signed_note,
    verify_note,
)

__all__ = ["Witness", "WitnessRefusal", "WitnessedCheckpoint", "port_of_origin", "witness_name"]

_ORIGIN = re.compile(r"^([a-z0-9][a-z0-9-]{0,62})\.pilot\.example/log$")


def port_of_origin(origin: str) -> str | None:
    """The port short id of a log origin ``<short id>.pilot.example/log``, or None."""
    match = _ORIGIN.match(origin)
    return match.group(1) if match else None


class WitnessRefusal(Exception):
    """The witness does not cosign: an HTTP ``status``, a stable ``code``; ``held_size`` for the 409 size answer."""

    def __init__(self, status: int, code: str, detail: str, *, held_size: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.held_size = held_size


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """The latest checkpoint the witness cosigned for an origin."""

    origin: str
    size: int
    root: bytes
    note: str

    def as_json(self) -> dict[str, Any]:
        """``{"origin", "size", "root" (base64), "note"}``."""
        return {
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "note": self.note,
        }


class Witness:
    """One port's witness over its database; thread-safe (one lock around each add-checkpoint)."""

    def __init__(self, port_id: str, key: Ed25519PrivateKey, engine: Engine, trust: TrustHolder) -> None:
        self.port_id = port_id
        self.name = witness_name(port_id)
        self.key = key
        self.engine = engine
        self.trust = trust
        self._lock = threading.Lock()

    # -- reading --------------------------------------------------------------------------------------

    def latest(self, origin: str) -> WitnessedCheckpoint | None:
        """The latest checkpoint cosigned for ``origin``, or None."""
        with self.engine.connect() as connection:
            return self._held(connection, origin)

    def evidence(self, limit: int = 100) -> list[dict[str, Any]]:
        """Recorded equivocation evidence, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(WITNESS_EVIDENCE).order_by(WITNESS_EVIDENCE.c.id.desc()).limit(limit)
            ).all()
        return [
            {
                "origin": row.origin,
                "kind": row.kind,
                "heldNote": row.held_note,
                "offeredNote": row.offered_note,
                "proof": list(row.proof),
                "detail": row.detail,
                "recordedAt": row.recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
                if row.recorded_at.tzinfo
                else row.recorded_at.isoformat() + "Z",
            }
            for row in rows
        ]

    @staticmethod
    def _held(connection: Connection, origin: str, *, lock: bool = False) -> WitnessedCheckpoint | None:
        query = sa.select(WITNESS_STATE).where(WITNESS_STATE.c.origin == origin)
        row = connection.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        return WitnessedCheckpoint(row.origin, int(row.size), bytes(row.root), row.note)

    # -- add-checkpoint -------------------------------------------------------------------------------

    def add_checkpoint(self, body: bytes, now: int | None = None) -> str:
        """Check and cosign an add-checkpoint request; the cosignature line, or ``WitnessRefusal``."""
        try:
            old, proof, text = parse_add_checkpoint(body)
            note = parse_signed_note(text)
            checkpoint = Checkpoint.from_body(note.body)
        except VerificationError as exc:
            raise WitnessRefusal(400, "CHECKPOINT_INVALID", f"not an add-checkpoint request: {exc}") from exc
        self._verify_signature(note, checkpoint.origin)
        if old > checkpoint.size:
            raise WitnessRefusal(
                400, "REQUEST_INVALID", f"old size {old} is larger than the checkpoint size {checkpoint.size}"
            )
        for attempt in range(2):
            try:
                with self._lock, self.engine.begin() as connection:
                    held = self._held(connection, checkpoint.origin, lock=True)
                    self._check_against(connection, held, old, proof, checkpoint, text)
                    self._persist(connection, held, checkpoint, text)
                break
            except IntegrityError:  # another process stored the origin's first checkpoint meanwhile
                if attempt:
                    raise
        timestamp = int(time.time()) if now is None else now
        return cosign_checkpoint(note.body, self.name, self.key, timestamp).line()

    def _verify_signature(self, note: SignedNote, origin: str) -> None:
        port_id = port_of_origin(origin)
        registry = self.trust.current()
        keys = registry.keys_of(port_id, "log") if port_id else []
        if not keys:
            raise WitnessRefusal(
                404, "NOT_FOUND", f"unknown log origin {origin!r}: the trust list has no log key for it"
            )
        problems = []
        for key in keys:
            try:
                verify_note(note, origin, key.public_key)
                return
            except VerificationError as exc:
                problems.append(str(exc))
        raise WitnessRefusal(403, "FORBIDDEN", "the checkpoint is not signed by the log's key: " + "; ".join(problems))

    def _check_against(
        self,
        connection: Connection,
        held: WitnessedCheckpoint | None,
        old: int,
        proof: list[bytes],
        checkpoint: Checkpoint,
        text: str,
    ) -> None:
        """The tlog-witness rules against the held checkpoint; evidence is recorded before refusing."""
        held_size = held.size if held else 0
        if held is not None and checkpoint.size == held.size and checkpoint.root_hash != held.root:
            self._record(connection, held, text, [], "split_view", f"two roots for tree size {held.size}")
            raise WitnessRefusal(
                409,
                "CHECKPOINT_INCONSISTENT",
                f"the log signed two different checkpoints for size {held.size}: evidence recorded",
            )
        if old != held_size:
            raise WitnessRefusal(
                409,
                "CHECKPOINT_INCONSISTENT",
                f"old size {old} is not the cosigned size {held_size}",
                held_size=held_size,
            )
        if held is None:
            if proof:
                raise WitnessRefusal(422, "MERKLE_PROOF_INVALID", "the proof from size 0 must be empty")
            return
        try:
            verify_consistency(held.size, checkpoint.size, held.root, checkpoint.root_hash, proof)
        except VerificationError as exc:
            self._record(connection, held, text, proof, "inconsistent", str(exc))
            raise WitnessRefusal(
                422, "MERKLE_PROOF_INVALID", f"the checkpoint does not extend the cosigned one: {exc}"
            ) from exc

    @staticmethod
    def _persist(connection: Connection, held: WitnessedCheckpoint | None, checkpoint: Checkpoint, text: str) -> None:
        values = {"size": checkpoint.size, "root": checkpoint.root_hash, "note": text}
        if held is None:
            connection.execute(sa.insert(WITNESS_STATE).values(origin=checkpoint.origin, **values))
        elif checkpoint.size > held.size:
            connection.execute(
                sa.update(WITNESS_STATE).where(WITNESS_STATE.c.origin == checkpoint.origin).values(**values)
            )

    def _record(
        self,
        connection: Connection,
        held: WitnessedCheckpoint,
        offered: str,
        proof: list[bytes],
        kind: str,
        detail: str,
    ) -> None:
        """Keep the evidence in its own transaction, so the refusal that follows does not roll it back."""
        del connection
        with self.engine.begin() as writer:
            seen = writer.execute(
                sa.select(WITNESS_EVIDENCE.c.id).where(
                    WITNESS_EVIDENCE.c.origin == held.origin, WITNESS_EVIDENCE.c.offered_note == offered
                )
            ).first()
            if seen is not None:
                return
            writer.execute(
                sa.insert(WITNESS_EVIDENCE).values(
                    origin=held.origin,
                    kind=kind,
                    held_note=held.note,
                    offered_note=offered,
                    proof=[base64.b64encode(h).decode() for h in proof],
                    detail=detail,
                    recorded_at=datetime.now(UTC),
                )
            )
