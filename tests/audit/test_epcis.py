"""``pilot audit verify``'s EPCIS check: ``epcis.json`` must be exactly the mapping of the bundle's DTEs.

Offline and pure: bundles are built from hand-written files; the other checks of such a bundle fail
(no receipt, no log), only the EPCIS row is looked at. ``pilot audit export`` takes the exporter's
document when it has one (checked with a mock transport).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilot.audit import collect
from pilot.audit.bundle import EPCIS_FILE, build_bundle
from pilot.audit.errors import EvidenceError
from pilot.audit.nodes import AuditNetwork
from pilot.audit.verify import Check, verify_bundle
from schemas.canonical import canonicalize
from schemas.epcis import epcis_document

EXPORTER = "did:web:pilot.example:ru-exp-01"
PORT = "did:web:pilot.example:cn-port-01"
ROW = "EPCIS document = mapping of the traceability events"


def _dte(event_id: str, when: str, bizstep: str = "shipping") -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dte/0.6.1/"],
        "id": f"urn:uuid:{event_id}-credential",
        "type": ["DigitalTraceabilityEvent", "VerifiableCredential"],
        "issuer": {"type": ["CredentialIssuer"], "id": EXPORTER, "name": "ru-exp-01"},
        "validFrom": when,
        "credentialSubject": [
            {
                "type": ["ObjectEvent", "Event"],
                "id": f"urn:uuid:{event_id}",
                "eventTime": when,
                "eventTimeZoneOffset": "+03:00",
                "action": "observe",
                "bizStep": bizstep,
                "epcList": [{"type": ["Item"], "id": "urn:pilot:lot:ru-exp-01:c-1:export-lot", "name": "Export lot"}],
                "hsCode": "020714",
            }
        ],
    }


CREDENTIALS = [_dte("e-2", "2026-03-02T08:00:00Z"), _dte("e-1", "2026-03-01T08:00:00Z", "commissioning")]


def _files(epcis: dict[str, Any] | None) -> dict[str, bytes]:
    about = {"consignmentId": "c-1", "exporter": "ru-exp-01", "port": "cn-port-01", "origin": None, "state": None}
    submission = {"submissionId": "c-1", "manifest": {}, "credentials": CREDENTIALS}
    files = {"bundle.json": canonicalize(about), "submission.json": canonicalize(submission)}
    if epcis is not None:
        files[EPCIS_FILE] = canonicalize(epcis)
    return files


def _epcis() -> dict[str, Any]:
    return epcis_document(
        CREDENTIALS, document_id="urn:pilot:epcis:c-1", created="2026-03-02T09:00:00Z", sender=EXPORTER, receiver=PORT
    )


def _row(files: dict[str, bytes]) -> Check:
    (row,) = [check for check in verify_bundle(build_bundle(files), {}) if check.name == ROW]
    return row


def test_the_exported_document_verifies() -> None:
    row = _row(_files(_epcis()))
    assert row.ok, row.detail
    assert "2 events" in row.detail


def test_a_bundle_without_epcis_passes_that_row() -> None:
    row = _row(_files(None))
    assert row.ok and "nothing to compare" in row.detail


def test_a_dropped_event_fails() -> None:
    document = _epcis()
    del document["epcisBody"]["eventList"][0]
    row = _row(_files(document))
    assert not row.ok and "1 events" in row.detail


def test_a_changed_event_fails() -> None:
    document = _epcis()
    document["epcisBody"]["eventList"][1]["bizStep"] = "receiving"
    row = _row(_files(document))
    assert not row.ok and "event 1" in row.detail and "urn:uuid:e-2" in row.detail


def test_another_receiver_or_id_fails() -> None:
    for name, value in (("receiver", "did:web:pilot.example:cn-port-02"), ("id", "urn:pilot:epcis:c-2")):
        document = copy.deepcopy(_epcis())
        document[name] = value
        row = _row(_files(document))
        assert not row.ok and name in row.detail


def test_an_extra_member_fails() -> None:
    document = {**_epcis(), "instanceIdentifier": "1"}
    assert not _row(_files(document)).ok


def _network(tmp_path: Path, status: int, body: bytes) -> AuditNetwork:
    network = AuditNetwork(tmp_path, {"ru-exp-01": "http://ru-exp-01.test"})
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(status, content=body)

    network.clients["ru-exp-01"] = httpx.Client(base_url="http://ru-exp-01.test", transport=httpx.MockTransport(handle))
    return network


def test_export_takes_the_exporters_document_when_it_has_one(tmp_path: Path) -> None:
    with _network(tmp_path, 200, canonicalize(_epcis())) as network:
        assert collect._epcis_document(network, "ru-exp-01", "c-1") == _epcis()
    for status in (404, 422):
        with _network(tmp_path, status, b'{"code": "NOT_FOUND"}') as network:
            assert collect._epcis_document(network, "ru-exp-01", "c-1") is None
    with _network(tmp_path, 500, b"{}") as network, pytest.raises(EvidenceError):
        collect._epcis_document(network, "ru-exp-01", "c-1")
    with _network(tmp_path, 200, b"{not json") as network, pytest.raises(EvidenceError, match="malformed EPCIS"):
        collect._epcis_document(network, "ru-exp-01", "c-1")
