"""The kit's stand-in port and status: where its lists come from, and the status faults of its stand-ins.

In process, without sockets: the stand-in port is driven through ``StandinPort.transport()``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from node_core.http_signatures import RequestSigner
from pilot.conformance.material import VECTORS_DIR, KitMaterial
from pilot.conformance.port_standin import PortFaults, StandinPort
from pilot.conformance.status_sources import FirstFound, sandbox_status_lists, unsafe_status_fail_open
from pilot.conformance.submissions import exporter_of, fresh_submission, published_vectors, resubmitted
from pilot.sandbox import build_sandbox, write_sandbox
from schemas.assess import assess_submission
from schemas.status_list import StaticStatusLists, StatusList, StatusUnavailable, status_entries, status_list_url

AT = datetime(2026, 11, 1, tzinfo=UTC)
URL = status_list_url("cert-01", "revocation-0")


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> KitMaterial:
    directory = tmp_path_factory.mktemp("kit") / "data"
    write_sandbox(build_sandbox(), directory)
    return KitMaterial.load(directory)


def test_the_sandbox_lists_come_from_the_data_dir_else_from_the_fixtures(material: KitMaterial) -> None:
    from_files = sandbox_status_lists(material)
    assert URL in from_files.urls() and len(from_files.urls()) == 12
    fallback = sandbox_status_lists(KitMaterial.load(VECTORS_DIR))  # no status-lists/ there
    assert fallback.urls() == from_files.urls()
    found = fallback.status_list(URL, material.registry, AT)
    assert isinstance(found, StatusList) and found.is_set(1)


def test_first_found_asks_each_source_in_turn(material: KitMaterial) -> None:
    empty, full = StaticStatusLists(), sandbox_status_lists(material)
    assert isinstance(FirstFound([empty, full]).status_list(URL, material.registry, AT), StatusList)
    missing = FirstFound([full, empty]).status_list(status_list_url("cert-01", "revocation-9"), material.registry, AT)
    assert missing == StatusUnavailable("no status list was given for this URL")
    assert isinstance(FirstFound([]).status_list(URL, material.registry, AT), StatusUnavailable)


def _unknown_status(material: KitMaterial, name: str) -> dict[str, Any]:
    entries = status_entries("cert-01", 7, ["revocation", "suspension"], generation=404)
    return fresh_submission(material, "ru-exp-01", name, "cn-port-01", certificate_status=entries)


def test_the_fail_open_assessor_accepts_what_a_port_holds(material: KitMaterial) -> None:
    document = _unknown_status(material, "unit-fail-open")
    options: dict[str, Any] = {"port_id": "cn-port-01", "at": AT, "status": sandbox_status_lists(material)}
    held = assess_submission(document, material.registry, **options)
    assert held.decision == "held_for_inspection"
    assert set(held.reason_codes) == {"STATUS_UNAVAILABLE"}
    opened = unsafe_status_fail_open(document, material.registry, **options)
    assert (opened.decision, opened.reasons) == ("accepted", [])


async def _submit(port: StandinPort, material: KitMaterial, document: dict[str, Any]) -> dict[str, Any]:
    entry = material.key(exporter_of(document))  # the exporter its id names
    async with httpx.AsyncClient(
        transport=_Async(port.transport()),
        base_url="http://127.0.0.1",
        auth=RequestSigner(entry.private_key, entry.verification_method),
    ) as client:
        response = await client.post(
            "/v1/submissions", content=json.dumps(document).encode(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 201, response.text
    subject: dict[str, Any] = response.json()["credentialSubject"]
    return subject


class _Async(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.MockTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.inner.handle_request(request)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("faults", "revoked", "unknown"),
    [
        (PortFaults(), "rejected", "held_for_inspection"),
        (PortFaults(check_status=False), "accepted", "accepted"),
        (PortFaults(status_fails_open=True), "rejected", "accepted"),
    ],
    ids=["conformant", "ignores-status", "fails-open"],
)
async def test_the_standin_decides_status_as_its_faults_say(
    material: KitMaterial, faults: PortFaults, revoked: str, unknown: str
) -> None:
    port = StandinPort(material, faults=faults)
    vector = next(v for v in published_vectors() if v.stem == "submission-certificate-revoked")
    revoked_subject = await _submit(port, material, resubmitted(material, vector, "unit-ru-exp-03-revoked"))
    unknown_subject = await _submit(port, material, _unknown_status(material, "unit-ru-exp-01-unknown"))
    assert (revoked_subject["decision"], unknown_subject["decision"]) == (revoked, unknown)
    expected = {"rejected": ["CREDENTIAL_REVOKED"], "accepted": []}[revoked]
    assert [r["code"] for r in revoked_subject["reasons"]] == expected
    assert ("statusLists" in revoked_subject) == faults.check_status
