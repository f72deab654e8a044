"""Fixtures for the exporter node's tests: a sandbox, the app over the root ``database_url``, and a port.

The port (``port``) is ``support.port.FakePort``: the conformance kit's stand-in port (the port's own
intake over an in-memory log), reached through ``httpx.MockTransport``; its ``script`` makes it misbehave
(busy, a final problem, a timeout, a receipt with a wrong signature, a checkpoint from a forked log).
``running_exporter`` takes any transport, so a test can put the real port app behind
``httpx.ASGITransport`` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, build_sandbox, write_sandbox
from pilot.synthetic import build_world
from schemas.identifiers import did_of
from schemas.issue import secure, unsigned_credential
from schemas.records import conformity_attestation, secure_link
from schemas.trust import TrustRegistry
from tests.exporter_node.exporter_harness import ExporterHarness, running_exporter
from tests.exporter_node.status_support import StatusSetting, registry_setting
from tests.support.port import FakePort

EXPORTER = "ru-exp-01"
PORT = "cn-port-01"
PORT_URL = "http://cn-port-01.test"


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The default-seed sandbox (keys, trust list, anchor), built once."""
    return build_sandbox()


@pytest.fixture
def trust(sandbox: Sandbox) -> TrustRegistry:
    """The sandbox trust list as a registry."""
    return TrustRegistry.from_document(sandbox.trust_list)


@pytest.fixture
def data_dir(tmp_path: Path, sandbox: Sandbox) -> Path:
    """A sandbox data directory."""
    directory = tmp_path / "data"
    write_sandbox(sandbox, directory)
    return directory


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> NodeSettings:
    """Settings of ``ru-exp-01`` with fast retries and the fake port's URL."""
    return NodeSettings(
        node_id=EXPORTER,
        data_dir=data_dir,
        database_url=database_url,
        retry_base_s=0.01,
        give_up_s=30,
        peer_urls={PORT: PORT_URL, "cn-port-02": "http://cn-port-02.test"},
    )


@pytest.fixture
def port(data_dir: Path) -> FakePort:
    """A well-behaved cn-port-01 (set ``port.script`` to make it misbehave)."""
    return FakePort.over(data_dir)


@pytest.fixture
async def exporter(settings: NodeSettings, port: FakePort) -> AsyncIterator[ExporterHarness]:
    """``ru-exp-01`` whose delivery worker reaches the fake port; drive it with ``worker.run_until_idle``."""
    async with running_exporter(settings, port.transport()) as harness:
        port.follow(harness.node)  # the port judges the exporter's records by its own status lists
        yield harness


@pytest.fixture
def world() -> Any:
    """The synthetic farms and plant of ru-exp-01 (default seed)."""
    return build_world("agri-export-pilot-2026", EXPORTER)


def signer_for(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """Sign a credential as any sandbox participant (key-1) at a given time."""

    def sign(short_id: str, record_type: str, subject: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        entry = next(e for e in sandbox.keyrings[short_id] if e.verification_method.endswith("#key-1"))
        valid_from = kwargs.pop("valid_from", datetime(2026, 1, 1, tzinfo=UTC))
        credential = unsigned_credential(
            record_type,
            subject,
            credential_id=kwargs.pop("credential_id", f"urn:uuid:{uuid.uuid4()}"),
            issuer_did=did_of(kwargs.pop("issuer_as", short_id)),
            issuer_name=short_id,
            valid_from=valid_from,
            valid_until=kwargs.pop("valid_until", datetime(2036, 6, 1, tzinfo=UTC)),
        )
        return secure(credential, entry.private_key, entry.verification_method, created=valid_from)

    return sign


@pytest.fixture
def sign(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """``sign(short_id, record_type, subject, ...)``: a credential signed with a sandbox key."""
    return signer_for(sandbox)


@dataclass
class Scenario:
    """ru-exp-01's farms, plant and imported credentials, registered through the operator API."""

    exporter: ExporterHarness
    world: Any
    sign: Callable[..., dict[str, Any]]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def lot(self, n: int = 0, **changes: Any) -> dict[str, Any]:
        """An export lot from the plant, from the first two farms."""
        item = self.world.exporter
        lot = {
            "lotId": f"urn:pilot:lot:{item.short_id}:test-{n}:export-lot",
            "hsCode": item.hs_code,
            "description": item.product,
            "netWeight": {"value": 12000.5, "unit": item.unit},
            "establishmentNumber": self.world.plant["establishmentNumber"],
            "originFacilities": [self.world.farms[0]["id"], self.world.farms[1]["id"]],
        }
        return {**lot, **changes}

    async def register(self, *facilities: dict[str, Any]) -> None:
        """POST each facility (default: two farms and the plant)."""
        for facility in facilities or (self.world.farms[0], self.world.farms[1], self.world.plant):
            response = await self.exporter.client.post("/v1/farms", json=facility)
            assert response.status_code == 201, response.text
            self.records[facility["id"]] = response.json()

    def certificate(self) -> dict[str, Any]:
        """cert-01's antibiotic-use certificate of the first farm, pinning its facility record."""
        record = self.records[self.world.farms[0]["id"]]
        farm = self.world.farms[0]
        subject = conformity_attestation(
            attestation_id="urn:pilot:certificate:test-1",
            topic="antibiotic_use",
            certifier_did="did:web:pilot.example:cert-01",
            certifier_name="cert-01",
            exporter_did=did_of(EXPORTER),
            exporter_name=EXPORTER,
            facility_id=farm["id"],
            facility_name=farm["name"],
            assessment_date="2026-01-02",
            evidence=secure_link(record["credentialId"], "DigitalFacilityRecord", record["digest"], "farm record"),
        )
        return self.sign("cert-01", "DigitalConformityCredential", subject)

    def attestation(self) -> dict[str, Any]:
        """ru-vet's attestation of the plant."""
        subject = {
            "id": "urn:pilot:attestation:test-1",
            "establishmentNumber": self.world.plant["establishmentNumber"],
            "species": "Gallus gallus domesticus",
            "hsCode": self.world.exporter.hs_code,
            "inspectionDate": "2026-01-05",
            "healthStatus": {"diseaseFree": ["avian influenza"], "vaccinations": []},
            "recommendedForRegister": True,
        }
        return self.sign("ru-vet", "VeterinaryAttestation", subject)

    async def prepare(self) -> None:
        """Register the farms and plant and import the certificate and the attestation."""
        await self.register()
        for credential in (self.certificate(), self.attestation()):
            response = await self.exporter.client.post("/v1/credentials", json=credential)
            assert response.status_code == 201, response.text

    async def consign(self, consignment_id: str, *lots: dict[str, Any], destination: str = PORT) -> httpx.Response:
        """POST /v1/consignments."""
        body = {"destination": destination, "lots": list(lots) or [self.lot()], "consignmentId": consignment_id}
        return await self.exporter.client.post("/v1/consignments", json=body)

    async def submission(self, consignment_id: str) -> dict[str, Any]:
        """GET /v1/consignments/{id}/submission."""
        response = await self.exporter.client.get(f"/v1/consignments/{consignment_id}/submission")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def view(self, consignment_id: str) -> dict[str, Any]:
        """GET /v1/consignments/{id}."""
        response = await self.exporter.client.get(f"/v1/consignments/{consignment_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def scenario(exporter: ExporterHarness, world: Any, sign: Callable[..., dict[str, Any]]) -> Scenario:
    """The registration helpers for ru-exp-01."""
    return Scenario(exporter, world, sign)


@pytest.fixture
def make_exporter(port: FakePort) -> Callable[..., Any]:
    """``async with make_exporter(settings[, transport]) as harness``: another exporter app (other settings),
    reaching the fake port unless another ``transport`` is given."""

    @asynccontextmanager
    async def make(
        settings: NodeSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[ExporterHarness]:
        async with running_exporter(settings, transport or port.transport()) as harness:
            port.follow(harness.node)
            yield harness

    return make


@pytest.fixture
def make_scenario(world: Any, sign: Callable[..., dict[str, Any]]) -> Callable[[ExporterHarness], Scenario]:
    """The registration helpers for another exporter harness."""
    return lambda harness: Scenario(harness, world, sign)


@pytest.fixture
async def jose_scenario(
    settings: NodeSettings, make_exporter: Callable[..., Any], make_scenario: Callable[[ExporterHarness], Scenario]
) -> AsyncIterator[Scenario]:
    """The registration helpers, prepared, of a ru-exp-01 that secures its credentials as JOSE envelopes."""
    settings.securing = "jose"
    async with make_exporter(settings) as exporter:
        scenario = make_scenario(exporter)
        await scenario.prepare()
        yield scenario


@pytest.fixture
def status_setting(tmp_path: Path, data_dir: Path, settings: NodeSettings) -> Iterator[StatusSetting]:
    """The real registry app over a database of its own, and ru-exp-01's settings pointing at it."""
    with registry_setting(tmp_path, data_dir, settings) as setting:
        yield setting
