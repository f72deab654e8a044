"""The kit's checks of a port's receipt and log: the steps of ``schemas``' receipt verification, one at a time.

Each function runs one step of ``schemas.receipt.RECEIPT_CHECKS`` (signature, subject, leaf hash,
checkpoint, inclusion) with the trust list only, as an outsider would, and turns its VerificationError
into ``CaseFailed`` naming the step, so that a report tells a bad signature from a bad inclusion proof
(docs/design.md §§4 and 6). The kit judges at the time of the check and allows the port's clock no lead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pilot.conformance.model import CaseFailed
from schemas import receipt as receipt_steps
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import did_of, log_origin
from schemas.jsonio import parse_json
from schemas.receipt import b64_hash, log_entry_of, verify_log_checkpoint
from schemas.signed_note import Checkpoint
from schemas.trust import TrustRegistry

__all__ = [
    "b64decode",
    "check_checkpoint",
    "check_inclusion",
    "check_leaf_hash",
    "check_signature",
    "check_subject",
    "log_entry_of",
    "log_origin",
    "parse_receipt",
]


@contextmanager
def _step(name: str) -> Iterator[None]:
    """Report a failing step as ``CaseFailed``: ``<step>: <what was wrong> (at <JSON pointer>)``."""
    try:
        yield
    except VerificationError as exc:
        found = "; ".join(f"{p.message} (at {p.path or '/'})" for p in exc.problems)
        raise CaseFailed(f"{name}: {found}") from exc


def b64decode(value: Any, what: str) -> bytes:
    """A 32-byte hash in RFC 4648 section 4 base64, or ``CaseFailed`` naming the field."""
    with _step(what):
        return b64_hash(value, "")


def parse_receipt(body: bytes) -> dict[str, Any]:
    """The receipt as a JSON object, or ``CaseFailed``."""
    try:
        document = parse_json(body)
    except PilotSchemaError as exc:
        raise CaseFailed(f"the receipt is not strict JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("credentialSubject"), dict):
        raise CaseFailed("the receipt is not a credential with a credentialSubject object")
    return document


def check_signature(receipt: Mapping[str, Any], port_id: str, registry: TrustRegistry) -> str:
    """Step ``signature``: a ``SubmissionReceipt`` by ``port_id``'s assertion key; returns the key id."""
    with _step("signature"):
        _, key_id = receipt_steps.check_signature(
            receipt, registry, port_id=port_id, at=datetime.now(UTC), clock_skew=timedelta(0)
        )
    return key_id


def check_subject(receipt: Mapping[str, Any], submission_id: str, digest: str, exporter_id: str) -> str:
    """Step ``subject``: it names the submission that was sent; returns its decision."""
    with _step("subject"):
        return receipt_steps.check_subject(
            receipt["credentialSubject"],
            submission_id=submission_id,
            submission_digest=digest,
            exporter_did=did_of(exporter_id),
        )


def check_leaf_hash(receipt: Mapping[str, Any], exporter_id: str) -> bytes:
    """Step ``leaf hash``: ``log.leafHash`` is the leaf hash of the entry rebuilt from the receipt; returns it."""
    with _step("leaf hash"):
        return receipt_steps.check_leaf_hash(receipt["credentialSubject"], exporter_id)


def check_checkpoint(text: Any, port_id: str, registry: TrustRegistry) -> Checkpoint:
    """Step ``checkpoint``: ``text`` is a C2SP checkpoint signed by one of ``port_id``'s ``log`` keys."""
    if not isinstance(text, str):
        raise CaseFailed("checkpoint: the checkpoint is not a string")
    with _step("checkpoint"):
        return verify_log_checkpoint(text, port_id, registry, datetime.now(UTC))


def check_inclusion(receipt: Mapping[str, Any], checkpoint: Checkpoint) -> int:
    """Step ``inclusion``: the receipt's proof leads from its leaf to ``checkpoint``'s root; returns the index."""
    with _step("inclusion"):
        return receipt_steps.check_inclusion(receipt["credentialSubject"], checkpoint)
