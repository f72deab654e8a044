"""Registering a farm or plant: validate the facility, issue its signed DigitalFacilityRecord, store it.

The request body is a UNTP ``Facility`` (typed ``["Facility", "AgriFacility"]``); the record's subject is
the ``FacilityRecord`` that holds it. Validation is the wire contract's own: the ``Facility`` model (codes,
region within the country)
and the geometry rules (a valid polygon inside the region's authored bounding box), so a record this
node issues is one every port accepts. Bad input is refused with SCHEMA_INVALID or GEOMETRY_INVALID.

A facility registered twice is a 409, unless the exporter holds its record only sealed (it sent the record
sealed to a port and kept only the sealed form, docs/design.md §6): then a new record is issued for it
and replaces the sealed one, so that the facility can travel in another consignment.
"""

from __future__ import annotations

from typing import Any

from exporter_node.api_models import FacilityView
from exporter_node.errors import ConflictError, InputRefusedError
from exporter_node.state import ExporterNode
from exporter_node.storage import DuplicateError
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import Reason
from schemas.jose import credential_payload
from schemas.models.facility import Facility
from schemas.models.geometry import geometry_problems
from schemas.models.validate import validate_model
from schemas.phrase import Phrase
from schemas.records import facility_record_subject

__all__ = ["register_facility"]


def validated_subject(document: Any) -> Facility:
    """The facility, or InputRefusedError with every schema and geometry problem."""
    model, problems = validate_model(Facility, document)
    if model is None:
        raise InputRefusedError(problems)
    geometry = [
        Reason(Code.GEOMETRY_INVALID, "/locationInformation/geoBoundary", message)
        for message in geometry_problems(model.locationInformation.geoBoundary, model.region)
    ]
    if geometry:
        raise InputRefusedError(geometry)
    return model


def register_facility(node: ExporterNode, document: Any) -> FacilityView:
    """Validate, sign and store one facility; 409 when its id is already registered."""
    subject = validated_subject(document)
    existing = node.storage.facilities([subject.id])
    held_sealed = bool(existing) and existing[0]["sealed_to"] is not None
    if existing and not held_sealed:
        raise ConflictError(Phrase("facility {id} is already registered", id=subject.id))
    now = node.now()
    trust = node.trust.current()
    credential = node.issuer.issue("DigitalFacilityRecord", facility_record_subject(document), trust=trust, at=now)
    payload_id = credential_payload(credential)["id"]
    row = {
        "id": subject.id,
        "facility_type": subject.facilityType,
        "establishment_number": subject.establishmentNumber,
        "region": subject.region,
        "credential_id": payload_id,
        "digest": credential_digest(credential),
        "credential": credential,
        "created_at": now,
    }
    if held_sealed:
        if not node.storage.replace_held_sealed_facility(row):
            raise ConflictError(Phrase("facility {id} was registered again concurrently", id=subject.id))
        return FacilityView.from_row(row)
    try:
        node.storage.add_facility(row)
    except DuplicateError as exc:
        raise ConflictError(Phrase("facility {id} is already registered", id=subject.id)) from exc
    return FacilityView.from_row(row)
