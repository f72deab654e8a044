"""Verifying a port's signed receipt completely, as an exporter, an auditor or anyone with the trust list can.

A receipt counts only when all of this holds (DESIGN sections 4 to 6); otherwise VerificationError with
code ``RECEIPT_INVALID`` (or ``CHECKPOINT_INVALID`` for the checkpoint) and a message naming the check:

1. it verifies as a ``SubmissionReceipt`` credential signed by the port's ``assertion`` key, judged with
   the trust list at ``at`` (or at the receipt's ``validFrom`` when the port's clock runs ahead by no
   more than ``clock_skew``);
2. when the caller says what was sent, its subject matches: ``submissionId``, ``submissionDigest``,
   ``exporter``;
3. the log entry rebuilt from the receipt (``{"v": 1, "exporter", "submissionId", "submissionDigest",
   "decision", "reasonCodes", "receivedAt"}``, reason codes distinct and in order) hashes to ``leafHash``
   (RFC 9162 leaf hash of its RFC 8785 bytes);
4. the checkpoint is a C2SP signed note by the port's ``log`` key under origin
   ``<port id>.pilot.example/log``, and ``log.origin`` names that origin;
5. the inclusion proof leads from ``leafHash`` at ``index`` to the checkpoint's root (RFC 9162 §2.1.3.2).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas._canonical import canonicalize
from schemas._merkle import leaf_hash, verify_inclusion
from schemas._signed_note import Checkpoint, verify_checkpoint
from schemas._time import parse_time
from schemas._trust import TrustRegistry
from schemas._verify import check_credential
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.identifiers import RECEIPT_TYPE, log_origin


def log_entry_of(exporter_id: str, subject: Mapping[str, Any]) -> dict[str, Any]:
    """The public log entry a receipt's subject stands for (the port's leaf input, before RFC 8785)."""
    reasons = subject.get("reasons", [])
    codes = [str(r.get("code")) for r in reasons if isinstance(r, Mapping)]
    return {
        "v": 1,
        "exporter": exporter_id,
        "submissionId": subject.get("submissionId"),
        "submissionDigest": subject.get("submissionDigest"),
        "decision": subject.get("decision"),
        "reasonCodes": list(dict.fromkeys(codes)),
        "receivedAt": subject.get("receivedAt"),
    }


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt that passed every check, with the parts callers keep."""

    receipt: dict[str, Any]
    port_id: str
    exporter_id: str
    decision: str
    reasons: list[dict[str, Any]]
    log_index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    checkpoint_text: str

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Warning-level reasons."""
        return [r for r in self.reasons if r.get("severity") == "warning"]


def _invalid(path: str, message: str) -> VerificationError:
    return VerificationError.single(Code.RECEIPT_INVALID, path, message)


def b64_hash(text: Any, path: str) -> bytes:
    """A 32-byte hash from RFC 4648 base64; RECEIPT_INVALID otherwise."""
    if not isinstance(text, str):
        raise _invalid(path, "not a base64 string")
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(path, f"not RFC 4648 base64: {exc}") from exc
    if len(value) != 32:
        raise _invalid(path, f"a SHA-256 hash has 32 bytes, this has {len(value)}")
    return value


def _judged_at(document: Mapping[str, Any], at: datetime, skew: timedelta) -> datetime:
    valid_from = document.get("validFrom")
    if isinstance(valid_from, str):
        try:
            issued = parse_time(valid_from)
        except VerificationError:
            return at
        if at < issued <= at + skew:
            return issued
    return at


def verify_log_checkpoint(text: str, port_id: str, trust: TrustRegistry, at: datetime) -> Checkpoint:
    """A port's checkpoint note verified with any of its ``log`` keys valid at ``at``; CHECKPOINT_INVALID else."""
    origin = log_origin(port_id)
    keys = trust.keys_of(port_id, "log")
    if not keys:
        raise VerificationError.single(Code.CHECKPOINT_INVALID, "", f"the trust list has no log key for {port_id}")
    problems: list[str] = []
    for key in keys:
        try:
            key.check("log", at)
            return verify_checkpoint(text, origin, key.public_key, origin=origin)
        except VerificationError as exc:
            problems.append(f"{key.verification_method}: {exc}")
    raise VerificationError.single(Code.CHECKPOINT_INVALID, "", "checkpoint does not verify: " + "; ".join(problems))


def verify_receipt(
    document: Mapping[str, Any],
    trust: TrustRegistry,
    *,
    port_id: str,
    at: datetime,
    submission_id: str | None = None,
    submission_digest: str | None = None,
    exporter_did: str | None = None,
    clock_skew: timedelta = timedelta(seconds=300),
) -> VerifiedReceipt:
    """Verify a receipt from ``port_id`` judged at ``at`` (checks 1-5 of the module docstring)."""
    report = check_credential(document, trust, _judged_at(document, at, clock_skew))
    if not report.verified or report.payload is None or report.key is None:
        found = "; ".join(f"{p.code} at {p.path or '/'}: {p.message}" for p in report.errors) or "not verified"
        raise _invalid("", f"the receipt does not verify: {found}")
    if report.record_type != RECEIPT_TYPE:
        raise _invalid("/type", f"the document is a {report.record_type}, not a {RECEIPT_TYPE}")
    if report.key.participant_id != port_id:
        raise _invalid("/proof", f"the receipt is signed by {report.key.participant_id}, not by {port_id}")
    subject = report.payload["credentialSubject"]
    for name, want in (
        ("submissionId", submission_id),
        ("submissionDigest", submission_digest),
        ("exporter", exporter_did),
    ):
        if want is not None and subject.get(name) != want:
            raise _invalid(f"/credentialSubject/{name}", f"is {subject.get(name)!r}, expected {want!r}")
    exporter = trust.participant_by_did(str(subject.get("exporter")))
    if exporter is None:
        raise _invalid("/credentialSubject/exporter", f"{subject.get('exporter')} is not in the trust list")

    log = subject["log"]
    origin = log_origin(port_id)
    if log.get("origin") != origin:
        raise _invalid(
            "/credentialSubject/log/origin", f"the receipt's log origin is {log.get('origin')!r}, expected {origin!r}"
        )
    claimed_leaf = b64_hash(log.get("leafHash"), "/credentialSubject/log/leafHash")
    if leaf_hash(canonicalize(log_entry_of(exporter["id"], subject))) != claimed_leaf:
        raise _invalid(
            "/credentialSubject/log/leafHash", "the log entry rebuilt from the receipt does not hash to its leafHash"
        )
    try:
        checkpoint = verify_log_checkpoint(str(log.get("checkpoint", "")), port_id, trust, at)
    except VerificationError as exc:
        raise _invalid("/credentialSubject/log/checkpoint", str(exc)) from exc
    proof = [b64_hash(h, f"/credentialSubject/log/inclusionProof/{i}") for i, h in enumerate(log["inclusionProof"])]
    try:
        verify_inclusion(int(log["index"]), checkpoint.size, claimed_leaf, proof, checkpoint.root_hash)
    except VerificationError as exc:
        raise _invalid("/credentialSubject/log/inclusionProof", f"the inclusion proof does not verify: {exc}") from exc
    return VerifiedReceipt(
        receipt=dict(document),
        port_id=port_id,
        exporter_id=exporter["id"],
        decision=str(subject["decision"]),
        reasons=[dict(r) for r in subject.get("reasons", [])],
        log_index=int(log["index"]),
        leaf_hash=claimed_leaf,
        checkpoint=checkpoint,
        checkpoint_text=str(log["checkpoint"]),
    )


__all__ = ["RECEIPT_TYPE", "VerifiedReceipt", "log_entry_of", "log_origin", "verify_log_checkpoint", "verify_receipt"]
