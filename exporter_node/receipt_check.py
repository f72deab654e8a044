"""Verifying a port's receipt, and the consistency of its log with what this exporter saw before.

A receipt counts only when all of this holds (DESIGN sections 4 to 6), else ``ReceiptInvalidError``:

1. it parses strictly and verifies as a ``SubmissionReceipt`` credential signed by the destination
   port's ``assertion`` key, judged with the trust list at the time it was received;
2. its subject is about what was sent: ``submissionId``, ``submissionDigest`` (canonical digest of the
   submission), ``exporter`` (this node's DID);
3. the log entry rebuilt from the receipt (``{"v": 1, "exporter", "submissionId", "submissionDigest",
   "decision", "reasonCodes", "receivedAt"}``, reason codes distinct, in order) hashes to ``leafHash``
   (RFC 9162 leaf hash of its RFC 8785 bytes);
4. the checkpoint is a C2SP signed note by the port's ``log`` key under origin
   ``<port id>.pilot.example/log``, and ``log.origin`` names that origin;
5. the inclusion proof leads from ``leafHash`` at ``index`` to the checkpoint's root (RFC 9162 §2.1.3.2).

``check_consistency`` then compares the checkpoint with the largest one seen from that port: equal
sizes need equal roots, otherwise the port's RFC 9162 consistency proof between the two must verify,
or ``CheckpointInconsistentError``. Both functions are pure; fetching the proof is the caller's job.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from exporter_node.errors import CheckpointInconsistentError, ReceiptInvalidError
from exporter_node.storage import KnownCheckpoint
from schemas._canonical import canonicalize
from schemas._jsonio import parse_json
from schemas._merkle import leaf_hash, verify_consistency, verify_inclusion
from schemas._signed_note import Checkpoint, verify_checkpoint
from schemas._time import parse_time
from schemas._trust import TrustRegistry
from schemas._verify import check_credential
from schemas.errors import PilotSchemaError, VerificationError

__all__ = [
    "ExpectedReceipt",
    "VerifiedReceipt",
    "check_consistency",
    "check_receipt",
    "log_entry_of",
    "log_origin",
]

RECEIPT_TYPE = "SubmissionReceipt"


def log_origin(port_id: str) -> str:
    """The origin line of a port's checkpoints (DESIGN section 4)."""
    return f"{port_id}.pilot.example/log"


@dataclass(frozen=True)
class ExpectedReceipt:
    """What a receipt for one delivery must say."""

    port_id: str
    exporter_id: str
    exporter_did: str
    submission_id: str
    submission_digest: str


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt that passed every check, and the parts the exporter keeps."""

    receipt: dict[str, Any]
    decision: str
    reasons: list[dict[str, Any]]
    log_index: int
    checkpoint: Checkpoint
    checkpoint_text: str

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Warning-level reasons."""
        return [r for r in self.reasons if r.get("severity") == "warning"]

    def known_checkpoint(self, port_id: str) -> KnownCheckpoint:
        """The receipt's checkpoint, as it is remembered."""
        return KnownCheckpoint(
            port_id, self.checkpoint.origin, self.checkpoint.size, self.checkpoint.root_hash, self.checkpoint_text
        )


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


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise ReceiptInvalidError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ReceiptInvalidError(f"{what} is not RFC 4648 base64: {exc}") from exc


def _judged_at(document: Mapping[str, Any], at: datetime, skew: timedelta) -> datetime:
    """``at``, or the receipt's ``validFrom`` when the port's clock runs ahead by no more than ``skew``."""
    valid_from = document.get("validFrom")
    if isinstance(valid_from, str):
        try:
            issued = parse_time(valid_from)
        except VerificationError:
            return at
        if at < issued <= at + skew:
            return issued
    return at


def check_receipt(
    body: bytes | Mapping[str, Any],
    expected: ExpectedReceipt,
    trust: TrustRegistry,
    at: datetime,
    *,
    clock_skew: timedelta = timedelta(seconds=300),
) -> VerifiedReceipt:
    """Verify a receipt received at ``at``; ReceiptInvalidError naming the first failed check."""
    try:
        document = parse_json(body) if isinstance(body, bytes) else dict(body)
    except PilotSchemaError as exc:
        raise ReceiptInvalidError(f"the receipt is not strict JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ReceiptInvalidError("the receipt is not a JSON object")

    # 1. Signature, schema, issuer role and validity, with the trust list.
    report = check_credential(document, trust, _judged_at(document, at, clock_skew))
    if not report.verified or report.payload is None or report.key is None:
        found = "; ".join(f"{p.code} at {p.path or '/'}: {p.message}" for p in report.errors) or "not verified"
        raise ReceiptInvalidError(f"the receipt does not verify: {found}")
    if report.record_type != RECEIPT_TYPE:
        raise ReceiptInvalidError(f"the answer is a {report.record_type}, not a {RECEIPT_TYPE}")
    if report.key.participant_id != expected.port_id:
        raise ReceiptInvalidError(
            f"the receipt is signed by {report.key.participant_id}, not by the destination {expected.port_id}"
        )
    subject = report.payload["credentialSubject"]

    # 2. About what was sent.
    for name, want in (
        ("submissionId", expected.submission_id),
        ("submissionDigest", expected.submission_digest),
        ("exporter", expected.exporter_did),
    ):
        if subject.get(name) != want:
            raise ReceiptInvalidError(f"the receipt's {name} is {subject.get(name)!r}, expected {want!r}")

    # 3. The log entry it stands for.
    log = subject["log"]
    origin = log_origin(expected.port_id)
    if log.get("origin") != origin:
        raise ReceiptInvalidError(f"the receipt's log origin is {log.get('origin')!r}, expected {origin!r}")
    claimed_leaf = _b64(log.get("leafHash"), "log.leafHash")
    rebuilt = leaf_hash(canonicalize(log_entry_of(expected.exporter_id, subject)))
    if rebuilt != claimed_leaf:
        raise ReceiptInvalidError("the log entry rebuilt from the receipt does not hash to its leafHash")

    # 4. The checkpoint, signed by the port's log key.
    checkpoint = _verified_checkpoint(str(log.get("checkpoint", "")), expected.port_id, trust, at)

    # 5. Inclusion of the entry under the checkpoint's root.
    proof = [_b64(h, f"log.inclusionProof[{i}]") for i, h in enumerate(log.get("inclusionProof", []))]
    try:
        verify_inclusion(int(log["index"]), checkpoint.size, claimed_leaf, proof, checkpoint.root_hash)
    except VerificationError as exc:
        raise ReceiptInvalidError(f"the inclusion proof does not verify: {exc}") from exc

    return VerifiedReceipt(
        receipt=document,
        decision=str(subject["decision"]),
        reasons=[dict(r) for r in subject.get("reasons", [])],
        log_index=int(log["index"]),
        checkpoint=checkpoint,
        checkpoint_text=str(log["checkpoint"]),
    )


def _verified_checkpoint(text: str, port_id: str, trust: TrustRegistry, at: datetime) -> Checkpoint:
    origin = log_origin(port_id)
    keys = trust.keys_of(port_id, "log")
    if not keys:
        raise ReceiptInvalidError(f"the trust list publishes no log key for {port_id}")
    problems: list[str] = []
    for key in keys:
        try:
            key.check("log", at)
            return verify_checkpoint(text, origin, key.public_key, origin=origin)
        except VerificationError as exc:
            problems.append(f"{key.verification_method}: {exc}")
    raise ReceiptInvalidError("the receipt's checkpoint does not verify: " + "; ".join(problems))


def check_consistency(previous: KnownCheckpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise CheckpointInconsistentError unless ``new`` and ``previous`` are views of one append-only log.

    ``proof`` is the port's consistency proof from the smaller tree to the larger (empty for equal sizes).
    """
    if previous.origin != new.origin:
        raise CheckpointInconsistentError(
            f"origin {new.origin!r} differs from the one seen before ({previous.origin!r})"
        )
    if previous.size == new.size:
        if previous.root_hash != new.root_hash:
            raise CheckpointInconsistentError(f"two different roots for tree size {new.size}: the log forked")
        return
    small, large = (previous.size, previous.root_hash), (new.size, new.root_hash)
    if new.size < previous.size:
        small, large = large, small
    try:
        verify_consistency(small[0], large[0], small[1], large[1], proof)
    except VerificationError as exc:
        raise CheckpointInconsistentError(
            f"the tree of size {large[0]} does not extend the tree of size {small[0]}: {exc}"
        ) from exc
