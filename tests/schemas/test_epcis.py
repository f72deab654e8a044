"""UNTP DTE -> GS1 EPCIS 2.0: the mapping, and its output against the GS1 EPCIS 2.0 JSON Schema.

The schema and two upstream examples are read from the reference directory at test time (never copied
into the repository). The examples must validate, and a non-CBV business step must not: otherwise the
checker, not the mapping, is what is being tested.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import schemas
from schemas.epcis import (
    CBV_BIZ_STEPS,
    CBV_BIZ_TRANSACTION_TYPES,
    CBV_DISPOSITIONS,
    CBV_SOURCE_DEST_TYPES,
    EPCIS_CONTEXT,
    dte_credentials,
    epcis_document,
    epcis_events,
)
from schemas.errors import VerificationError
from schemas.jose import sign_enveloped
from schemas.keys import key_from_seed
from tests.support.epcis import dte_credential, dte_event, gs1_enum, gs1_validator, read_gs1_schema, schema_errors
from tests.support.files import vector

GS1_EXAMPLES = ("Example_9.6.1-ObjectEvent.jsonld", "Example_9.6.4-TransformationEvent.jsonld")
EXPORTER = "did:web:pilot.example:ru-exp-01"
PORT = "did:web:pilot.example:cn-port-01"
FARM = "urn:pilot:facility:ru-exp-01:farm-01"
PLANT = "urn:pilot:facility:ru-exp-01:plant-01"
FARM_LOT = "urn:pilot:lot:ru-exp-01:c-1:farm-lot-1"
EXPORT_LOT = "urn:pilot:lot:ru-exp-01:c-1:export-lot"
PRODUCT = "urn:pilot:product:020714"


# --- hand-written DTE credentials in the UNTP 0.6.1 shape -------------------------------------------


def _credential(*events: dict[str, Any], proof: bool = True) -> dict[str, Any]:
    credential = dte_credential(
        events,
        "urn:uuid:7f0b8f3e-2f55-4f57-9a51-0c9c7e0e0001",
        EXPORTER,
        "Belgorod Poultry Export",
        validUntil="2027-03-02T08:00:00Z",
    )
    if proof:
        credential["proof"] = {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "verificationMethod": f"{EXPORTER}#key-1",
            "proofPurpose": "assertionMethod",
            "created": "2026-03-02T08:00:00Z",
            "proofValue": "z" + "1" * 86,
        }
    return credential


def _event(n: int, kind: str, event_time: str, biz_step: str, disposition: str, place: str) -> dict[str, Any]:
    return dte_event(kind, f"urn:uuid:00000000-0000-4000-8000-00000000000{n}", event_time, biz_step, disposition, place)


def commissioning() -> dict[str, Any]:
    """A farm lot commissioned at its farm."""
    return _event(1, "ObjectEvent", "2026-03-01T06:00:00Z", "commissioning", "active", FARM) | {
        "processType": "Farm lot collection",
        "action": "add",
        "bizLocation": FARM,
        "epcList": [{"type": ["Item"], "id": FARM_LOT, "name": "Broiler flock, farm lot 1"}],
        "quantityList": [
            {"productId": PRODUCT, "productName": "Frozen chicken cuts", "quantity": 6000.25, "uom": "KGM"}
        ],
        "sourceFacility": FARM,
    }


def killing() -> dict[str, Any]:
    """Farm lots turned into the export lot at the plant."""
    output = {"productId": PRODUCT, "productName": "Frozen chicken cuts", "quantity": 12000.5, "uom": "KGM"}
    return _event(2, "TransformationEvent", "2026-03-01T12:00:00Z", "killing", "active", PLANT) | {
        "processType": "Slaughter and cutting",
        "bizLocation": PLANT,
        "inputEPCList": [{"type": ["Item"], "id": FARM_LOT, "name": "Broiler flock, farm lot 1"}],
        "outputQuantityList": [{"type": ["QuantityElement"], **output}],
        "sourceFacility": PLANT,
    }


def shipping() -> dict[str, Any]:
    """The export lot shipped to the port with its despatch advice and a certificate."""
    return _event(3, "ObjectEvent", "2026-03-02T08:00:00Z", "shipping", "in_transit", PLANT) | {
        "action": "observe",
        "epcList": [{"type": ["Item"], "id": EXPORT_LOT, "name": "Export lot"}],
        "bizTransactionList": [
            {"type": "desadv", "bizTransaction": "urn:pilot:consignment:c-1"},
            {"type": "cert", "bizTransaction": "urn:pilot:certificate:test-1"},
        ],
        "sourceList": [{"type": "owning_party", "source": EXPORTER}, {"type": "location", "source": PLANT}],
        "destinationList": [{"type": "owning_party", "destination": PORT}],
    }


def credentials() -> list[dict[str, Any]]:
    """Three DTE credentials: commissioning, killing (no proof), shipping."""
    return [
        _credential(commissioning()),
        {**_credential(killing(), proof=False), "id": "urn:uuid:7f0b8f3e-2f55-4f57-9a51-0c9c7e0e0002"},
        {**_credential(shipping()), "id": "urn:uuid:7f0b8f3e-2f55-4f57-9a51-0c9c7e0e0003"},
    ]


def document(creds: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return epcis_document(
        credentials() if creds is None else creds,
        document_id="urn:pilot:epcis:c-1",
        created=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        sender=EXPORTER,
        receiver=PORT,
    )


@pytest.fixture(scope="module")
def gs1_schema(reference_dir: Path) -> dict[str, Any]:
    return read_gs1_schema(reference_dir)


@pytest.fixture(scope="module")
def gs1(gs1_schema: dict[str, Any]) -> Any:
    """The GS1 EPCIS 2.0 JSON Schema (draft-07), with format checks on (``uri``, ``date-time``)."""
    return gs1_validator(gs1_schema)


# --- against the GS1 schema --------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("name", GS1_EXAMPLES)
def test_control_the_upstream_examples_validate(reference_dir: Path, gs1: Any, name: str) -> None:
    example = json.loads((reference_dir / "gs1" / name).read_text("utf-8"))
    assert schema_errors(gs1, example) == []


@pytest.mark.reference
def test_control_a_business_step_outside_cbv_fails_the_schema(gs1: Any) -> None:
    mapped = document()
    assert schema_errors(gs1, mapped) == []
    mapped["epcisBody"]["eventList"][1]["bizStep"] = "transforming"
    assert not gs1.is_valid(mapped)
    assert any("eventList/1/bizStep" in m for m in schema_errors(gs1, mapped))


@pytest.mark.reference
@pytest.mark.parametrize(
    ("tuple_", "definition"),
    [
        (CBV_BIZ_STEPS, "bizStep"),
        (CBV_DISPOSITIONS, "disposition"),
        (CBV_BIZ_TRANSACTION_TYPES, "bizTransaction-type"),
        (CBV_SOURCE_DEST_TYPES, "source-dest-type"),
    ],
)
def test_cbv_vocabularies_are_the_gs1_schema_enums(
    gs1_schema: dict[str, Any], tuple_: tuple[str, ...], definition: str
) -> None:
    assert list(tuple_) == gs1_enum(gs1_schema, definition)


@pytest.mark.reference
def test_the_sample_credentials_map_to_a_valid_epcis_document(gs1: Any) -> None:
    mapped = document()
    assert schema_errors(gs1, mapped) == []
    assert [e["type"] for e in mapped["epcisBody"]["eventList"]] == [
        "ObjectEvent",
        "TransformationEvent",
        "ObjectEvent",
    ]


@pytest.mark.reference
@pytest.mark.parametrize("event", [commissioning, killing, shipping])
def test_each_event_validates_alone_as_a_top_level_event(gs1: Any, event: Any) -> None:
    (mapped,) = epcis_events(_credential(event()))
    alone = {"@context": list(EPCIS_CONTEXT), **mapped}
    assert schema_errors(gs1, alone) == []


@pytest.mark.reference
def test_an_enveloped_credential_maps_the_same(gs1: Any) -> None:
    key = key_from_seed(b"\x01" * 32)
    enveloped = [sign_enveloped(_credential(shipping(), proof=False), key, f"{EXPORTER}#key-1")]
    mapped = document(enveloped)
    assert schema_errors(gs1, mapped) == []
    assert mapped["epcisBody"]["eventList"] == document([_credential(shipping())])["epcisBody"]["eventList"]


VALID_VECTORS = sorted(vector("valid").glob("*.json"))


def _vector_dtes(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text("utf-8"))
    return dte_credentials(document.get("credentials", [document]))


@pytest.mark.reference
def test_the_published_valid_vectors_map_to_valid_epcis(gs1: Any) -> None:
    """What the pilot emits (its vectors, built by the exporter's record builders) maps and validates."""
    mapped = 0
    for path in VALID_VECTORS:
        dtes = _vector_dtes(path)
        if not dtes:
            continue
        document = epcis_document(dtes, document_id=f"urn:pilot:epcis:{path.stem}", created="2026-03-02T09:00:00Z")
        assert schema_errors(gs1, document) == [], path.name
        mapped += len(document["epcisBody"]["eventList"])
    assert mapped > 0, "no DigitalTraceabilityEvent among the valid vectors"


# --- the mapping itself (no reference files needed) ------------------------------------------------


def test_object_event_member_by_member() -> None:
    (event,) = epcis_events(_credential(commissioning()))
    assert event == {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "eventTime": "2026-03-01T06:00:00Z",
        "eventTimeZoneOffset": "+03:00",
        "action": "ADD",
        "epcList": [FARM_LOT],
        "quantityList": [{"epcClass": PRODUCT, "quantity": 6000.25, "uom": "KGM"}],
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": FARM},
        "bizLocation": {"id": FARM},
        "pilot:processType": "Farm lot collection",
        "pilot:hsCode": "020714",
        "pilot:sourceFacility": FARM,
    }


def test_transformation_and_shipping_members() -> None:
    (transformation,) = epcis_events(_credential(killing()))
    assert "action" not in transformation
    assert transformation["inputEPCList"] == [FARM_LOT]
    assert transformation["outputQuantityList"] == [{"epcClass": PRODUCT, "quantity": 12000.5, "uom": "KGM"}]
    (shipped,) = epcis_events(_credential(shipping()))
    assert shipped["action"] == "OBSERVE"
    assert shipped["bizTransactionList"] == shipping()["bizTransactionList"]
    assert shipped["sourceList"] == shipping()["sourceList"]
    assert shipped["destinationList"] == shipping()["destinationList"]


def test_document_shape_order_and_deduplication() -> None:
    creds = credentials()
    creds.reverse()
    creds.append(copy.deepcopy(creds[0]))  # the shipping event twice
    mapped = document(creds)
    assert mapped["@context"] == [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"pilot": "https://pilot.example/ns/agri-export/v1#"},
    ]
    assert (mapped["type"], mapped["schemaVersion"], mapped["creationDate"]) == (
        "EPCISDocument",
        "2.0",
        "2026-03-02T09:00:00Z",
    )
    assert (mapped["id"], mapped["sender"], mapped["receiver"]) == ("urn:pilot:epcis:c-1", EXPORTER, PORT)
    ids = [e["eventID"] for e in mapped["epcisBody"]["eventList"]]
    assert ids == [f"urn:uuid:00000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3)]
    assert mapped == document()  # input order does not matter


def test_same_time_orders_by_event_id_and_created_may_be_a_string() -> None:
    second = {**commissioning(), "id": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    mapped = epcis_document(
        [_credential(commissioning(), second)], document_id="urn:pilot:epcis:x", created="2026-03-02T09:00:00.5Z"
    )
    assert [e["eventID"][-1] for e in mapped["epcisBody"]["eventList"]] == ["0", "1"]
    assert mapped["creationDate"] == "2026-03-02T09:00:00.5Z"
    assert "sender" not in mapped and "receiver" not in mapped


def test_a_member_outside_the_mapping_is_refused() -> None:
    event = {**commissioning(), "sensorElementList": [], "certificationInfo": "urn:x"}
    with pytest.raises(VerificationError) as raised:
        epcis_events(_credential(event))
    paths = {p.path for p in raised.value.problems}
    assert paths == {"/credentialSubject/0/sensorElementList", "/credentialSubject/0/certificationInfo"}
    assert all(p.code == "SCHEMA_INVALID" for p in raised.value.problems)


BAD_EVENTS = {
    "bizStep not in CBV": (lambda e: {**e, "bizStep": "transforming"}, "/bizStep"),
    "bizStep as a URI": (lambda e: {**e, "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning"}, "/bizStep"),
    "disposition not in CBV": (lambda e: {**e, "disposition": "fresh"}, "/disposition"),
    "action unknown": (lambda e: {**e, "action": "ADD"}, "/action"),
    "action missing": (lambda e: {k: v for k, v in e.items() if k != "action"}, "/action"),
    "eventTimeZoneOffset missing": (
        lambda e: {k: v for k, v in e.items() if k != "eventTimeZoneOffset"},
        "/eventTimeZoneOffset",
    ),
    "offset out of range": (lambda e: {**e, "eventTimeZoneOffset": "+15:00"}, "/eventTimeZoneOffset"),
    "eventTime not RFC 3339": (lambda e: {**e, "eventTime": "2026-03-01 06:00"}, "/eventTime"),
    "id not a URI": (lambda e: {**e, "id": "event 1"}, "/id"),
    "id missing": (lambda e: {k: v for k, v in e.items() if k != "id"}, "/id"),
    "bizLocation not a URI": (lambda e: {**e, "bizLocation": "farm 1"}, "/bizLocation"),
    "readPoint extra member": (lambda e: {**e, "readPoint": {"id": FARM, "name": "x"}}, "/readPoint/name"),
    "item extra member": (lambda e: {**e, "epcList": [{"id": FARM_LOT, "gtin": "1"}]}, "/epcList/0/gtin"),
    "item twice": (lambda e: {**e, "epcList": [{"id": FARM_LOT}, {"id": FARM_LOT}]}, "/epcList/1/id"),
    "uom not Rec 20": (
        lambda e: {**e, "quantityList": [{"productId": PRODUCT, "quantity": 1, "uom": "kg"}]},
        "/quantityList/0/uom",
    ),
    "quantity not a number": (
        lambda e: {**e, "quantityList": [{"productId": PRODUCT, "quantity": "1", "uom": "KGM"}]},
        "/quantityList/0/quantity",
    ),
    "no what": (lambda e: {k: v for k, v in e.items() if k not in ("epcList", "quantityList")}, ""),
    "event type not mapped": (lambda e: {**e, "type": ["AggregationEvent", "Event"]}, "/type"),
    "source type missing": (lambda e: {**e, "sourceList": [{"source": PLANT}]}, "/sourceList/0/type"),
    "btt not in CBV": (
        lambda e: {**e, "bizTransactionList": [{"type": "invoice", "bizTransaction": "urn:x"}]},
        "/bizTransactionList/0/type",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_events_that_would_not_be_valid_epcis_are_refused(case: str) -> None:
    change, where = BAD_EVENTS[case]
    with pytest.raises(VerificationError) as raised:
        epcis_events(_credential(change(commissioning())))
    assert f"/credentialSubject/0{where}" in {p.path for p in raised.value.problems}


def test_a_transformation_without_action_or_inputs() -> None:
    with pytest.raises(VerificationError) as raised:
        epcis_events(_credential({**killing(), "action": "add"}))
    assert "has no action" in raised.value.problems[0].message
    without_inputs = {k: v for k, v in killing().items() if k != "inputEPCList"}
    with pytest.raises(VerificationError, match="inputEPCList or inputQuantityList"):
        epcis_events(_credential(without_inputs))


def test_credential_level_refusals() -> None:
    with pytest.raises(VerificationError, match="not a DigitalTraceabilityEvent"):
        epcis_events({**_credential(commissioning()), "type": ["VerifiableCredential", "DigitalFacilityRecord"]})
    with pytest.raises(VerificationError, match="non-empty array"):
        epcis_events({**_credential(commissioning()), "credentialSubject": commissioning()})
    with pytest.raises(VerificationError, match="non-empty array"):
        epcis_events(_credential())


def test_document_refusals_carry_the_credential_position() -> None:
    clash = {**shipping(), "id": commissioning()["id"]}
    with pytest.raises(VerificationError) as raised:
        document([_credential(commissioning()), _credential(clash)])
    assert raised.value.problems[0].path == "/1/credentialSubject/0/id"
    with pytest.raises(VerificationError) as raised:
        document([_credential(commissioning()), _credential({**killing(), "bizStep": "transforming"})])
    assert raised.value.problems[0].path == "/1/credentialSubject/0/bizStep"
    with pytest.raises(VerificationError):
        epcis_document([], document_id="not a uri", created="2026-03-02T09:00:00Z")
    with pytest.raises(VerificationError):
        epcis_document([], document_id="urn:x", created="yesterday")
    assert epcis_document([], document_id="urn:x", created="2026-03-02T09:00:00Z")["epcisBody"] == {"eventList": []}


def test_dte_credentials_selects_and_decodes() -> None:
    key = key_from_seed(b"\x02" * 32)
    facility = {"type": ["DigitalFacilityRecord", "VerifiableCredential"], "credentialSubject": {}}
    plain, other = _credential(commissioning()), _credential(killing())
    enveloped = sign_enveloped(other, key, f"{EXPORTER}#key-1")
    assert dte_credentials([facility, plain, enveloped]) == [plain, other]


def test_the_mapping_is_exported() -> None:
    for name in ("epcis_events", "epcis_document", "dte_credentials", "CBV_BIZ_STEPS", "CBV_DISPOSITIONS"):
        assert name in schemas.__all__
        assert getattr(schemas, name) is not None
