"""Builders of the pilot's record subjects in their UNTP 0.6.1 and EPCIS 2.0 shapes.

One spelling of each shape, used by the exporter node, the synthetic data generator and the tests, so
that what an exporter signs and what the published vectors carry cannot drift apart. Each builder
returns a plain dict (a credential subject or part of one) that the record models accept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from schemas.models.conformity import ASSESSMENT_TYPE, ATTESTATION_TYPE
from schemas.models.facility import FACILITY_TYPE
from schemas.models.untp import UNTP_TOPIC_OF, hs_classification
from schemas.time import format_time

__all__ = [
    "ASSESSMENT_TYPE",
    "ATTESTATION_TYPE",
    "DEFAULT_TIME_ZONE_OFFSET",
    "FACILITY_TYPE",
    "commissioning_event",
    "conformity_attestation",
    "facility",
    "facility_record_subject",
    "product_class",
    "secure_link",
    "shipping_event",
    "transformation_event",
]

#: Moscow time: where the pilot's exporters record their events (EPCIS ``eventTimeZoneOffset``).
DEFAULT_TIME_ZONE_OFFSET = "+03:00"

#: The CBV 2.0 business step that turns farm lots into export lots, by HS chapter: slaughter for meat
#: (CBV ``killing``), otherwise producing a quantity of a product class (``creating_class_instance``).
_TRANSFORMATION_STEP = {"02": "killing"}


def product_class(hs_code: str) -> str:
    """The class-level id (EPCIS ``epcClass`` / UNTP ``productId``) of goods of an HS code."""
    return f"urn:pilot:class:{hs_code}"


def _time(at: datetime | str) -> str:
    return at if isinstance(at, str) else format_time(at.replace(microsecond=0))


def _item(lot_id: str, name: str) -> dict[str, str]:
    return {"id": lot_id, "name": name}


def _quantity(hs_code: str, product_name: str, quantity: float, unit: str) -> dict[str, Any]:
    return {"productId": product_class(hs_code), "productName": product_name, "quantity": quantity, "uom": unit}


def _event_head(
    kind: str,
    event_id: str,
    process_type: str,
    at: datetime | str,
    step: str,
    disposition: str,
    location: str,
    action: str | None = None,
) -> dict[str, Any]:
    """The members every event starts with, in order: its type and id, what process, when (Moscow time),
    the action (ObjectEvents only), the CBV step and disposition, and where it was read (``location``)."""
    head: dict[str, Any] = {
        "type": [kind, "Event"],
        "id": event_id,
        "processType": process_type,
        "eventTime": _time(at),
        "eventTimeZoneOffset": DEFAULT_TIME_ZONE_OFFSET,
    }
    if action is not None:
        head["action"] = action
    return {**head, "bizStep": step, "disposition": disposition, "readPoint": {"id": location}, "bizLocation": location}


def facility(
    *,
    facility_id: str,
    name: str,
    facility_type: str,
    country: str,
    region: str,
    establishment_number: str,
    boundary: list[list[list[float]]],
    operator_did: str,
    operator_name: str,
    products: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """A UNTP ``Facility`` extended as ``AgriFacility`` (the body of ``POST /v1/farms``).

    ``products`` are (HS code, product name) pairs; ``boundary`` is a GeoJSON polygon's coordinates.
    """
    return {
        "type": list(FACILITY_TYPE),
        "id": facility_id,
        "name": name,
        "countryOfOperation": country,
        "processCategory": [hs_classification(code, product) for code, product in products],
        "operatedByParty": {"id": operator_did, "name": operator_name},
        "locationInformation": {"geoBoundary": {"type": "Polygon", "coordinates": boundary}},
        "facilityType": facility_type,
        "region": region,
        "establishmentNumber": establishment_number,
    }


def facility_record_subject(facility: Mapping[str, Any], claims: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The subject of a DigitalFacilityRecord: a UNTP ``FacilityRecord`` holding ``facility``."""
    subject: dict[str, Any] = {"type": ["FacilityRecord"], "facility": dict(facility)}
    if claims:
        subject["conformityClaim"] = [dict(claim) for claim in claims]
    return subject


def commissioning_event(
    *,
    event_id: str,
    farm_id: str,
    farm_lot: str,
    hs_code: str,
    product_name: str,
    quantity: float,
    unit: str,
    at: datetime | str,
) -> dict[str, Any]:
    """An ObjectEvent: a farm lot commissioned at its farm (CBV ``commissioning``)."""
    return {
        **_event_head(
            "ObjectEvent", event_id, "Harvest or collection at the farm", at, "commissioning", "active", farm_id, "add"
        ),
        "epcList": [_item(farm_lot, f"{product_name}: farm lot")],
        "quantityList": [_quantity(hs_code, product_name, quantity, unit)],
        "hsCode": hs_code,
        "sourceFacility": farm_id,
    }


def transformation_event(
    *,
    event_id: str,
    plant_id: str,
    inputs: Sequence[str],
    export_lot: str,
    hs_code: str,
    product_name: str,
    quantity: float,
    unit: str,
    at: datetime | str,
) -> dict[str, Any]:
    """A TransformationEvent: farm lots turned into the export lot at the plant."""
    step = _TRANSFORMATION_STEP.get(hs_code[:2], "creating_class_instance")
    process_type = "Slaughter and cutting" if step == "killing" else "Processing"
    return {
        **_event_head("TransformationEvent", event_id, process_type, at, step, "active", plant_id),
        "inputEPCList": [_item(lot, f"{product_name}: farm lot") for lot in inputs],
        "outputEPCList": [_item(export_lot, f"{product_name}: export lot")],
        "outputQuantityList": [_quantity(hs_code, product_name, quantity, unit)],
        "hsCode": hs_code,
        "sourceFacility": plant_id,
    }


def shipping_event(
    *,
    event_id: str,
    consignment_urn: str,
    exporter_did: str,
    destination_did: str,
    plant_id: str,
    lots: Sequence[Mapping[str, Any]],
    certificates: Sequence[str],
    at: datetime | str,
) -> dict[str, Any]:
    """An ObjectEvent: the export lots shipped (CBV ``shipping``, ``in_transit``) with the consignment.

    ``bizTransactionList`` carries the consignment as a despatch advice (``desadv``) and each conformity
    certificate (``cert``); ``sourceList`` / ``destinationList`` name the owning parties and the plant.
    """
    hs_code = str(lots[0]["hsCode"])
    return {
        **_event_head("ObjectEvent", event_id, "Export shipment", at, "shipping", "in_transit", plant_id, "observe"),
        "epcList": [_item(str(lot["lotId"]), str(lot["description"])) for lot in lots],
        "bizTransactionList": [
            {"type": "desadv", "bizTransaction": consignment_urn},
            *({"type": "cert", "bizTransaction": cert} for cert in certificates),
        ],
        "sourceList": [
            {"type": "owning_party", "source": exporter_did},
            {"type": "location", "source": plant_id},
        ],
        "destinationList": [{"type": "owning_party", "destination": destination_did}],
        "hsCode": hs_code,
    }


def secure_link(credential_id: str, record_type: str, digest: str, name: str) -> dict[str, Any]:
    """A UNTP ``SecureLink`` pinning a credential by its pilot digest (``sha-256:<hex>``)."""
    return {
        "linkURL": credential_id,
        "linkName": name,
        "linkType": record_type,
        "hashDigest": digest.removeprefix("sha-256:"),
        "hashMethod": "SHA-256",
    }


def conformity_attestation(
    *,
    attestation_id: str,
    topic: str,
    certifier_did: str,
    certifier_name: str,
    exporter_did: str,
    exporter_name: str,
    facility_id: str,
    facility_name: str,
    assessment_date: str,
    evidence: Mapping[str, Any],
    conformance: bool = True,
) -> dict[str, Any]:
    """The subject of a DigitalConformityCredential: one assessment of one facility on ``topic``.

    ``evidence`` is the SecureLink (see :func:`secure_link`) to the assessed facility's record.
    """
    title = topic.replace("_", " ").capitalize()
    return {
        "type": list(ATTESTATION_TYPE),
        "id": attestation_id,
        "name": f"{title} certificate",
        "assessorLevel": "3rdParty",
        "assessmentLevel": "Accredited",
        "attestationType": "certification",
        "issuedToParty": {"id": exporter_did, "name": exporter_name},
        "scope": {
            "type": ["ConformityScheme"],
            "id": f"urn:pilot:scheme:{topic}:v1",
            "name": f"{title} scheme",
            "description": f"The pilot's {title.lower()} scheme for agri-food exporters",
            "version": "1.0",
            "validFrom": "2025-01-01",
            "owner": {"id": certifier_did, "name": certifier_name},
        },
        "assessment": [
            {
                "type": list(ASSESSMENT_TYPE),
                "id": f"{attestation_id}:1",
                "assessmentDate": assessment_date,
                "conformance": conformance,
                "conformityTopic": UNTP_TOPIC_OF[topic],
                "agriTopic": topic,
                "assessedFacility": [
                    {
                        "facility": {"id": facility_id, "name": facility_name},
                        "IDverifiedByCAB": True,
                    }
                ],
            }
        ],
        "auditableEvidence": dict(evidence),
    }
