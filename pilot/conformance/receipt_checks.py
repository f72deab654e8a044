"""Checks of a port's receipt and log as an outsider makes them, with ``schemas`` and the trust list only.

Each function checks one thing and raises ``CaseFailed`` saying what was wrong, so that a report can
tell a bad signature from a bad inclusion proof (DESIGN sections 4 and 6): the receipt's proof by the
port's ``assertion`` key, its subject, its ``leafHash`` against the rebuilt log entry, its checkpoint
as a C2SP signed note by the port's ``log`` key, and the RFC 9162 inclusion proof.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pilot.conformance.model import CaseFailed
from schemas._canonical import canonicalize
from schemas._jsonio import parse_json
from schemas._merkle import leaf_hash, verify_inclusion
from schemas._receipt import RECEIPT_TYPE, log_entry_of, log_origin
from schemas._signed_note import Checkpoint, verify_checkpoint
from schemas._trust import TrustRegistry
from schemas._verify import check_credential
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import did_of

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


def b64decode(value: Any, what: str) -> bytes:
    """RFC 4648 section 4 base64, or ``CaseFailed`` naming the field."""
    if not isinstance(value, str):
        raise CaseFailed(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CaseFailed(f"{what} is not RFC 4648 base64: {exc}") from exc


def parse_receipt(body: bytes) -> dict[str, Any]:
    """The receipt as a JSON object, or ``CaseFailed``."""
    try:
        document = parse_json(body)
    except PilotSchemaError as exc:
        raise CaseFailed(f"the receipt is not strict JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("credentialSubject"), dict):
        raise CaseFailed("the receipt is not a credential with a credentialSubject object")
    return document


def _log(receipt: Mapping[str, Any]) -> Mapping[str, Any]:
    log = receipt["credentialSubject"].get("log")
    if not isinstance(log, Mapping):
        raise CaseFailed("the receipt's credentialSubject has no log object")
    return log


def check_signature(receipt: Mapping[str, Any], port_id: str, registry: TrustRegistry) -> str:
    """The receipt verifies as a ``SubmissionReceipt`` by ``port_id``'s assertion key; returns the key id."""
    at = datetime.now(UTC)
    report = check_credential(dict(receipt), registry, at)
    if not report.verified or report.key is None:
        found = "; ".join(f"{p.code} at {p.path or '/'}: {p.message}" for p in report.errors) or "not verified"
        raise CaseFailed(f"the receipt does not verify with the trust list: {found}")
    if report.record_type != RECEIPT_TYPE:
        raise CaseFailed(f"the receipt is a {report.record_type}, not a {RECEIPT_TYPE}")
    if report.key.participant_id != port_id:
        raise CaseFailed(f"the receipt is signed by {report.key.participant_id}, not by {port_id}")
    return report.key.verification_method


def check_subject(receipt: Mapping[str, Any], submission_id: str, digest: str, exporter_id: str) -> str:
    """The subject names the submission that was sent; returns its decision."""
    subject = receipt["credentialSubject"]
    for name, want in (
        ("submissionId", submission_id),
        ("submissionDigest", digest),
        ("exporter", did_of(exporter_id)),
    ):
        if subject.get(name) != want:
            raise CaseFailed(f"credentialSubject.{name} is {subject.get(name)!r}, expected {want!r}")
    decision = subject.get("decision")
    if decision not in ("accepted", "rejected", "held_for_inspection"):
        raise CaseFailed(f"credentialSubject.decision is {decision!r}")
    return str(decision)


def check_leaf_hash(receipt: Mapping[str, Any], exporter_id: str) -> bytes:
    """``log.leafHash`` is the RFC 9162 leaf hash of the entry rebuilt from the receipt; returns it."""
    claimed = b64decode(_log(receipt).get("leafHash"), "log.leafHash")
    rebuilt = leaf_hash(canonicalize(log_entry_of(exporter_id, receipt["credentialSubject"])))
    if claimed != rebuilt:
        raise CaseFailed("log.leafHash is not SHA-256(0x00 || RFC 8785 bytes of the entry rebuilt from the receipt)")
    return claimed


def check_checkpoint(text: Any, port_id: str, registry: TrustRegistry) -> Checkpoint:
    """``text`` is a C2SP checkpoint signed by one of ``port_id``'s ``log`` keys under its origin."""
    if not isinstance(text, str):
        raise CaseFailed("the checkpoint is not a string")
    origin = log_origin(port_id)
    keys = registry.keys_of(port_id, "log")
    if not keys:
        raise CaseFailed(f"the trust list publishes no log key for {port_id}")
    problems = []
    for key in keys:
        try:
            return verify_checkpoint(text, origin, key.public_key, origin=origin)
        except VerificationError as exc:
            problems.append(f"{key.verification_method}: {exc}")
    raise CaseFailed("the checkpoint does not verify: " + "; ".join(problems))


def check_inclusion(receipt: Mapping[str, Any], checkpoint: Checkpoint) -> int:
    """The receipt's inclusion proof leads from its leaf to the checkpoint's root; returns the index."""
    log = _log(receipt)
    index = log.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise CaseFailed(f"log.index is {index!r}, not an integer")
    leaf = b64decode(log.get("leafHash"), "log.leafHash")
    raw = log.get("inclusionProof")
    if not isinstance(raw, list):
        raise CaseFailed("log.inclusionProof is not a list")
    proof = [b64decode(h, f"log.inclusionProof[{i}]") for i, h in enumerate(raw)]
    try:
        verify_inclusion(index, checkpoint.size, leaf, proof, checkpoint.root_hash)
    except VerificationError as exc:
        raise CaseFailed(
            f"the inclusion proof of leaf {index} in tree {checkpoint.size} does not verify: {exc}"
        ) from exc
    return index
