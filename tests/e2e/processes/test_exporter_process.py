"""End to end with real processes on loopback: ``pilot node port`` and ``pilot node exporter`` in a sandbox.

The first test delivers one consignment and checks the port's public log. The crash tests (also marked
``slow``: run them with ``pytest -m slow``) SIGKILL the port, then the exporter, while 200 consignments
are in flight, restart it, and check that every consignment ends delivered exactly once: the port's log
holds exactly one entry per consignment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilot.synthetic import Signer, build_world
from schemas.identifiers import did_of
from schemas.issue import credential_reference
from schemas.keyring import load_keyring
from schemas.records import conformity_attestation, secure_link
from tests.support.processes import NodeProcess, free_port, peer_urls, pilot_init, registry_process

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

EXPORTER, PORT = "ru-exp-01", "cn-port-01"


@dataclass
class Network:
    """A sandbox with one port and one exporter, each a real process."""

    data_dir: Path
    port: NodeProcess
    exporter: NodeProcess
    token: str

    def operator(self) -> httpx.Client:
        return httpx.Client(base_url=self.exporter.url, headers={"authorization": f"Bearer {self.token}"}, timeout=30.0)

    def log_entries(self) -> list[dict[str, Any]]:
        checkpoint = httpx.get(f"{self.port.url}/v1/log/checkpoint", timeout=10).text
        size = int(checkpoint.split("\n")[1])
        entries: list[dict[str, Any]] = []
        for start in range(0, size, 1000):
            response = httpx.get(
                f"{self.port.url}/v1/log/entries", params={"start": start, "end": min(size, start + 1000)}
            )
            entries += [item["entry"] for item in response.json()["entries"]]
        return entries


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    data_dir = pilot_init(tmp_path / "sandbox")
    port_port = free_port()
    registry = registry_process(data_dir)
    peers = f"{PORT}=http://127.0.0.1:{port_port},{peer_urls(registry)}"
    env = {"PILOT_RETRY_BASE_S": "0.2", "PILOT_PEER_URLS": peers}
    port = NodeProcess.pilot("port", PORT, data_dir, port=port_port, env=env, needs=[registry])
    exporter = NodeProcess.pilot("exporter", EXPORTER, data_dir, env=env, needs=[registry])
    with port.start(), exporter.start():
        token = (data_dir / "tokens" / EXPORTER).read_text().strip()
        yield Network(data_dir, port, exporter, token)


def prepare_world(network: Network) -> Callable[[int], dict[str, Any]]:
    """Register the farms and plant, import cert-01's certificate and ru-vet's attestation; returns a lot maker."""
    world = build_world("e2e", EXPORTER)
    keyrings = {
        sid: load_keyring((network.data_dir / "keys" / f"{sid}.pem").read_bytes()) for sid in ("cert-01", "ru-vet")
    }
    signer = Signer(keyrings)
    with network.operator() as client:
        records = {}
        for facility in (world.farms[0], world.farms[1], world.plant):
            response = client.post("/v1/farms", json=facility)
            assert response.status_code == 201, response.text
            records[facility["id"]] = response.json()
        farm_record = records[world.farms[0]["id"]]
        certificate = signer.issue(
            "cert-01",
            "DigitalConformityCredential",
            conformity_attestation(
                attestation_id="urn:pilot:certificate:e2e",
                topic="antibiotic_use",
                certifier_did=did_of("cert-01"),
                certifier_name="cert-01",
                exporter_did=did_of(EXPORTER),
                exporter_name=world.exporter.name,
                facility_id=world.farms[0]["id"],
                facility_name=world.farms[0]["name"],
                assessment_date="2026-01-02",
                evidence=secure_link(
                    farm_record["credentialId"], "DigitalFacilityRecord", farm_record["digest"], "farm record"
                ),
            ),
            credential_id="urn:pilot:cert:e2e",
        )
        assert credential_reference(farm_record["credential"])["digest"] == farm_record["digest"]
        attestation = signer.issue(
            "ru-vet",
            "VeterinaryAttestation",
            {
                "id": "urn:pilot:attestation:e2e",
                "establishmentNumber": world.plant["establishmentNumber"],
                "species": "Gallus gallus domesticus",
                "hsCode": "020714",
                "inspectionDate": "2026-01-05",
                "healthStatus": {"diseaseFree": ["avian influenza"], "vaccinations": []},
                "recommendedForRegister": True,
            },
            credential_id="urn:pilot:vet:e2e",
        )
        for credential in (certificate, attestation):
            response = client.post("/v1/credentials", json=credential)
            assert response.status_code == 201, response.text

    def lot(n: int) -> dict[str, Any]:
        return {
            "lotId": f"urn:pilot:lot:{EXPORTER}:e2e-{n}",
            "hsCode": "020714",
            "description": "frozen broiler chicken cuts",
            "netWeight": {"value": 18000 + n, "unit": "KGM"},
            "establishmentNumber": world.plant["establishmentNumber"],
            "originFacilities": [world.farms[0]["id"], world.farms[1]["id"]],
        }

    return lot


def consign(client: httpx.Client, consignment_id: str, lot: dict[str, Any]) -> None:
    response = client.post(
        "/v1/consignments", json={"destination": PORT, "lots": [lot], "consignmentId": consignment_id}
    )
    assert response.status_code == 202, response.text


def wait_until_finished(network: Network, ids: list[str], timeout_s: float) -> dict[str, dict[str, Any]]:
    """Poll until none of ``ids`` is pending; returns their views."""
    deadline = time.monotonic() + timeout_s
    wanted = set(ids)
    with network.operator() as client:
        while True:
            rows = client.get("/v1/consignments", params={"limit": 1000}).json()
            states = {r["id"]: r for r in rows if r["id"] in wanted}
            if len(states) == len(wanted) and all(r["state"] != "pending" for r in states.values()):
                return states
            if time.monotonic() > deadline:
                pending = sorted(i for i in wanted if states.get(i, {}).get("state") == "pending")
                raise AssertionError(f"{len(pending)} still pending after {timeout_s} s: {pending[:5]}")
            time.sleep(0.25)


def test_a_consignment_ends_delivered_with_a_verified_receipt(network: Network) -> None:
    lot = prepare_world(network)
    with network.operator() as client:
        consign(client, "e2e-1", lot(1))
    states = wait_until_finished(network, ["e2e-1"], 60)
    assert states["e2e-1"]["state"] == "delivered", states
    with network.operator() as client:
        view = client.get("/v1/consignments/e2e-1").json()
    assert view["decision"] == "accepted", view["reasons"]
    receipt = view["receipt"]
    assert receipt["issuer"]["id"] == did_of(PORT)
    assert receipt["credentialSubject"]["log"]["origin"] == f"{PORT}.pilot.example/log"
    (entry,) = network.log_entries()
    assert entry["submissionId"] == "e2e-1"
    assert entry["submissionDigest"] == view["submissionDigest"]
    assert entry["exporter"] == EXPORTER


def _create_many(
    network: Network, lot: Callable[[int], dict[str, Any]], prefix: str, n: int, during: Callable[[int], None]
) -> list[str]:
    ids = [f"{prefix}-{i:03d}" for i in range(n)]
    with network.operator() as client, ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(consign, client, cid, lot(i)) for i, cid in enumerate(ids)]
        for i, future in enumerate(futures):
            future.result()
            during(i)
    return ids


def _assert_exactly_once(network: Network, ids: list[str], states: dict[str, dict[str, Any]]) -> None:
    assert {s["state"] for s in states.values()} == {"delivered"}, {
        k: (v["state"], v["failureCode"]) for k, v in states.items() if v["state"] != "delivered"
    }
    logged = [e["submissionId"] for e in network.log_entries() if e["submissionId"] in set(ids)]
    assert sorted(logged) == sorted(ids)  # one entry per consignment, none lost, none twice


@pytest.mark.slow
def test_port_killed_with_200_consignments_in_flight_delivers_each_exactly_once(network: Network) -> None:
    lot = prepare_world(network)
    restarted = {"done": False}

    def crash_port(i: int) -> None:
        if i == 60:
            network.port.kill()
        if i == 120 and not restarted["done"]:
            network.port.start()
            restarted["done"] = True

    ids = _create_many(network, lot, "pk", 200, crash_port)
    states = wait_until_finished(network, ids, 240)
    _assert_exactly_once(network, ids, states)
    retried = [s for s in states.values() if s["attempts"] > 1]
    assert retried, "the crash should have made some deliveries retry"


@pytest.mark.slow
def test_exporter_killed_mid_delivery_delivers_each_exactly_once(network: Network) -> None:
    lot = prepare_world(network)
    # Queue 200 while the port is down, so that deliveries are spread out by backoff once it is back.
    network.port.stop()
    ids = _create_many(network, lot, "ek", 200, lambda i: None)
    network.port.start()
    # Kill the exporter as soon as some, but not all, consignments are delivered.
    deadline = time.monotonic() + 60
    with network.operator() as client:
        while time.monotonic() < deadline:
            delivered = len(client.get("/v1/consignments", params={"state": "delivered", "limit": 1000}).json())
            if delivered >= 10:
                break
            time.sleep(0.01)
    network.exporter.kill()
    logged_before = len(network.log_entries())
    network.exporter.start()
    states = wait_until_finished(network, ids, 240)
    _assert_exactly_once(network, ids, states)
    assert logged_before < len(ids), "the exporter should have been killed mid-delivery"
