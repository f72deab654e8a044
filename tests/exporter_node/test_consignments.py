"""Consignments: built from lots, gathered credentials, pre-checked with the port's own assessment, queued."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pilot.sandbox import UNAPPROVED_ESTABLISHMENT
from pilot.synthetic import Signer, plan_consignment, sign_consignment
from schemas.models.registry import credential_type_of

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_consignment_is_built_delivered_and_its_receipt_verified(exporter: Any, scenario: Any, port: Any) -> None:
    await scenario.prepare()
    response = await scenario.consign("c-1")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["state"] == "pending" and body["id"] == "c-1"
    outbox = (await exporter.client.get("/v1/outbox")).json()
    assert [o["consignmentId"] for o in outbox] == ["c-1"]

    await exporter.worker.run_until_idle(10)

    view = await scenario.view("c-1")
    assert view["state"] == "delivered", view
    assert view["decision"] == "accepted"
    assert view["reasons"] == []
    assert view["receipt"]["credentialSubject"]["submissionId"] == "c-1"
    assert [a["outcome"] for a in view["attemptLog"]] == ["delivered"]
    assert (await exporter.client.get("/v1/outbox")).json() == []
    submission = (await exporter.client.get("/v1/consignments/c-1/submission")).json()
    types = sorted(credential_type_of(c) for c in submission["credentials"])
    assert types == sorted(
        ["DigitalFacilityRecord"] * 3
        + ["DigitalTraceabilityEvent"]
        + ["DigitalConformityCredential", "VeterinaryAttestation"]
    )
    (dte,) = [c for c in submission["credentials"] if credential_type_of(c) == "DigitalTraceabilityEvent"]
    assert [e["bizStep"] for e in dte["credentialSubject"]] == ["commissioning"] * 2 + ["killing", "shipping"]
    manifest = submission["manifest"]["credentialSubject"]
    assert manifest["consignmentId"] == "c-1" and manifest["destination"] == "cn-port-01"
    assert len(manifest["credentials"]) == len(submission["credentials"])
    assert port.digests["c-1"] == view["submissionDigest"]
    listed = (await exporter.client.get("/v1/consignments", params={"state": "delivered"})).json()
    assert [c["id"] for c in listed] == ["c-1"]


async def test_lineage_events_go_from_farm_lots_to_the_export_lot(exporter: Any, scenario: Any) -> None:
    await scenario.prepare()
    assert (await scenario.consign("c-lineage")).status_code == 202
    submission = (await exporter.client.get("/v1/consignments/c-lineage/submission")).json()
    (events,) = [
        c["credentialSubject"] for c in submission["credentials"] if credential_type_of(c) == "DigitalTraceabilityEvent"
    ]
    commissioned = [e for e in events if e["type"][0] == "ObjectEvent" and e["bizStep"] == "commissioning"]
    (transformation,) = [e for e in events if e["type"][0] == "TransformationEvent"]
    (shipping,) = [e for e in events if e["type"][0] == "ObjectEvent" and e["bizStep"] == "shipping"]
    assert sorted(e["readPoint"]["id"] for e in commissioned) == sorted(
        [scenario.world.farms[0]["id"], scenario.world.farms[1]["id"]]
    )
    assert transformation["inputEPCList"] == [e["epcList"][0] for e in commissioned]
    assert [item["id"] for item in transformation["outputEPCList"]] == [scenario.lot()["lotId"]]
    assert transformation["readPoint"]["id"] == scenario.world.plant["id"]
    assert [item["id"] for item in shipping["epcList"]] == [scenario.lot()["lotId"]]
    assert {"type": "desadv", "bizTransaction": "urn:pilot:consignment:c-lineage"} in shipping["bizTransactionList"]


async def test_enveloped_securing_is_delivered_too(jose_scenario: Any) -> None:
    assert (await jose_scenario.consign("c-jose")).status_code == 202
    submission = await jose_scenario.submission("c-jose")
    assert submission["manifest"]["type"] == "EnvelopedVerifiableCredential"
    assert {c["type"] for c in submission["credentials"][:4]} == {"EnvelopedVerifiableCredential"}
    await jose_scenario.exporter.worker.run_until_idle(10)
    assert (await jose_scenario.view("c-jose"))["state"] == "delivered"


async def test_the_port_policy_is_checked_locally_with_every_reason(exporter: Any, scenario: Any) -> None:
    await scenario.prepare()
    response = await scenario.consign("c-wheat", scenario.lot(hsCode="100199"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "HS_CODE_NOT_PERMITTED"
    assert problem["reasonCodes"] == ["HS_CODE_NOT_PERMITTED", "ESTABLISHMENT_NOT_APPROVED"]
    assert {r["path"] for r in problem["reasons"]} >= {"/manifest/credentialSubject/lots/0/hsCode"}
    assert (await exporter.client.get("/v1/consignments")).json() == []
    assert (await exporter.client.get("/v1/outbox")).json() == []


async def test_personal_data_is_not_sent_to_a_port_that_may_not_receive_it(exporter: Any, scenario: Any) -> None:
    farm = copy.deepcopy(scenario.world.farms[0])
    farm["operatorContact"] = {"name": "Ivan Petrov", "phone": "+7 472 000 00 00"}
    await scenario.register(farm, scenario.world.farms[1], scenario.world.plant)
    response = await scenario.consign("c-personal")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "DATA_CATEGORY_NOT_PERMITTED"
    assert any(r["path"].endswith("/credentialSubject/facility/operatorContact") for r in problem["reasons"])


async def test_an_establishment_off_the_register_is_refused(exporter: Any, scenario: Any) -> None:
    plant = {
        **scenario.world.plant,
        "id": "urn:pilot:facility:ru-exp-01:plant-99",
        "establishmentNumber": UNAPPROVED_ESTABLISHMENT,
    }
    await scenario.register(scenario.world.farms[0], scenario.world.farms[1], plant)
    response = await scenario.consign("c-unapproved", scenario.lot(establishmentNumber=UNAPPROVED_ESTABLISHMENT))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "ESTABLISHMENT_NOT_APPROVED"


BAD_REQUESTS = {
    "lot-missing-hs-code": (
        lambda s: {"lots": [{k: v for k, v in s.lot().items() if k != "hsCode"}]},
        "SCHEMA_INVALID",
        "/lots/0/hsCode",
    ),
    "unknown-origin-farm": (
        lambda s: {"lots": [s.lot(originFacilities=["urn:pilot:facility:nowhere"])]},
        "REQUEST_INVALID",
        "/lots/0/originFacilities/0",
    ),
    "unknown-plant": (
        lambda s: {"lots": [s.lot(establishmentNumber="RU-BEL-9999")]},
        "REQUEST_INVALID",
        "/lots/0/establishmentNumber",
    ),
    "unknown-destination": (lambda s: {"destination": "cn-port-99"}, "REQUEST_INVALID", "/destination"),
    "destination-not-a-port": (lambda s: {"destination": "ru-vet"}, "REQUEST_INVALID", "/destination"),
    "no-lots": (lambda s: {"lots": []}, "SCHEMA_INVALID", "/lots"),
    "unknown-member": (lambda s: {"priority": "high"}, "SCHEMA_INVALID", "/priority"),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
async def test_bad_consignment_requests_are_refused(exporter: Any, scenario: Any, case: str) -> None:
    await scenario.prepare()
    change, code, path = BAD_REQUESTS[case]
    body = {"destination": "cn-port-01", "lots": [scenario.lot()], **change(scenario)}
    response = await exporter.client.post("/v1/consignments", json=body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == code
    assert path in [p["path"] for p in problem["problems"]]


async def test_a_consignment_id_is_used_once(exporter: Any, scenario: Any) -> None:
    await scenario.prepare()
    assert (await scenario.consign("c-dup")).status_code == 202
    response = await scenario.consign("c-dup")
    assert response.status_code == 409
    assert response.json()["code"] == "DUPLICATE_CONFLICT"


async def test_a_consignment_id_is_generated_when_absent(exporter: Any, scenario: Any) -> None:
    await scenario.prepare()
    response = await exporter.client.post(
        "/v1/consignments", json={"destination": "cn-port-01", "lots": [scenario.lot()]}
    )
    assert response.status_code == 202
    assert response.json()["id"].startswith("ru-exp-01-")


async def test_a_raw_tampered_submission_is_queued_as_is_and_the_port_rejects_it(
    exporter: Any, port: Any, sandbox: Any, world: Any
) -> None:
    parts = plan_consignment("t", world, "raw-1", "cn-port-01", "rail")
    signed = sign_consignment("t", parts, Signer(sandbox.keyrings)).submission
    signed["credentials"][0]["credentialSubject"]["facility"]["name"] = "tampered"
    response = await exporter.client.post(
        "/v1/consignments:raw", json={"destination": "cn-port-01", "submission": signed}
    )
    assert response.status_code == 202, response.text
    assert response.json()["raw"] is True
    await exporter.worker.run_until_idle(10)
    view = (await exporter.client.get("/v1/consignments/raw-1")).json()
    assert view["state"] == "delivered"
    assert view["decision"] == "rejected"
    assert "PROOF_INVALID" in [r["code"] for r in view["reasons"]]


async def test_openapi_documents_every_route_and_its_errors(exporter: Any) -> None:
    document = (await exporter.client.get("/openapi.json")).json()
    paths = document["paths"]
    for path, method, statuses in [
        ("/v1/farms", "post", {"201", "400", "401", "409"}),
        ("/v1/credentials", "post", {"201", "200", "400", "409"}),
        ("/v1/consignments", "post", {"202", "400", "409", "422"}),
        ("/v1/consignments:raw", "post", {"202", "400"}),
        ("/v1/consignments/{consignment_id}", "get", {"200", "404"}),
        ("/v1/outbox", "get", {"200"}),
        ("/v1/trust-list", "get", {"200"}),
        ("/health", "get", {"200"}),
    ]:
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
    schemas = document["components"]["schemas"]
    assert {"Facility", "ConsignmentRequest", "ProblemDetails"} <= set(schemas)
    assert "HTTPValidationError" not in schemas


async def test_health_and_trust_list(exporter: Any) -> None:
    health = (await exporter.client.get("/health")).json()
    assert health["node"] == "ru-exp-01" and health["role"] == "exporter" and health["trustListSequence"] == 1
    trust = await exporter.client.get("/v1/trust-list", headers={"authorization": ""})
    assert trust.status_code == 200 and trust.json()["sequence"] == 1
