"""``GET /v1/consignments/{id}/epcis``: the consignment's traceability events as a GS1 EPCIS 2.0 document.

Documents are validated against the GS1 EPCIS 2.0 JSON Schema read from the reference directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.epcis import dte_credentials
from schemas.identifiers import did_of
from tests.support.epcis import dte_credential, dte_event, gs1_validator, read_gs1_schema, schema_errors

pytestmark = [pytest.mark.anyio, pytest.mark.db]

EXPORTER_DID = did_of("ru-exp-01")
PORT_DID = did_of("cn-port-01")
PLANT = "urn:pilot:facility:ru-exp-01:plant-01"


@pytest.fixture(scope="module")
def gs1(reference_dir: Path) -> Any:
    """The GS1 EPCIS 2.0 JSON Schema, format checks on."""
    return gs1_validator(read_gs1_schema(reference_dir))


def _dte_count(submission: dict[str, Any]) -> int:
    """How many UNTP events the submission's DTE credentials carry (enveloped ones decoded)."""
    return sum(len(c["credentialSubject"]) for c in dte_credentials(submission["credentials"]))


async def _epcis(exporter: Any, consignment_id: str) -> dict[str, Any]:
    response = await exporter.client.get(f"/v1/consignments/{consignment_id}/epcis")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    return dict(response.json())


def _shipping_dte(bizstep: str = "shipping") -> dict[str, Any]:
    """A DigitalTraceabilityEvent credential in the UNTP 0.6.1 shape (unsigned: :raw does not verify)."""
    event = dte_event(
        "ObjectEvent",
        "urn:uuid:0e6c1c1e-5a57-4d38-9c55-000000000002",
        "2026-03-02T08:00:00Z",
        bizstep,
        "in_transit",
        PLANT,
        action="observe",
        epcList=[{"type": ["Item"], "id": "urn:pilot:lot:ru-exp-01:raw:export-lot", "name": "Export lot"}],
        bizTransactionList=[{"type": "desadv", "bizTransaction": "urn:pilot:consignment:raw-1"}],
        sourceList=[{"type": "owning_party", "source": EXPORTER_DID}],
        destinationList=[{"type": "owning_party", "destination": PORT_DID}],
    )
    return dte_credential([event], "urn:uuid:0e6c1c1e-5a57-4d38-9c55-000000000001", EXPORTER_DID, "ru-exp-01")


async def _queue_raw(exporter: Any, consignment_id: str, *credentials: dict[str, Any]) -> None:
    submission = {"submissionId": consignment_id, "manifest": {}, "credentials": list(credentials)}
    response = await exporter.client.post(
        "/v1/consignments:raw", json={"destination": "cn-port-01", "submission": submission}
    )
    assert response.status_code == 202, response.text


# --- consignments built by the exporter (the record shapes of schemas.models) ------------------------


@pytest.mark.reference
async def test_a_built_consignment_is_a_valid_epcis_document(exporter: Any, scenario: Any, gs1: Any) -> None:
    await scenario.prepare()
    assert (await scenario.consign("c-epcis")).status_code == 202
    document = await _epcis(exporter, "c-epcis")
    assert schema_errors(gs1, document) == []
    assert document["type"] == "EPCISDocument" and document["schemaVersion"] == "2.0"
    assert document["id"] == "urn:pilot:epcis:c-epcis"
    assert (document["sender"], document["receiver"]) == (EXPORTER_DID, PORT_DID)
    events = document["epcisBody"]["eventList"]
    submission = (await exporter.client.get("/v1/consignments/c-epcis/submission")).json()
    assert len(events) == _dte_count(submission)
    assert {"ObjectEvent", "TransformationEvent"} == {e["type"] for e in events}
    assert {"commissioning", "shipping"} <= {e.get("bizStep") for e in events}
    times = [(e["eventTime"], e["eventID"]) for e in events]
    assert times == sorted(times)
    again = await exporter.client.get("/v1/consignments/c-epcis/epcis")
    assert again.json() == document  # creationDate is the consignment's, not the request's


@pytest.mark.reference
async def test_enveloped_credentials_are_decoded(jose_scenario: Any, gs1: Any) -> None:
    assert (await jose_scenario.consign("c-epcis-jose")).status_code == 202
    submission = await jose_scenario.submission("c-epcis-jose")
    assert any(c["type"] == "EnvelopedVerifiableCredential" for c in submission["credentials"])
    document = await _epcis(jose_scenario.exporter, "c-epcis-jose")
    assert schema_errors(gs1, document) == []
    assert len(document["epcisBody"]["eventList"]) == _dte_count(submission) > 0


# --- the route itself (raw submissions carry hand-written credentials) --------------------------------


@pytest.mark.reference
async def test_a_raw_submission_maps_its_dte_credentials_only(exporter: Any, gs1: Any) -> None:
    facility = {"type": ["DigitalFacilityRecord", "VerifiableCredential"], "credentialSubject": {"id": PLANT}}
    await _queue_raw(exporter, "raw-1", facility, _shipping_dte())
    document = await _epcis(exporter, "raw-1")
    assert schema_errors(gs1, document) == []
    (event,) = document["epcisBody"]["eventList"]
    assert event["type"] == "ObjectEvent" and event["action"] == "OBSERVE" and event["bizStep"] == "shipping"
    assert event["epcList"] == ["urn:pilot:lot:ru-exp-01:raw:export-lot"]
    assert event["pilot:hsCode"] == "020714"
    assert document["@context"][1] == {"pilot": "https://pilot.example/ns/agri-export/v1#"}


async def test_events_without_an_epcis_form_are_a_422_problem(exporter: Any) -> None:
    await _queue_raw(exporter, "raw-bad", _shipping_dte("transforming"))
    response = await exporter.client.get("/v1/consignments/raw-bad/epcis")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "SCHEMA_INVALID"
    assert [p["path"] for p in problem["problems"]] == ["/0/credentialSubject/0/bizStep"]


async def test_a_raw_submission_without_dte_credentials_has_no_events(exporter: Any) -> None:
    await _queue_raw(exporter, "raw-empty")
    document = await _epcis(exporter, "raw-empty")
    assert document["epcisBody"] == {"eventList": []}


async def test_unknown_consignment_is_404_and_the_token_is_required(exporter: Any) -> None:
    missing = await exporter.client.get("/v1/consignments/no-such/epcis")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    await _queue_raw(exporter, "raw-2", _shipping_dte())
    anonymous = await exporter.client.get("/v1/consignments/raw-2/epcis", headers={"authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_openapi_documents_the_route(exporter: Any) -> None:
    document = (await exporter.client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/consignments/{consignment_id}/epcis"]["get"]
    assert operation["summary"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    assert "application/ld+json" in operation["responses"]["200"]["content"]
