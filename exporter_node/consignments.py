"""Building a consignment: lots -> traceability events -> gathered credentials -> signed manifest -> pre-check -> queue.

For each export lot: one ObjectEvent (CBV ``commissioning``) per origin farm creates a farm lot there,
and one TransformationEvent at the plant named by the lot's establishment number turns the farm lots
into the export lot; a final ObjectEvent (CBV ``shipping``) ships the export lots, naming the
consignment and the certificates in ``bizTransactionList``. The events travel in one
DigitalTraceabilityEvent (UNTP 0.6.1: its subject is the array of events). The submission carries the
facility records of the origin farms and the plants, that event credential, the imported conformity
credentials assessing one of those facilities (with the evidence they pin), and the veterinary
attestations of the establishments, all valid now; the manifest pins each by id and digest
(docs/design.md §6).

Before anything is stored the submission goes through ``schemas.assess.assess_submission`` with the
destination's published policy, the very function the port decides with, and the credentials' status
from the registry, as the port looks it up (``node_core.status_cache``, docs/design.md §12): if the port
would reject it (a revoked or suspended certificate among them: ``CREDENTIAL_REVOKED``,
``CREDENTIAL_SUSPENDED``), the request is refused (422) with the same codes and every reason. A status
the exporter cannot establish now (``STATUS_UNAVAILABLE``) does not refuse: the port checks again, and
holds rather than accepts. Otherwise the consignment and its outbox row are stored in one transaction.

Sealing (docs/design.md §8, ``exporter_node.sealing``): every credential holding a field of a data category
the destination's policy takes only sealed is sent sealed to the port's current ``keyAgreement`` key; the
manifest pins its plaintext digest all the same. The pre-check judges those credentials as the port will
once it has opened them (``sealed_indexes``), and the stored submission, the one sent, holds only their
sealed form; its digest is that of the sealed submission. A destination that seals a category the
consignment holds but has no usable key is a 422 ``SEALING_KEY_UNAVAILABLE``. Once a consignment is
delivered the exporter keeps only the sealed form of those credentials (``exporter_node.storage``): a later
consignment that needs one of them is refused with 422 ``CREDENTIAL_PLAINTEXT_DISCARDED`` until it is
imported again from its issuer (a facility's record: until the facility is registered again).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from exporter_node.errors import ConflictError, InputRefusedError, PlaintextDiscardedError, PrecheckRefusedError
from exporter_node.records import new_urn, reference_of
from exporter_node.sealing import SealedCredential, apply_sealing, sealing_plan
from exporter_node.state import ExporterNode
from exporter_node.storage import DuplicateError
from schemas.assess import Assessment, assess_submission
from schemas.codes import Code
from schemas.digest import canonical_digest
from schemas.errors import PilotSchemaError, Reason
from schemas.jose import credential_payload
from schemas.jsonio import dumps_compact
from schemas.models.base import Role
from schemas.models.manifest import Lot
from schemas.models.validate import validate_model
from schemas.phrase import Phrase
from schemas.records import commissioning_event, shipping_event, transformation_event
from schemas.trust import TrustRegistry

__all__ = [
    "BuiltConsignment",
    "ConsignmentRequest",
    "RawConsignmentRequest",
    "build_consignment",
    "queue_consignment",
    "queue_raw",
]

ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
SHORT_ID_PATTERN = r"^[a-z0-9-]{3,32}$"
MAX_LOTS = 50


class ConsignmentRequest(BaseModel):
    """``POST /v1/consignments``: where to, which lots, and optionally the id and shipping details."""

    model_config = ConfigDict(extra="forbid")

    destination: str = Field(pattern=SHORT_ID_PATTERN, description="the destination port's short id")
    lots: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_LOTS,
        description="export lots as in the manifest: lotId, hsCode, description, netWeight, "
        "establishmentNumber, originFacilities",
    )
    consignmentId: str | None = Field(
        default=None, pattern=ID_PATTERN, description="the submissionId to use; a fresh one when absent"
    )
    shipmentDate: date | None = Field(default=None, description="default: today")
    transportMode: Literal["rail", "road", "sea"] = "rail"


class RawConsignmentRequest(BaseModel):
    """``POST /v1/consignments:raw``: an already-signed submission, queued as-is (tests, demo fault cases)."""

    model_config = ConfigDict(extra="forbid")

    destination: str = Field(pattern=SHORT_ID_PATTERN, description="the port to deliver to")
    submission: dict[str, Any] = Field(description="the submission document, sent byte-for-byte as canonical JSON")


@dataclass(frozen=True)
class BuiltConsignment:
    """A signed submission that passed the local pre-check, as it will be sent (sealed credentials sealed)."""

    consignment_id: str
    destination: str
    submission: dict[str, Any]
    #: The pre-check's verdict, made on the plaintext credentials.
    assessment: Assessment
    #: The digest of ``submission``, the one sent (with sealed credentials in their sealed form).
    digest: str
    #: The credentials ``submission`` carries sealed.
    sealed: tuple[SealedCredential, ...] = ()


def _refuse(path: str, message: str, code: Code = Code.REQUEST_INVALID) -> InputRefusedError:
    return InputRefusedError.single(code, path, message)


def _valid_now(row: Mapping[str, Any], now: datetime) -> bool:
    starts, ends = row.get("valid_from"), row.get("valid_until")
    return (starts is None or starts <= now) and (ends is None or now <= ends)


def _check_destination(trust: TrustRegistry, destination: str) -> None:
    participant = trust.participant(destination)
    if participant is None or participant.role != Role.PORT_AUTHORITY:
        raise _refuse("/destination", f"{destination} is not a port authority in trust list {trust.sequence}")
    if trust.policy(destination) is None:
        raise _refuse("/destination", f"{destination} publishes no policy in trust list {trust.sequence}")


def _validated_lots(lots: list[dict[str, Any]]) -> list[Lot]:
    problems: list[Reason] = []
    models: list[Lot] = []
    for i, lot in enumerate(lots):
        model, found = validate_model(Lot, lot, f"/lots/{i}")
        problems += found
        if model is not None:
            models.append(model)
    if problems:
        raise InputRefusedError(problems)
    return models


def build_consignment(node: ExporterNode, request: ConsignmentRequest) -> BuiltConsignment:
    """Build, sign and pre-check a consignment (nothing is stored)."""
    now = node.now().replace(microsecond=0)
    trust = node.trust.current()
    _check_destination(trust, request.destination)
    lots = _validated_lots(request.lots)
    consignment_id = request.consignmentId or f"{node.node_id}-{uuid.uuid4().hex[:20]}"
    if node.storage.consignment(consignment_id) is not None:
        raise ConflictError(Phrase("consignment {consignment} exists", consignment=consignment_id))

    farm_ids = list(dict.fromkeys(f for lot in lots for f in lot.originFacilities))
    facilities = {row["id"]: row for row in node.storage.facilities(farm_ids)}
    for i, lot in enumerate(lots):
        for j, farm_id in enumerate(lot.originFacilities):
            if farm_id not in facilities:
                raise _refuse(
                    f"/lots/{i}/originFacilities/{j}",
                    f"no facility {farm_id} is registered here; POST its record to /v1/farms first",
                )
    plants: dict[str, dict[str, Any]] = {}
    for i, lot in enumerate(lots):
        found = node.storage.plants_with_number(lot.establishmentNumber)
        if not found:
            raise _refuse(
                f"/lots/{i}/establishmentNumber",
                f"no processing plant with establishment number {lot.establishmentNumber} is registered here",
            )
        plants[lot.establishmentNumber] = found[0]

    events: list[dict[str, Any]] = []
    for lot in lots:
        farm_lots = [f"{lot.lotId}:farm-lot-{k}" for k in range(1, len(lot.originFacilities) + 1)]
        share = round(float(lot.netWeight.value) / len(farm_lots), 3) or float(lot.netWeight.value)
        for farm_id, farm_lot in zip(lot.originFacilities, farm_lots, strict=True):
            events.append(
                commissioning_event(
                    event_id=new_urn(),
                    farm_id=farm_id,
                    farm_lot=farm_lot,
                    hs_code=lot.hsCode,
                    product_name=lot.description,
                    quantity=share,
                    unit=lot.netWeight.unit,
                    at=now - timedelta(hours=2),
                )
            )
        events.append(
            transformation_event(
                event_id=new_urn(),
                plant_id=plants[lot.establishmentNumber]["id"],
                inputs=farm_lots,
                export_lot=lot.lotId,
                hs_code=lot.hsCode,
                product_name=lot.description,
                quantity=lot.netWeight.value,
                unit=lot.netWeight.unit,
                at=now - timedelta(hours=1),
            )
        )

    facility_rows = [facilities[f] for f in farm_ids] + [p for p in plants.values() if p["id"] not in facilities]
    for row in facility_rows:
        _require_plaintext(row, "the record of facility", str(row["id"]), REGISTER_AGAIN)
    gathered = _gathered_credentials(node, facility_rows, list(plants), now)
    payloads = [credential_payload(c) for c in gathered]
    certificates = [str(p["id"]) for p in payloads if "DigitalConformityCredential" in p.get("type", [])]
    destination = trust.participant(request.destination)
    events.append(
        shipping_event(
            event_id=new_urn(),
            consignment_urn=f"urn:pilot:consignment:{consignment_id}",
            exporter_did=node.identity.did,
            destination_did=destination.did if destination is not None else "",
            plant_id=plants[lots[0].establishmentNumber]["id"],
            lots=[lot.model_dump() for lot in lots],
            certificates=certificates,
            at=now,
        )
    )
    credentials: list[dict[str, Any]] = [row["credential"] for row in facility_rows]
    credentials.append(node.issuer.issue("DigitalTraceabilityEvent", events, trust=trust, at=now))
    credentials += gathered

    manifest_subject = {
        "consignmentId": consignment_id,
        "exporter": node.identity.did,
        "destination": request.destination,
        "shipmentDate": (request.shipmentDate or now.date()).isoformat(),
        "transportMode": request.transportMode,
        "lots": list(request.lots),
        "credentials": [reference_of(c) for c in credentials],
    }
    manifest = node.issuer.issue("ConsignmentManifest", manifest_subject, trust=trust, at=now)
    submission = {"submissionId": consignment_id, "manifest": manifest, "credentials": credentials}
    plan = sealing_plan(credentials, trust, request.destination, node.now())
    assessment = assess_submission(
        submission,
        trust,
        port_id=request.destination,
        at=node.now(),
        exporter_id=node.node_id,
        status=node.status,
        sealed_indexes=plan.indexes,
    )
    if assessment.decision == "rejected":
        raise PrecheckRefusedError(request.destination, assessment.reasons)
    sent_credentials, sealed = apply_sealing(credentials, plan)
    sent = {**submission, "credentials": sent_credentials}
    return BuiltConsignment(
        consignment_id, request.destination, sent, assessment, canonical_digest(sent), tuple(sealed)
    )


#: What to do about a credential held only sealed, by where it came from.
IMPORT_AGAIN = "import it again from its issuer (POST /v1/credentials) to send it in another consignment"
REGISTER_AGAIN = "register the facility again (POST /v1/farms) to have a new record issued for it"


def _require_plaintext(row: Mapping[str, Any], kind: str, item_id: str, remedy: str) -> None:
    """PlaintextDiscardedError when ``row`` holds only the sealed form of its credential."""
    if row.get("sealed_to") is not None:
        raise PlaintextDiscardedError(kind, item_id, row.get("sealed_in"), remedy)


def _gathered_credentials(
    node: ExporterNode, facility_rows: list[dict[str, Any]], establishments: list[str], now: datetime
) -> list[dict[str, Any]]:
    """Imported credentials about these facilities or establishments, valid now, with their evidence."""
    facility_ids = [row["id"] for row in facility_rows]
    rows = [
        row
        for row in node.storage.imported_credentials(assessed_facilities=facility_ids, establishments=establishments)
        if _valid_now(row, now)
    ]
    for row in rows:
        _require_plaintext(row, "credential", str(row["id"]), IMPORT_AGAIN)
    included = {row["credential_id"] for row in facility_rows} | {row["id"] for row in rows}
    credentials = [row["credential"] for row in rows]
    for row in rows:
        subject = credential_payload(row["credential"]).get("credentialSubject", {})
        evidence = subject.get("auditableEvidence") if isinstance(subject, Mapping) else None
        for item in [evidence] if isinstance(evidence, Mapping) else []:
            evidence_id = item.get("linkURL")
            if not isinstance(evidence_id, str) or evidence_id in included:
                continue
            found = node.storage.imported_credential(evidence_id)
            if found is not None:
                _require_plaintext(found, "credential", evidence_id, IMPORT_AGAIN)
                included.add(evidence_id)
                credentials.append(found["credential"])
    return credentials


def submission_text(submission: Mapping[str, Any]) -> str:
    """The exact text sent for a submission, every attempt alike."""
    return dumps_compact(dict(submission)).decode("utf-8")


def queue_consignment(node: ExporterNode, built: BuiltConsignment) -> dict[str, Any]:
    """Store the consignment and its outbox row in one transaction."""
    try:
        return node.storage.enqueue(
            consignment_id=built.consignment_id,
            destination=built.destination,
            submission=submission_text(built.submission),
            digest=built.digest,
            raw=False,
            now=node.now(),
            sealed=built.sealed,
        )
    except DuplicateError as exc:
        raise ConflictError(Phrase("consignment {consignment} exists", consignment=built.consignment_id)) from exc


def queue_raw(node: ExporterNode, request: RawConsignmentRequest) -> dict[str, Any]:
    """Queue an already-signed submission without building or pre-checking it.

    The submission is sent as it is, but only to a port: the destination must be a port authority of the
    trust list with a published policy, as for a built consignment (400 ``REQUEST_INVALID`` otherwise),
    so that this route cannot make the exporter post its signed requests to another exporter.
    """
    _check_destination(node.trust.current(), request.destination)
    submission_id = request.submission.get("submissionId")
    if not isinstance(submission_id, str) or re.fullmatch(ID_PATTERN, submission_id) is None:
        raise _refuse("/submission/submissionId", "the submission needs a submissionId of 1-128 [A-Za-z0-9._:-]")
    try:
        digest = canonical_digest(request.submission)
    except (PilotSchemaError, ValueError) as exc:
        raise _refuse("/submission", f"the submission cannot be canonicalized: {exc}", Code.JSON_MALFORMED) from exc
    try:
        return node.storage.enqueue(
            consignment_id=submission_id,
            destination=request.destination,
            submission=submission_text(request.submission),
            digest=digest,
            raw=True,
            now=node.now(),
        )
    except DuplicateError as exc:
        raise ConflictError(Phrase("consignment {consignment} exists", consignment=submission_id)) from exc
