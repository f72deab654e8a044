"""Operator routes for farms and imported credentials: validation codes, verification on import, auth."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.records import conformity_attestation, facility_record_subject, secure_link
from schemas.verify import check_credential

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_a_farm_becomes_a_signed_facility_record_the_port_accepts(exporter: Any, world: Any, trust: Any) -> None:
    response = await exporter.client.post("/v1/farms", json=world.farms[0])
    assert response.status_code == 201, response.text
    body = response.json()
    report = check_credential(body["credential"], trust, datetime.now(UTC))
    assert report.verified, report.problems
    assert report.record_type == "DigitalFacilityRecord"
    assert report.key is not None and report.key.participant_id == "ru-exp-01"
    assert report.digest == body["digest"]
    assert body["credential"]["credentialSubject"] == {"type": ["FacilityRecord"], "facility": world.farms[0]}
    listed = (await exporter.client.get("/v1/farms")).json()
    assert [f["id"] for f in listed] == [world.farms[0]["id"]]


def _with_ring(farm: dict[str, Any], ring: list[list[float]]) -> dict[str, Any]:
    return {**farm, "locationInformation": {"geoBoundary": {"type": "Polygon", "coordinates": [ring]}}}


def _moved(farm: dict[str, Any], d_lon: float) -> dict[str, Any]:
    ring = [[lon + d_lon, lat] for lon, lat in farm["locationInformation"]["geoBoundary"]["coordinates"][0]]
    return _with_ring(farm, ring)


def _bowtie(farm: dict[str, Any]) -> dict[str, Any]:
    (lon, lat) = farm["locationInformation"]["geoBoundary"]["coordinates"][0][0]
    return _with_ring(farm, [[lon, lat], [lon + 0.01, lat + 0.01], [lon + 0.01, lat], [lon, lat + 0.01], [lon, lat]])


FARM_CASES = {
    "region-of-another-country": (lambda f: {**f, "region": "KZ-AKM"}, "SCHEMA_INVALID"),
    "unknown-region-code": (lambda f: {**f, "region": "RU-XXX"}, "SCHEMA_INVALID"),
    "missing-geometry": (lambda f: {k: v for k, v in f.items() if k != "locationInformation"}, "SCHEMA_INVALID"),
    "unknown-member": (lambda f: {**f, "owner": "someone"}, "SCHEMA_INVALID"),
    "polygon-outside-its-region": (lambda f: _moved(f, 40.0), "GEOMETRY_INVALID"),
    "self-intersecting-polygon": (_bowtie, "GEOMETRY_INVALID"),
}


@pytest.mark.parametrize("case", sorted(FARM_CASES))
async def test_bad_farms_are_refused_with_their_code(exporter: Any, world: Any, case: str) -> None:
    mutate, code = FARM_CASES[case]
    response = await exporter.client.post("/v1/farms", json=mutate(copy.deepcopy(world.farms[0])))
    assert response.status_code == 400, response.text
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == code
    assert body["problems"] and all(p["code"] for p in body["problems"])
    assert (await exporter.client.get("/v1/farms")).json() == []


async def test_a_farm_registered_twice_is_a_conflict(exporter: Any, world: Any) -> None:
    assert (await exporter.client.post("/v1/farms", json=world.farms[0])).status_code == 201
    response = await exporter.client.post("/v1/farms", json=world.farms[0])
    assert response.status_code == 409
    assert response.json()["code"] == "DUPLICATE_CONFLICT"


@pytest.mark.parametrize(
    "body", [b'{"id": NaN}', b'{"id": "a", "id": "b"}', b"[" * 100 + b"]" * 100, b"\xff\xfe"], ids=str
)
async def test_malformed_json_is_refused(exporter: Any, body: bytes) -> None:
    response = await exporter.client.post("/v1/farms", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "JSON_MALFORMED"


@pytest.mark.parametrize("path", ["/v1/farms", "/v1/credentials", "/v1/consignments", "/v1/outbox"])
async def test_operator_routes_need_the_token(exporter: Any, path: str) -> None:
    response = await exporter.client.get(path, headers={"authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def _certificate(world: Any, *, conformance: bool = True) -> dict[str, Any]:
    farm = world.farms[0]
    return conformity_attestation(
        attestation_id="urn:pilot:certificate:import-1",
        topic="antibiotic_use",
        certifier_did="did:web:pilot.example:cert-01",
        certifier_name="cert-01",
        exporter_did="did:web:pilot.example:ru-exp-01",
        exporter_name="ru-exp-01",
        facility_id=farm["id"],
        facility_name=farm["name"],
        assessment_date="2026-01-02",
        evidence=secure_link(
            "urn:pilot:facility-record:import-1", "DigitalFacilityRecord", "sha-256:" + "0" * 64, "farm record"
        ),
        conformance=conformance,
    )


def _tampered(credential: dict[str, Any]) -> dict[str, Any]:
    credential["credentialSubject"]["assessment"][0]["conformance"] = False
    return credential


IMPORT_CASES = {
    "bad-signature": (
        lambda sign, w: _tampered(sign("cert-01", "DigitalConformityCredential", _certificate(w))),
        "PROOF_INVALID",
    ),
    "issuer-not-authorised": (
        lambda sign, w: sign("ru-exp-02", "DigitalConformityCredential", _certificate(w)),
        "ISSUER_ROLE_NOT_AUTHORIZED",
    ),
    "expired": (
        lambda sign, w: sign(
            "cert-01", "DigitalConformityCredential", _certificate(w), valid_until=datetime(2026, 2, 1, tzinfo=UTC)
        ),
        "CREDENTIAL_EXPIRED",
    ),
    "not-yet-valid": (
        lambda sign, w: sign(
            "cert-01",
            "DigitalConformityCredential",
            _certificate(w),
            valid_from=datetime(2099, 1, 1, tzinfo=UTC),
            valid_until=datetime(2100, 1, 1, tzinfo=UTC),
        ),
        "CREDENTIAL_NOT_YET_VALID",
    ),
    "issuer-claimed-falsely": (
        lambda sign, w: sign("cert-02", "DigitalConformityCredential", _certificate(w), issuer_as="cert-01"),
        "PROOF_INVALID",
    ),
    "not-an-importable-type": (
        lambda sign, w: sign("ru-exp-01", "DigitalFacilityRecord", facility_record_subject(w.farms[0])),
        "SCHEMA_INVALID",
    ),
}


@pytest.mark.parametrize("case", sorted(IMPORT_CASES))
async def test_bad_credentials_are_refused_on_import_with_their_code(
    exporter: Any, world: Any, sign: Any, case: str
) -> None:
    build, code = IMPORT_CASES[case]
    response = await exporter.client.post("/v1/credentials", json=build(sign, world))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert (await exporter.client.get("/v1/credentials")).json() == []


async def test_import_is_idempotent_and_another_credential_under_a_known_id_conflicts(
    exporter: Any, world: Any, sign: Any
) -> None:
    credential = sign("cert-01", "DigitalConformityCredential", _certificate(world), credential_id="urn:pilot:c:1")
    first = await exporter.client.post("/v1/credentials", json=credential)
    assert first.status_code == 201, first.text
    assert first.json()["issuer"] == "cert-01"
    assert first.json()["assessedFacility"] == world.farms[0]["id"]
    again = await exporter.client.post("/v1/credentials", json=credential)
    assert again.status_code == 200
    other = sign(
        "cert-01",
        "DigitalConformityCredential",
        _certificate(world, conformance=False),
        credential_id="urn:pilot:c:1",
    )
    conflict = await exporter.client.post("/v1/credentials", json=other)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "DUPLICATE_CONFLICT"


async def test_an_enveloped_credential_is_imported(exporter: Any, world: Any, sandbox: Any) -> None:
    from pilot.synthetic import Signer

    credential = Signer(sandbox.keyrings, securing="jose").issue(
        "cert-01", "DigitalConformityCredential", _certificate(world), credential_id="urn:pilot:c:jose"
    )
    assert credential["type"] == "EnvelopedVerifiableCredential"
    response = await exporter.client.post("/v1/credentials", json=credential)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == "urn:pilot:c:jose"
