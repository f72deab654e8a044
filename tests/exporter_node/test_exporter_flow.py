"""The exporter's happy path in-process: farms, imported credentials, a consignment, delivery, receipt."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def lot_for(world: Any, n: int = 0) -> dict[str, Any]:
    item = world.exporter
    return {
        "lotId": f"urn:pilot:lot:{item.short_id}:test-{n}:export-lot",
        "hsCode": item.hs_code,
        "description": item.product,
        "netWeight": {"value": 12000.5, "unit": item.unit},
        "establishmentNumber": world.plant["establishmentNumber"],
        "originFacilities": [world.farms[0]["id"], world.farms[1]["id"]],
    }


async def register_world(client: Any, world: Any) -> dict[str, dict[str, Any]]:
    records = {}
    for facility in (world.farms[0], world.farms[1], world.plant):
        response = await client.post("/v1/farms", json=facility)
        assert response.status_code == 201, response.text
        records[facility["id"]] = response.json()
    return records


def certificate(world: Any, facility_record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "urn:pilot:certificate:test-1",
        "topic": "antibiotic_use",
        "scheme": {"id": "urn:pilot:scheme:antibiotic_use:v1", "name": "Antibiotic Use Scheme"},
        "assessor": {"id": "did:web:pilot.example:cert-01", "name": "cert-01"},
        "assessedFacility": world.farms[0]["id"],
        "assessmentDate": "2026-01-02",
        "result": "pass",
        "evidence": [
            {"id": facility_record["credentialId"], "digest": facility_record["digest"], "description": "farm record"}
        ],
    }


def attestation(world: Any) -> dict[str, Any]:
    return {
        "id": "urn:pilot:attestation:test-1",
        "establishmentNumber": world.plant["establishmentNumber"],
        "species": "Gallus gallus domesticus",
        "hsCode": world.exporter.hs_code,
        "inspectionDate": "2026-01-05",
        "healthStatus": {"diseaseFree": ["avian influenza"], "vaccinations": []},
        "recommendedForRegister": True,
    }


async def prepare(exporter: Any, world: Any, sign: Any) -> dict[str, dict[str, Any]]:
    records = await register_world(exporter.client, world)
    cert = sign("cert-01", "DigitalConformityCredential", certificate(world, records[world.farms[0]["id"]]))
    vet = sign("ru-vet", "VeterinaryAttestation", attestation(world))
    for credential in (cert, vet):
        response = await exporter.client.post("/v1/credentials", json=credential)
        assert response.status_code == 201, response.text
    return records


async def test_consignment_is_built_delivered_and_its_receipt_verified(exporter: Any, world: Any, sign: Any, port: Any) -> None:
    await prepare(exporter, world, sign)
    response = await exporter.client.post(
        "/v1/consignments", json={"destination": "cn-port-01", "lots": [lot_for(world)], "consignmentId": "c-1"}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["state"] == "pending" and body["id"] == "c-1"
    outbox = (await exporter.client.get("/v1/outbox")).json()
    assert [o["consignmentId"] for o in outbox] == ["c-1"]

    await exporter.worker.run_until_idle(10)

    view = (await exporter.client.get("/v1/consignments/c-1")).json()
    assert view["state"] == "delivered", view
    assert view["decision"] == "accepted"
    assert view["receipt"]["credentialSubject"]["submissionId"] == "c-1"
    assert [a["outcome"] for a in view["attemptLog"]] == ["delivered"]
    assert (await exporter.client.get("/v1/outbox")).json() == []
    submission = (await exporter.client.get("/v1/consignments/c-1/submission")).json()
    types = sorted(c["type"][1] for c in submission["credentials"])
    assert types == sorted(
        ["DigitalFacilityRecord"] * 3 + ["DigitalTraceabilityEvent"] * 3
        + ["DigitalConformityCredential", "VeterinaryAttestation"]
    )
    assert port.digests["c-1"] == view["submissionDigest"]
