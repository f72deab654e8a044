"""Verifying a port's receipt, and the consistency of its log with what this exporter saw before.

``check_receipt`` is ``schemas.verify_receipt`` (the five steps of ``schemas.receipt.RECEIPT_CHECKS``)
for one delivery: the receipt must parse strictly, be about what was sent and be judged with the trust
list at the time it was received; any failure is ``ReceiptInvalidError`` naming the check.

``check_consistency`` then compares the checkpoint with the largest one seen from that port: equal
sizes need equal roots, otherwise the port's RFC 9162 consistency proof between the two must verify,
or ``CheckpointInconsistentError``. Both functions are pure; fetching the proof is the caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from exporter_node.errors import CheckpointInconsistentError, ReceiptInvalidError
from exporter_node.storage import KnownCheckpoint
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import did_of
from schemas.jsonio import parse_json
from schemas.merkle import verify_consistency
from schemas.receipt import VerifiedReceipt, verify_receipt
from schemas.signed_note import Checkpoint

__all__ = [
    "ExpectedReceipt",
    "check_consistency",
    "check_receipt",
]


@dataclass(frozen=True)
class ExpectedReceipt:
    """What a receipt for one delivery must say."""

    port_id: str
    exporter_id: str
    submission_id: str
    submission_digest: str


def check_receipt(
    body: bytes | Mapping[str, Any],
    expected: ExpectedReceipt,
    trust: Any,
    at: datetime,
    *,
    clock_skew: timedelta = timedelta(seconds=300),
) -> VerifiedReceipt:
    """Verify a receipt received at ``at`` with ``schemas.verify_receipt``; ReceiptInvalidError naming the check."""
    try:
        document = parse_json(body) if isinstance(body, bytes) else dict(body)
    except PilotSchemaError as exc:
        raise ReceiptInvalidError(f"the receipt is not strict JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ReceiptInvalidError("the receipt is not a JSON object")
    try:
        verified = verify_receipt(
            document,
            trust,
            port_id=expected.port_id,
            at=at,
            submission_id=expected.submission_id,
            submission_digest=expected.submission_digest,
            exporter_did=did_of(expected.exporter_id),
            clock_skew=clock_skew,
        )
    except VerificationError as exc:
        raise ReceiptInvalidError(str(exc)) from exc
    if verified.exporter_id != expected.exporter_id:
        raise ReceiptInvalidError(f"the receipt is for {verified.exporter_id}, not {expected.exporter_id}")
    return verified


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
