"""The signed receipt a port returns for every authenticated, parseable submission (DESIGN section 6).

A W3C VC 2.0 of type ``SubmissionReceipt`` issued by the port and secured with an ``eddsa-jcs-2022``
proof by its ``assertion`` key (through ``schemas._issue.secure``, the one signing function). The bytes
stored and served are the RFC 8785 form of the signed receipt, so a resubmission gets them byte for byte.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from port_node.keys import DID_PREFIX, PortKeys
from schemas._canonical import canonicalize
from schemas._issue import secure, unsigned_credential
from schemas._time import format_time
from schemas.identifiers import RECEIPT_TYPE

__all__ = ["RECEIPT_TYPE", "LogPosition", "b64", "build_receipt"]


def b64(data: bytes) -> str:
    """RFC 4648 section 4 base64 (standard alphabet, padded), as every base64 field of the API is."""
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class LogPosition:
    """Where a submission's entry sits in the log, and the checkpoint its inclusion proof leads to."""

    index: int
    leaf_hash: bytes
    checkpoint: str
    inclusion_proof: Sequence[bytes]


def build_receipt(
    keys: PortKeys,
    port_name: str,
    *,
    submission_id: str,
    submission_digest: str,
    exporter_id: str,
    decision: str,
    reasons: Sequence[dict[str, str]],
    received_at: datetime,
    position: LogPosition,
) -> bytes:
    """The RFC 8785 bytes of the signed receipt."""
    subject: dict[str, Any] = {
        "submissionId": submission_id,
        "submissionDigest": submission_digest,
        "exporter": DID_PREFIX + exporter_id,
        "decision": decision,
        "reasons": list(reasons),
        "receivedAt": format_time(received_at),
        "log": {
            "origin": keys.origin,
            "index": position.index,
            "leafHash": b64(position.leaf_hash),
            "checkpoint": position.checkpoint,
            "inclusionProof": [b64(h) for h in position.inclusion_proof],
        },
    }
    credential = unsigned_credential(
        RECEIPT_TYPE,
        subject,
        credential_id=f"urn:pilot:receipt:{keys.port_id}:{position.index}",
        issuer_did=keys.did,
        issuer_name=port_name,
        valid_from=received_at,
    )
    signed = secure(credential, keys.assertion.private_key, keys.assertion.verification_method, created=received_at)
    return canonicalize(signed)
