"""What a consignment's pictures are drawn from: the submission, the exporter's view, the receipt, cosignatures.

``ConsignmentStory`` holds what the demo and ``pilot audit trail`` already gather (nothing is fetched or
verified here). ``story_milestones`` reads its timeline from it:

- farm lots and traceability events: each event of the submission's Digital Traceability Events, at its
  ``eventTime`` (a ``commissioning`` event with lots is a farm lot);
- certificates: each conformity credential and veterinary attestation, at its ``validFrom`` (else its
  proof's ``created``); a credential sealed to the port as sealed, with the key it is sealed to;
- the manifest, at its proof's ``created`` (else its ``validFrom``);
- delivery: queued (the view's ``createdAt``), then each attempt (``attemptLog``);
- the decision and the log entry, at the receipt's ``receivedAt``; the log entry names the size of the
  receipt's checkpoint;
- each cosignature of a checkpoint that holds the entry, at its own timestamp, as the caller verified it.

``story_farms`` lists the facilities (farms first, in the lots' order, then the other facilities) whose
records the submission carries in clear, with their GeoJSON boundary, for the maps. A malformed part
(a time that is not RFC 3339, an event that is not an object) is skipped or shown without its time,
never raised: the pictures show what there is. The milestones' texts are in the command's language
(``pilot.language``); ids, codes and values from the records are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pilot.language import tr
from pilot.pictures._timeline import Milestone, Outcome, Stage
from schemas.errors import VerificationError
from schemas.identifiers import short_id_of
from schemas.jose import credential_payload
from schemas.sealing import is_sealed, read_sealed, sealed_header
from schemas.signed_note import Checkpoint, parse_signed_note
from schemas.time import time_or_none

__all__ = ["ConsignmentStory", "Cosignature", "Facility", "story_farms", "story_milestones"]

ATTEMPT_OUTCOMES: dict[str, Outcome] = {
    "delivered": "ok",
    "delivered_with_warnings": "attention",
    "retry": "attention",
    "failed": "failed",
    "receipt_failed": "failed",
    "gave_up": "failed",
}
DECISION_OUTCOMES: dict[str, Outcome] = {"accepted": "ok", "held_for_inspection": "attention", "rejected": "failed"}


@dataclass(frozen=True)
class Cosignature:
    """A witness's cosignature, verified by whoever built the story, of a checkpoint that holds the entry."""

    witness: str
    at: datetime
    checkpoint_size: int


@dataclass(frozen=True)
class ConsignmentStory:
    """One consignment as gathered from its exporter and its port (module doc)."""

    consignment_id: str
    exporter: str
    port: str
    #: The submission the exporter sent (``GET /v1/consignments/{id}/submission``), None when it has none.
    submission: Mapping[str, Any] | None
    #: The exporter's view of the consignment (``GET /v1/consignments/{id}``).
    view: Mapping[str, Any]
    #: The port's signed receipt, None before there is one.
    receipt: Mapping[str, Any] | None = None
    #: Verified cosignatures of a checkpoint holding the entry.
    cosignatures: tuple[Cosignature, ...] = ()
    #: Whether the receipt verified (None: not checked by whoever built the story).
    receipt_verified: bool | None = None


@dataclass(frozen=True)
class Facility:
    """A facility whose record the submission carries, with its boundary (GeoJSON, unchecked)."""

    id: str
    name: Any
    #: Every form of the name (the ``names`` term: language value objects), or None.
    names: Any
    region: str | None
    kind: str | None
    boundary: Any


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _types(document: Mapping[str, Any]) -> list[str]:
    kind = document.get("type")
    return [str(t) for t in kind] if isinstance(kind, list) else [str(kind)]


def _party(value: Any) -> str:
    """A party's short id: from ``{"id": did}`` or a DID string."""
    did = value.get("id") if isinstance(value, Mapping) else value
    return short_id_of(str(did)) if did else tr("an unnamed party")


def _clear_credentials(submission: Mapping[str, Any] | None) -> list[tuple[Mapping[str, Any], Any]]:
    """``(credential, sealed kid or None)`` for each credential: a clear one as its payload, a sealed one as sent."""
    out: list[tuple[Mapping[str, Any], Any]] = []
    for document in _list(_mapping(submission).get("credentials")):
        if is_sealed(document):
            try:
                kid = sealed_header(read_sealed(document)).get("kid")
            except VerificationError:
                kid = None
            out.append((_mapping(document), kid or tr("a key its header does not name")))
            continue
        try:
            payload = credential_payload(document) if isinstance(document, Mapping) else {}
        except (VerificationError, ValueError, TypeError, KeyError):
            continue  # not a credential the pictures can read: the trail says why it does not verify
        out.append((payload, None))
    return out


def _ids(items: Any) -> list[str]:
    return [str(_mapping(item).get("id")) for item in _list(items) if _mapping(item).get("id")]


def _quantities(event: Mapping[str, Any]) -> str:
    quantities = _list(event.get("quantityList")) or _list(event.get("outputQuantityList"))
    parts = []
    for item in quantities:
        q = _mapping(item)
        parts.append(f"{q.get('quantity', '?')} {q.get('uom', '')} {q.get('productName', '')}".strip())
    return "; ".join(parts)


def _event_milestones(subject: Any) -> list[Milestone]:
    milestones = []
    for item in _list(subject):
        event = _mapping(item)
        if not event:
            continue
        step = str(event.get("bizStep") or _types(event)[0])
        where = str(event.get("bizLocation") or _mapping(event.get("readPoint")).get("id") or tr("an unstated place"))
        lots = _ids(event.get("epcList"))
        inputs, outputs = _ids(event.get("inputEPCList")), _ids(event.get("outputEPCList"))
        at = time_or_none(event.get("eventTime"))
        if step == "commissioning" and lots:
            title = tr("{lots} at {place}", lots=", ".join(lots), place=where)
            milestones.append(Milestone(at, Stage.farm_lot, title, _quantities(event)))
            continue
        if inputs or outputs:
            detail = tr(
                "{count} lot(s) in: {inputs}; out: {outputs}",
                count=len(inputs),
                inputs=", ".join(inputs),
                outputs=", ".join(outputs),
            )
        else:
            detail = ", ".join(lots) or _quantities(event)
        milestones.append(Milestone(at, Stage.event, tr("{step} at {place}", step=step, place=where), detail))
    return milestones


def _certificate(credential: Mapping[str, Any]) -> Milestone:
    subject = _mapping(credential.get("credentialSubject"))
    issuer = _party(credential.get("issuer"))
    at = time_or_none(credential.get("validFrom")) or time_or_none(_mapping(credential.get("proof")).get("created"))
    types = _types(credential)
    if "VeterinaryAttestation" in types:
        title = tr("veterinary attestation by {issuer}", issuer=issuer)
        detail = tr(
            "establishment {number}, inspected {date}",
            number=subject.get("establishmentNumber", "?"),
            date=subject.get("inspectionDate", "?"),
        )
    else:
        kind = next((t for t in types if t != "VerifiableCredential"), "credential")
        name = subject.get("name")
        title = tr("{name} by {issuer}", name=name if isinstance(name, str) else kind, issuer=issuer)
        assessed = [
            str(_mapping(_mapping(a).get("facility")).get("id"))
            for assessment in _list(subject.get("assessment"))
            for a in _list(_mapping(assessment).get("assessedFacility"))
        ]
        detail = f"{credential.get('id', '')}" + (
            tr("; assessed: {facilities}", facilities=", ".join(assessed)) if assessed else ""
        )
    return Milestone(at, Stage.certificate, title, detail)


def _submission_milestones(story: ConsignmentStory) -> list[Milestone]:
    milestones: list[Milestone] = []
    for credential, sealed_to in _clear_credentials(story.submission):
        if sealed_to is not None:
            milestones.append(
                Milestone(
                    None, Stage.certificate, tr("a credential sealed to the port"), tr("sealed to {key}", key=sealed_to)
                )
            )
            continue
        types = _types(credential)
        if "DigitalTraceabilityEvent" in types:
            milestones.extend(_event_milestones(credential.get("credentialSubject")))
        elif "DigitalFacilityRecord" not in types:
            milestones.append(_certificate(credential))
    manifest = _mapping(_mapping(story.submission).get("manifest"))
    if manifest:
        subject = _mapping(manifest.get("credentialSubject"))
        at = time_or_none(_mapping(manifest.get("proof")).get("created")) or time_or_none(manifest.get("validFrom"))
        detail = tr(
            "{credentials} credential(s) pinned, {lots} lot(s), to {port}, shipment date {date}",
            credentials=len(_list(subject.get("credentials"))),
            lots=len(_list(subject.get("lots"))),
            port=subject.get("destination", story.port),
            date=subject.get("shipmentDate", "?"),
        )
        signed = tr("signed by {party}", party=_party(manifest.get("issuer")))
        milestones.append(Milestone(at, Stage.manifest, signed, detail))
    return milestones


def _delivery_milestones(story: ConsignmentStory) -> list[Milestone]:
    view = story.view
    milestones = [
        Milestone(
            time_or_none(view.get("createdAt")),
            Stage.delivery,
            tr("queued at {exporter} for {port}", exporter=story.exporter, port=story.port),
            tr("submission digest {digest}", digest=view.get("submissionDigest", "?")),
        )
    ]
    for item in _list(view.get("attemptLog")):
        attempt = _mapping(item)
        outcome = str(attempt.get("outcome"))
        status = attempt.get("httpStatus")
        number = attempt.get("number", "?")
        title = (
            tr("attempt {number}: {outcome} (HTTP {status})", number=number, outcome=outcome, status=status)
            if status
            else tr("attempt {number}: {outcome}", number=number, outcome=outcome)
        )
        detail = " ".join(str(x) for x in (attempt.get("code"), attempt.get("detail")) if x)
        milestones.append(
            Milestone(
                time_or_none(attempt.get("startedAt")), Stage.delivery, title, detail, ATTEMPT_OUTCOMES.get(outcome)
            )
        )
    return milestones


def _checkpoint_size(note: Any) -> int | None:
    try:
        return Checkpoint.from_body(parse_signed_note(str(note)).body).size
    except VerificationError:
        return None


def _receipt_milestones(story: ConsignmentStory) -> list[Milestone]:
    receipt = story.receipt
    if receipt is None:
        view = story.view
        code = view.get("failureCode")
        at = time_or_none(view.get("finishedAt")) or time_or_none(view.get("updatedAt"))
        title = tr("no receipt (state {state})", state=view.get("state", "?"))
        failed: Outcome = "failed" if view.get("state") == "failed" else None
        return [Milestone(at, Stage.decision, title, str(code or view.get("failureDetail") or ""), failed)]
    subject = _mapping(receipt.get("credentialSubject"))
    at = time_or_none(subject.get("receivedAt"))
    decision = str(subject.get("decision"))
    codes = list(dict.fromkeys(str(_mapping(r).get("code")) for r in _list(subject.get("reasons"))))
    checked = {True: tr("verified"), False: tr("DOES NOT VERIFY"), None: tr("not checked here")}[story.receipt_verified]
    detail = tr(
        "receipt {id} signed by {party} ({checked})",
        id=receipt.get("id", "?"),
        party=_party(receipt.get("issuer")),
        checked=checked,
    )
    milestones = [
        Milestone(
            at,
            Stage.decision,
            decision + (f": {', '.join(codes)}" if codes else ""),
            detail,
            "failed" if story.receipt_verified is False else DECISION_OUTCOMES.get(decision),
        )
    ]
    log = _mapping(subject.get("log"))
    size = _checkpoint_size(log.get("checkpoint"))
    log_outcome: Outcome = {True: "ok", False: "failed", None: None}[story.receipt_verified]
    milestones.append(
        Milestone(
            at,
            Stage.log,
            tr("entry {index} in {origin}", index=log.get("index", "?"), origin=log.get("origin", "?")),
            tr("included in the receipt's checkpoint of size {size}", size=size if size is not None else "?"),
            log_outcome,
        )
    )
    for cosignature in story.cosignatures:
        milestones.append(
            Milestone(
                cosignature.at,
                Stage.cosigned,
                tr("by {witness}", witness=cosignature.witness),
                tr("checkpoint of size {size}, which holds the entry", size=cosignature.checkpoint_size),
                "ok",
            )
        )
    return milestones


def story_milestones(story: ConsignmentStory) -> list[Milestone]:
    """Every milestone of the story (module doc), unordered: ``timeline_svg`` orders them."""
    return [*_submission_milestones(story), *_delivery_milestones(story), *_receipt_milestones(story)]


def _facility(credential: Mapping[str, Any]) -> Facility | None:
    facility = _mapping(_mapping(credential.get("credentialSubject")).get("facility"))
    boundary = _mapping(facility.get("locationInformation")).get("geoBoundary")
    if not facility.get("id") or boundary is None:
        return None
    region = facility.get("region")
    kind = facility.get("facilityType")
    return Facility(
        str(facility["id"]),
        facility.get("name"),
        facility.get("names"),
        region if isinstance(region, str) else None,
        kind if isinstance(kind, str) else None,
        boundary,
    )


def story_farms(story: ConsignmentStory) -> list[Facility]:
    """The facilities with a boundary in the submission's clear records: the lots' farms first (module doc)."""
    found: dict[str, Facility] = {}
    for credential, sealed_to in _clear_credentials(story.submission):
        if sealed_to is None and "DigitalFacilityRecord" in _types(credential):
            facility = _facility(credential)
            if facility is not None:
                found.setdefault(facility.id, facility)
    lots = _list(_mapping(_mapping(_mapping(story.submission).get("manifest")).get("credentialSubject")).get("lots"))
    origins: Sequence[str] = [str(o) for lot in lots for o in _list(_mapping(lot).get("originFacilities"))]
    first = [found[o] for o in dict.fromkeys(origins) if o in found]
    return first + [f for f in found.values() if f not in first]
