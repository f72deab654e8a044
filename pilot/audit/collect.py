"""Gathering one consignment's evidence from its exporter and its destination port into bundle files.

From the exporter (operator token): the consignment (state, destination), the submission bytes it
sent, and its traceability events as a GS1 EPCIS 2.0 document (``GET /v1/consignments/{id}/epcis``;
left out when the exporter has none to give: an exporter without that route, or events with no EPCIS
form). From the port (operator token for the receipt, public routes for the rest): the receipt as
served, the log entry, the inclusion proof to the receipt's checkpoint, the latest checkpoint once the
witnesses have cosigned it (waiting up to ``wait_s``), the consistency proof between the two, and the
trust list it holds. From the registry (peer ``registry``): every status list version the receipt's
``statusLists`` names, exactly that version (``/versions/{sequence}``, not the current one), as served.
Nothing is verified here: ``pilot.audit.verify`` does that, offline.
"""

from __future__ import annotations

import time
from typing import Any

from pilot.audit.bundle import EPCIS_FILE, MAX_STATUS_LISTS, status_member
from pilot.audit.errors import EvidenceError
from pilot.audit.nodes import AuditNetwork
from schemas.canonical import canonicalize
from schemas.errors import PilotSchemaError, VerificationError
from schemas.jsonio import parse_json
from schemas.signed_note import Checkpoint, parse_signed_note

__all__ = ["collect_evidence", "cosigners_of"]


def cosigners_of(note_text: str) -> set[str]:
    """Names on the signature lines of a note other than its origin's (the cosigners)."""
    note = parse_signed_note(note_text)
    origin = Checkpoint.from_body(note.body).origin
    return {sig.name for sig in note.signatures if sig.name != origin}


def _checkpoint_size(text: str, what: str) -> int:
    try:
        return Checkpoint.from_body(parse_signed_note(text).body).size
    except VerificationError as exc:
        raise EvidenceError(f"{what} is not a checkpoint: {exc}") from exc


def _latest_cosigned(network: AuditNetwork, port: str, at_least: int, witnesses: int, wait_s: float) -> str:
    """The port's latest checkpoint (size >= ``at_least``), waiting for every witness to cosign it."""
    deadline = time.monotonic() + wait_s
    while True:
        with network.port(port) as api:
            text = api.checkpoint()
        size = _checkpoint_size(text, f"{port}'s checkpoint")
        done = size >= at_least and len(cosigners_of(text)) >= witnesses
        if done or time.monotonic() >= deadline:
            if size < at_least:
                raise EvidenceError(f"{port}'s checkpoint (size {size}) is older than the receipt's ({at_least})")
            return text
        time.sleep(0.25)


def _epcis_document(network: AuditNetwork, exporter: str, consignment_id: str) -> Any:
    """The exporter's EPCIS document for the consignment, or None when it has none to give (404, 422)."""
    response = network.get(exporter, f"/v1/consignments/{consignment_id}/epcis", ok=(200, 404, 422))
    if response.status_code != 200:
        return None
    try:
        return parse_json(response.content)
    except PilotSchemaError as exc:
        raise EvidenceError(f"{exporter} returned a malformed EPCIS document: {exc}") from exc


def _status_lists(network: AuditNetwork, subject: dict[str, Any]) -> dict[str, bytes]:
    """The bundle members of every status list version the receipt's subject names (none when it names none)."""
    references = subject.get("statusLists", [])
    if not isinstance(references, list):
        raise EvidenceError("the receipt's statusLists is not a list")
    if len(references) > MAX_STATUS_LISTS:
        raise EvidenceError(f"the receipt names {len(references)} status lists, more than a bundle holds")
    files: dict[str, bytes] = {}
    for reference in references:
        url = reference.get("id") if isinstance(reference, dict) else None
        sequence = reference.get("sequence") if isinstance(reference, dict) else None
        if not isinstance(url, str) or not isinstance(sequence, int) or (name := status_member(url, sequence)) is None:
            raise EvidenceError(f"the receipt names a status list that is not a pilot one: {reference!r}"[:300])
        files[name] = network.status_list_version(url, sequence)
    return files


def collect_evidence(network: AuditNetwork, consignment_id: str, *, wait_s: float = 15.0) -> dict[str, bytes]:
    """The bundle's files (without the manifest) for ``consignment_id``; EvidenceError if not delivered."""
    exporter, view = network.find_consignment(consignment_id)
    port = str(view.get("destination", ""))
    receipt_view = view.get("receipt")
    if not isinstance(receipt_view, dict):
        raise EvidenceError(f"{consignment_id} has no receipt yet (state {view.get('state')!r})")
    sent = network.get(exporter, f"/v1/consignments/{consignment_id}/submission").content
    try:
        submission = parse_json(sent)
    except PilotSchemaError as exc:
        raise EvidenceError(f"{exporter} returned a malformed submission: {exc}") from exc
    epcis = _epcis_document(network, exporter, consignment_id)
    with network.port(port) as api:
        receipt = api.receipt(consignment_id, exporter=exporter)
    try:
        subject: dict[str, Any] = parse_json(receipt)["credentialSubject"]
        log: dict[str, Any] = subject["log"]
        index, checkpoint_text = int(log["index"]), str(log["checkpoint"])
    except (PilotSchemaError, KeyError, TypeError, ValueError) as exc:
        raise EvidenceError(f"{port}'s receipt for {consignment_id} has no usable log position: {exc}") from exc
    status_lists = _status_lists(network, subject)
    first = _checkpoint_size(checkpoint_text, "the receipt's checkpoint")
    trust = network.trust()
    witnesses = len([p for p in network.ids("cn-port-") if p != port and trust.keys_of(p, "witness")])
    latest = _latest_cosigned(network, port, first, max(1, witnesses), wait_s)
    second = _checkpoint_size(latest, f"{port}'s checkpoint")
    with network.port(port) as api:
        (entry,) = api.entries(index, index + 1)
        inclusion = api.inclusion_proof(index, first).document
        consistency = api.consistency_proof(first, second).document
        trust_list = api.trust_list()
    anchor = parse_json((network.data_dir / "trust-anchor.json").read_bytes())
    about = {
        "consignmentId": consignment_id,
        "exporter": exporter,
        "port": port,
        "origin": log.get("origin"),
        "state": view.get("state"),
    }
    files = {
        "bundle.json": canonicalize(about),
        "submission.json": canonicalize(submission),
        "receipt.json": receipt,
        "log/entry.json": canonicalize(entry.entry),
        "log/inclusion-proof.json": canonicalize(inclusion),
        "log/checkpoint-receipt.txt": checkpoint_text.encode(),
        "log/checkpoint-latest.txt": latest.encode(),
        "log/consistency-proof.json": canonicalize(consistency),
        "trust/trust-list.json": canonicalize(trust_list),
        "trust/trust-anchor.json": canonicalize(anchor),
    }
    if epcis is not None:
        files[EPCIS_FILE] = canonicalize(epcis)
    files.update(status_lists)
    return files
