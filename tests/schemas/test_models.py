"""The record models: valid examples round-trip, and each kind of bad input becomes a precise Reason."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from schemas.codes import Code
from schemas.models import (
    AUTHORIZED_ROLES,
    CREDENTIAL_TYPES,
    DataCategory,
    DigitalFacilityRecord,
    LogEntry,
    Role,
    Submission,
    TrustAnchor,
    TrustList,
    credential_type_of,
    field_categories,
    validate_credential_payload,
    validate_model,
)
from tests.support import examples as ex

Doc = dict[str, Any]

OTHER_MODELS: dict[str, type[BaseModel]] = {
    "Submission": Submission,
    "LogEntry": LogEntry,
    "TrustList": TrustList,
    "TrustAnchor": TrustAnchor,
}


def _wire(doc: Doc) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(ex.EXAMPLES))
def test_valid_example_round_trips_to_identical_wire_json(name: str) -> None:
    doc = ex.EXAMPLES[name]()
    model_cls: type[BaseModel] = CREDENTIAL_TYPES.get(name) or OTHER_MODELS[name]
    model, problems = validate_model(model_cls, doc)
    assert problems == []
    assert model is not None
    assert _wire(model.model_dump(by_alias=True, exclude_none=True, mode="json")) == _wire(doc)


def test_examples_are_fresh_copies() -> None:
    first = ex.facility_record()
    first["credentialSubject"]["facility"]["name"] = "changed"
    assert ex.facility_record()["credentialSubject"]["facility"]["name"] != "changed"


def _set(doc: Doc, pointer: str, value: Any) -> None:
    *parents, last = pointer.strip("/").split("/")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _delete(doc: Doc, pointer: str) -> None:
    *parents, last = pointer.strip("/").split("/")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[last]


DELETE = object()


@dataclass(frozen=True)
class Bad:
    """A valid example with some members changed, and where the Reason must point."""

    name: str
    build: Callable[[], Doc]
    changes: dict[str, Any]
    path: str
    fragment: str


BAD_CREDENTIALS = [
    Bad("unknown country", ex.facility_record, {"/credentialSubject/facility/countryOfOperation": "XX"},
        "/credentialSubject/facility/countryOfOperation", "ISO 3166-1"),
    Bad("lowercase country", ex.facility_record, {"/credentialSubject/facility/countryOfOperation": "ru"},
        "/credentialSubject/facility/countryOfOperation", "pattern"),
    Bad("unknown subdivision", ex.facility_record, {"/credentialSubject/facility/region": "RU-XYZ"},
        "/credentialSubject/facility/region", "ISO 3166-2"),
    Bad("subdivision of another country", ex.facility_record, {"/credentialSubject/facility/region": "CN-SH"},
        "/credentialSubject/facility/region", "not a subdivision of countryOfOperation"),
    Bad("HS code with 5 digits", ex.facility_record, {"/credentialSubject/facility/processCategory/0/code": "02071"},
        "/credentialSubject/facility/processCategory/0/code", "[0-9]{6}"),
    Bad("HS chapter 85", ex.facility_record, {"/credentialSubject/facility/processCategory/0/code": "850440"},
        "/credentialSubject/facility/processCategory/0/code", "chapter 01-24"),
    Bad("HS heading that does not exist", ex.traceability_event, {"/credentialSubject/0/hsCode": "029910"},
        "/credentialSubject/0/hsCode", "headings 0201-0210"),
    Bad("unknown Rec 20 unit", ex.traceability_event, {"/credentialSubject/0/outputQuantityList/0/uom": "KGS"},
        "/credentialSubject/0/outputQuantityList/0/uom", "'KGM'"),
    Bad("naive datetime", ex.facility_record, {"/validFrom": "2025-01-15T00:00:00"},
        "/validFrom", "time zone"),
    Bad("unix timestamp for a datetime", ex.facility_record, {"/validFrom": 1736899200},
        "/validFrom", "found an integer"),
    Bad("impossible date", ex.consignment_manifest, {"/credentialSubject/shipmentDate": "2025-02-30"},
        "/credentialSubject/shipmentDate", "real calendar date"),
    Bad("validUntil before validFrom", ex.facility_record, {"/validUntil": "2024-01-01T00:00:00Z"},
        "/validUntil", "later than validFrom"),
    Bad("null for an optional member", ex.facility_record, {"/validUntil": None},
        "/validUntil", "found null"),
    Bad("extra member in the subject", ex.facility_record, {"/credentialSubject/facility/colour": "red"},
        "/credentialSubject/facility/colour", "unexpected member 'colour'"),
    Bad("extra member in the envelope", ex.veterinary_attestation, {"/refreshService": {}},
        "/refreshService", "unexpected member"),
    Bad("status entry with a signed index", ex.conformity_credential, {"/credentialStatus/0/statusListIndex": "-5"},
        "/credentialStatus/0/statusListIndex", "pattern"),
    Bad("two status entries of one purpose", ex.conformity_credential,
        {"/credentialStatus/1/statusPurpose": "revocation"}, "/credentialStatus", "one status entry per statusPurpose"),
    Bad("missing required member", ex.facility_record, {"/credentialSubject/facility/name": DELETE},
        "/credentialSubject/facility/name", "required member 'name' is missing"),
    Bad("transformation without inputs", ex.traceability_event, {"/credentialSubject/0/inputEPCList": DELETE},
        "/credentialSubject/0/inputEPCList", "needs inputs"),
    Bad("transformation without outputs", ex.traceability_event,
        {"/credentialSubject/0/outputEPCList": DELETE, "/credentialSubject/0/outputQuantityList": DELETE},
        "/credentialSubject/0/outputEPCList", "needs outputs"),
    Bad("transformation with an action", ex.traceability_event, {"/credentialSubject/0/action": "add"},
        "/credentialSubject/0/action", "no action"),
    Bad("object event without action", ex.traceability_event,
        {"/credentialSubject/0/type": ["ObjectEvent", "Event"],
         "/credentialSubject/0/epcList": [{"id": "urn:x:1", "name": "lot"}],
         "/credentialSubject/0/inputEPCList": DELETE, "/credentialSubject/0/outputEPCList": DELETE,
         "/credentialSubject/0/outputQuantityList": DELETE},
        "/credentialSubject/0/action", "needs an action"),
    Bad("object event without epcList or quantityList", ex.traceability_event,
        {"/credentialSubject/0/type": ["ObjectEvent", "Event"], "/credentialSubject/0/action": "observe",
         "/credentialSubject/0/inputEPCList": DELETE, "/credentialSubject/0/outputEPCList": DELETE,
         "/credentialSubject/0/outputQuantityList": DELETE},
        "/credentialSubject/0/epcList", "non-empty epcList or quantityList"),
    Bad("unknown bizStep", ex.traceability_event, {"/credentialSubject/0/bizStep": "teleporting"},
        "/credentialSubject/0/bizStep", "found a string of 11 characters"),
    Bad("wrong record type list", ex.facility_record,
        {"/type": ["VerifiableCredential", "DigitalFacilityRecord", "Extra"]}, "/type", "expected type"),
    Bad("first @context not VC 2.0", ex.facility_record,
        {"/@context": ["https://www.w3.org/2018/credentials/v1"]}, "/@context/0", "first @context"),
    Bad("issuer not a did:web", ex.conformity_credential, {"/issuer/id": "did:key:z6Mkabc"},
        "/issuer/id", "pattern"),
    Bad("uppercase digest", ex.conformity_credential,
        {"/credentialSubject/auditableEvidence/hashDigest": "A" * 64},
        "/credentialSubject/auditableEvidence/hashDigest", "pattern"),
    Bad("empty measurement unit", ex.conformity_credential,
        {"/credentialSubject/assessment/0/declaredValue/0/metricValue/unit": ""},
        "/credentialSubject/assessment/0/declaredValue/0/metricValue/unit", "found an empty string"),
    Bad("UNTP topic that does not match the pilot topic", ex.conformity_credential,
        {"/credentialSubject/assessment/0/conformityTopic": "environment.water"},
        "/credentialSubject/assessment/0/conformityTopic", "reported under UNTP conformityTopic"),
    Bad("UNTP conformityTopic outside UNTP's list", ex.conformity_credential,
        {"/credentialSubject/assessment/0/conformityTopic": "animal.welfare"},
        "/credentialSubject/assessment/0/conformityTopic", "found a string of 14 characters"),
    Bad("conformance not a boolean", ex.conformity_credential,
        {"/credentialSubject/assessment/0/conformance": "pass"},
        "/credentialSubject/assessment/0/conformance", "valid boolean"),
    Bad("UNTP type order reversed", ex.facility_record,
        {"/type": ["VerifiableCredential", "DigitalFacilityRecord"]}, "/type", "expected type"),
    Bad("UNTP context of another version", ex.facility_record,
        {"/@context/1": "https://test.uncefact.org/vocabulary/untp/dfr/0.5.0/"}, "/@context/1", "UNTP 0.6.1"),
    Bad("pilot context missing", ex.traceability_event,
        {"/@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dte/0.6.1/"]},
        "/@context/2", "missing"),
    Bad("issuer without CredentialIssuer type", ex.facility_record, {"/issuer/type": DELETE},
        "/issuer/type", "required member 'type' is missing"),
    Bad("facility without the AgriFacility type", ex.facility_record,
        {"/credentialSubject/facility/type": ["Facility"]}, "/credentialSubject/facility/type", "at least 2"),
    Bad("event time zone offset missing", ex.traceability_event,
        {"/credentialSubject/0/eventTimeZoneOffset": DELETE}, "/credentialSubject/0/eventTimeZoneOffset",
        "required member"),
    Bad("SecureLink hash method SHA-1", ex.conformity_credential,
        {"/credentialSubject/auditableEvidence/hashMethod": "SHA-1"},
        "/credentialSubject/auditableEvidence/hashMethod", "SHA-256"),
    Bad("string for a number", ex.consignment_manifest,
        {"/credentialSubject/lots/0/netWeight/value": "20000"},
        "/credentialSubject/lots/0/netWeight/value", "valid number"),
    Bad("zero weight", ex.consignment_manifest, {"/credentialSubject/lots/0/netWeight/value": 0},
        "/credentialSubject/lots/0/netWeight/value", "greater than 0"),
    Bad("boolean for an integer", ex.facility_record, {"/credentialSubject/facility/herdSize": True},
        "/credentialSubject/facility/herdSize", "valid integer"),
    Bad("negative herd size", ex.facility_record, {"/credentialSubject/facility/herdSize": -1},
        "/credentialSubject/facility/herdSize", "greater than or equal to 0"),
    Bad("production period reversed", ex.facility_record,
        {"/credentialSubject/facility/productionPeriod/start": "2026-01-01"},
        "/credentialSubject/facility/productionPeriod/end", "must not be before start"),
    Bad("manifest without lots", ex.consignment_manifest, {"/credentialSubject/lots": []},
        "/credentialSubject/lots", "at least 1"),
    Bad("manifest referencing a receipt", ex.consignment_manifest,
        {"/credentialSubject/credentials/0/type": "SubmissionReceipt"},
        "/credentialSubject/credentials/0/type", "found a string of 17 characters"),
    Bad("leaf hash of 31 bytes", ex.submission_receipt,
        {"/credentialSubject/log/leafHash": "A" * 40 + "AA=="}, "/credentialSubject/log/leafHash", "pattern"),
    Bad("leaf hash in base64url", ex.submission_receipt,
        {"/credentialSubject/log/leafHash": "_" * 43 + "="}, "/credentialSubject/log/leafHash", "pattern"),
    Bad("negative log index", ex.submission_receipt, {"/credentialSubject/log/index": -1},
        "/credentialSubject/log/index", "greater than or equal to 0"),
    Bad("unknown decision", ex.submission_receipt, {"/credentialSubject/decision": "maybe"},
        "/credentialSubject/decision", "found a string of 5 characters"),
    Bad("geometry of another type", ex.facility_record,
        {"/credentialSubject/facility/locationInformation/geoBoundary": {"type": "Point", "coordinates": [36.6, 50.7]}},
        "/credentialSubject/facility/locationInformation/geoBoundary/type", "'Polygon'"),
    Bad("position with one number", ex.facility_record,
        {"/credentialSubject/facility/locationInformation/geoBoundary/coordinates/0/1": [36.6]},
        "/credentialSubject/facility/locationInformation/geoBoundary/coordinates/0/1", "at least 2"),
]  # fmt: skip


def _apply(bad: Bad) -> Doc:
    doc = bad.build()
    for pointer, value in bad.changes.items():
        if value is DELETE:
            _delete(doc, pointer)
        else:
            _set(doc, pointer, copy.deepcopy(value))
    return doc


@pytest.mark.parametrize("bad", BAD_CREDENTIALS, ids=lambda bad: bad.name)
def test_bad_credential_gives_schema_problem_at_precise_path(bad: Bad) -> None:
    model, problems = validate_credential_payload(_apply(bad))
    assert model is None
    assert problems, "expected at least one problem"
    assert {p.code for p in problems} == {Code.SCHEMA_INVALID}
    matching = [p for p in problems if p.path == bad.path]
    assert matching, f"no problem at {bad.path}: {problems}"
    assert any(bad.fragment in p.message for p in matching), matching


def test_base_path_prefixes_every_pointer() -> None:
    doc = ex.traceability_event()
    doc["credentialSubject"][0]["hsCode"] = "850440"
    _, problems = validate_credential_payload(doc, "/credentials/2")
    assert [p.path for p in problems] == ["/credentials/2/credentialSubject/0/hsCode"]


def test_unknown_record_type_points_at_type() -> None:
    doc = ex.facility_record()
    doc["type"] = ["VerifiableCredential", "FarmRecord"]
    model, problems = validate_credential_payload(doc, "/manifest")
    assert model is None
    assert [(p.code, p.path) for p in problems] == [(Code.SCHEMA_INVALID, "/manifest/type")]
    # The message says what kind of value was found, never the value (reasons are signed into receipts).
    assert "FarmRecord" not in problems[0].message
    assert "found an array of 2 items" in problems[0].message


@pytest.mark.parametrize("doc", [[], "text", 3, None, {"type": 5}, {"type": ["VerifiableCredential"]}])
def test_garbage_never_raises(doc: Any) -> None:
    model, problems = validate_credential_payload(doc)
    assert model is None
    assert problems and all(p.code == Code.SCHEMA_INVALID for p in problems)


def test_datetime_with_offset_is_written_in_utc() -> None:
    doc = ex.facility_record()
    doc["validFrom"] = "2025-01-15T03:00:00.250+03:00"
    model, problems = validate_credential_payload(doc)
    assert problems == [] and model is not None
    assert model.model_dump(by_alias=True, mode="json")["validFrom"] == "2025-01-15T00:00:00.25Z"


def test_field_categories_find_personal_and_location_fields() -> None:
    model, _ = validate_credential_payload(ex.facility_record())
    assert isinstance(model, DigitalFacilityRecord)
    categories = dict(field_categories(model))
    facility = "/credentialSubject/facility"
    assert categories[f"{facility}/operatorContact"] == DataCategory.PERSONAL
    assert categories[f"{facility}/operatorContact/phone"] == DataCategory.PERSONAL
    assert categories[f"{facility}/locationInformation"] == DataCategory.PRECISE_LOCATION
    assert categories[f"{facility}/locationInformation/geoBoundary/coordinates"] == DataCategory.PRECISE_LOCATION
    assert categories[f"{facility}/herdSize"] == DataCategory.COMMERCIAL
    assert categories["/@context"] == DataCategory.PUBLIC
    assert categories["/credentialSubject"] == DataCategory.PUBLIC


def test_field_categories_skip_absent_fields_and_enter_lists() -> None:
    doc = ex.facility_record()
    del doc["credentialSubject"]["facility"]["operatorContact"]
    model, _ = validate_credential_payload(doc)
    assert model is not None
    assert not any("operatorContact" in pointer for pointer, _ in field_categories(model))
    manifest, _ = validate_credential_payload(ex.consignment_manifest())
    assert manifest is not None
    categories = dict(field_categories(manifest))
    assert categories["/credentialSubject/lots/0/netWeight"] == DataCategory.COMMERCIAL
    assert categories["/credentialSubject/lots/0/netWeight/value"] == DataCategory.COMMERCIAL
    assert categories["/credentialSubject/lots/0/hsCode"] == DataCategory.PUBLIC


def test_veterinary_categories() -> None:
    model, _ = validate_credential_payload(ex.veterinary_attestation())
    assert model is not None
    categories = dict(field_categories(model))
    assert categories["/credentialSubject/healthStatus/diseaseFree"] == DataCategory.ANIMAL_HEALTH
    assert categories["/credentialSubject/laboratoryResults/0/result"] == DataCategory.LABORATORY
    assert categories["/credentialSubject/veterinarian/name"] == DataCategory.PERSONAL


def test_registry() -> None:
    assert set(CREDENTIAL_TYPES) == set(AUTHORIZED_ROLES) == set(ex.CREDENTIAL_EXAMPLES)
    assert len(CREDENTIAL_TYPES) == 7
    assert AUTHORIZED_ROLES["VeterinaryAttestation"] == {Role.COMPETENT_AUTHORITY}
    assert AUTHORIZED_ROLES["DigitalConformityCredential"] == {Role.CERTIFIER}
    assert AUTHORIZED_ROLES["SubmissionReceipt"] == {Role.PORT_AUTHORITY}
    assert credential_type_of(ex.submission_receipt()) == "SubmissionReceipt"
    assert credential_type_of({"type": "ConsignmentManifest"}) == "ConsignmentManifest"
    assert credential_type_of({"type": ["VerifiableCredential"]}) is None
    assert credential_type_of({}) is None
