"""Watching every port's log: signatures, cosignatures, append-only growth, and the witnesses' view.

For each port, one pass of ``check_port``:

1. fetch ``GET /v1/log/checkpoint``; it must verify with the port's ``log`` key from the trust list, and
   every witness cosignature on it must verify with that witness's ``witness`` key;
2. compare it with the checkpoint this monitor saw before (``<data dir>/monitor/<port>.json``): the same
   size needs the same root (else a split view); a larger size needs the port's consistency proof from
   the old one to verify (else a rewritten log); a smaller size is a log that shrank;
3. compare it with what each witness holds for the origin (``GET /v1/witness/latest``), the same way,
   and collect any equivocation evidence the witnesses recorded (``GET /v1/witness/evidence``).

A port that passes has its checkpoint saved as the new state. A failure carries ``evidence``: both
signed notes and the failing proof, which anyone can check by hand.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from node_core.port_client import PeerAnswerInvalid
from pilot.audit.errors import AuditError, EvidenceError
from pilot.audit.nodes import AuditNetwork
from pilot.audit.wording import error_text, said, said_joined
from port_node.witness import witness_name
from schemas.errors import VerificationError
from schemas.identifiers import log_origin
from schemas.merkle import verify_consistency
from schemas.phrase import Phrase
from schemas.signed_note import Checkpoint, parse_signed_note, verify_checkpoint, verify_cosignature
from schemas.trust import TrustRegistry

__all__ = ["PortReport", "check_port", "state_path", "verified_checkpoint", "verified_cosigners"]


@dataclass
class PortReport:
    """What one pass found about one port (``message`` and ``evidence``: English that keeps its phrase,
    ``pilot.audit.wording``)."""

    port: str
    ok: bool = True
    size: int | None = None
    cosigners: list[str] = field(default_factory=list)
    message: str = field(default_factory=lambda: said(Phrase("consistent")))
    evidence: list[str] = field(default_factory=list)

    def fail(self, message: str, *evidence: str) -> PortReport:
        """Mark as failed (the first failure's message is kept) and add evidence."""
        if self.ok:
            self.message = message
        self.ok = False
        self.evidence.extend(evidence)
        return self

    def as_json(self) -> dict[str, Any]:
        """Machine form: every field, under its own name."""
        return asdict(self)


def state_path(data_dir: Path, port: str) -> Path:
    """``<data dir>/monitor/<port>.json``: the last checkpoint the monitor accepted from ``port``."""
    return data_dir / "monitor" / f"{port}.json"


def verified_checkpoint(text: str, port: str, trust: TrustRegistry) -> Checkpoint:
    origin = log_origin(port)
    problems = []
    for key in trust.keys_of(port, "log"):
        try:
            return verify_checkpoint(text, origin, key.public_key, origin=origin)
        except VerificationError as exc:
            problems.append(str(exc))
    found = said_joined(problems) if problems else said(Phrase("no log key"))
    raise EvidenceError(said(Phrase("the checkpoint of {port} does not verify: {problems}", port=port, problems=found)))


def verified_cosigners(text: str, port: str, trust: TrustRegistry) -> list[str]:
    """The witnesses whose cosignature verifies; EvidenceError for one that does not."""
    note = parse_signed_note(text)
    good = []
    for sig in note.signatures:
        witness = sig.name.removesuffix(".pilot.example/witness")
        if witness == sig.name or witness == port:
            continue
        keys = trust.keys_of(witness, "witness")
        for key in keys:
            try:
                verify_cosignature(note, witness_name(witness), key.public_key)
                good.append(witness)
                break
            except VerificationError:
                continue
        else:
            raise EvidenceError(said(Phrase("the cosignature line of {name} does not verify", name=sig.name)))
    return sorted(set(good))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _compare(
    network: AuditNetwork, report: PortReport, seen: Checkpoint, seen_note: str, now: Checkpoint, note: str, who: str
) -> None:
    """Check that the checkpoint ``now`` and the one ``seen`` (by ``who``) are views of one append-only log."""
    held = said(Phrase("checkpoint held by {who}:\n{note}", who=who, note=seen_note))
    served = said(Phrase("checkpoint served now:\n{note}", note=note))
    if seen.size == now.size:
        if seen.root_hash != now.root_hash:
            split = Phrase(
                "split view: two checkpoints of size {size} with different roots ({who} vs now)", size=now.size, who=who
            )
            report.fail(said(split), held, served)
        return
    if seen.size > now.size:
        shrank = Phrase(
            "the log shrank: {who} holds size {seen}, the port now serves size {now}",
            who=who,
            seen=seen.size,
            now=now.size,
        )
        report.fail(said(shrank), held, served)
        return
    with network.port(report.port) as port:
        proof = port.consistency_proof(seen.size, now.size)
    try:
        verify_consistency(seen.size, now.size, seen.root_hash, now.root_hash, proof.hashes())
    except (VerificationError, PeerAnswerInvalid) as exc:
        inconsistent = Phrase(
            "inconsistent: the tree of size {now} does not extend the one of size {seen} ({who}): {problem}",
            now=now.size,
            seen=seen.size,
            who=who,
            problem=str(exc),
        )
        proof_served = Phrase("consistency proof served: {proof}", proof=json.dumps(proof.document.get("proof")))
        report.fail(said(inconsistent), held, served, said(proof_served))


def check_port(network: AuditNetwork, trust: TrustRegistry, port: str, *, save: bool = True) -> PortReport:
    """One monitoring pass over ``port`` (see the module docstring)."""
    report = PortReport(port)
    try:
        with network.port(port) as api:
            note = api.checkpoint()
        now = verified_checkpoint(note, port, trust)
        report.size = now.size
        report.cosigners = verified_cosigners(note, port, trust)
        path = state_path(network.data_dir, port)
        if path.is_file():
            state = json.loads(path.read_text(encoding="utf-8"))
            _compare(
                network,
                report,
                verified_checkpoint(state["note"], port, trust),
                state["note"],
                now,
                note,
                said(Phrase("the monitor's last pass")),
            )
        for witness in network.ids("cn-port-"):
            if witness == port:
                continue
            _check_witness(network, trust, report, witness, now, note)
    except AuditError as exc:
        return report.fail(error_text(exc))
    if report.ok and save:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"size": now.size, "root": _b64(now.root_hash), "note": note}) + "\n")
    return report


def _check_witness(
    network: AuditNetwork, trust: TrustRegistry, report: PortReport, witness: str, now: Checkpoint, note: str
) -> None:
    origin = log_origin(report.port)
    try:
        with network.port(witness) as api:
            held = api.witness_latest(origin)
            evidence = api.witness_evidence()
    except AuditError:
        return  # a witness that is down says nothing either way
    for item in evidence.get("evidence", []):
        if item.get("origin") == origin:
            recorded = Phrase(
                "witness {witness} recorded {kind} evidence against {origin}: {detail}",
                witness=witness,
                kind=str(item.get("kind")).replace("_", " "),
                origin=origin,
                detail=item.get("detail"),
            )
            report.fail(
                said(recorded),
                said(Phrase("checkpoint held by {who}:\n{note}", who=witness, note=item.get("heldNote"))),
                said(Phrase("checkpoint offered to {witness}:\n{note}", witness=witness, note=item.get("offeredNote"))),
                said(Phrase("consistency proof offered: {proof}", proof=json.dumps(item.get("proof")))),
            )
    if held.note:
        seen = verified_checkpoint(held.note, report.port, trust)
        if seen.size > now.size:  # the witness may just have cosigned a newer one: look again
            with network.port(report.port) as api:
                note = api.checkpoint()
            now = verified_checkpoint(note, report.port, trust)
        _compare(network, report, seen, held.note, now, note, said(Phrase("witness {witness}", witness=witness)))
