"""Preparing an exporter under test through its operator API, as its operator would, and asking it to ship.

Seeding registers the exporter's synthetic farms and plant (``POST /v1/farms``; those already there are
kept), then imports a conformity certificate per farm signed by its certifier and the plant's
veterinary attestation signed by ``ru-vet`` (``POST /v1/credentials``; a re-import answers 200). The
credentials are deterministic, so seeding the same exporter again changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from pilot.conformance.material import KitMaterial
from pilot.sandbox import DEFAULT_SEED
from pilot.synthetic import ExporterWorld, build_world, farm_certificate, plan_consignment, plant_attestation, stable_id

__all__ = ["SeedError", "consignment_request", "seed_exporter"]

DAY = date(2026, 3, 1)


class SeedError(RuntimeError):
    """The exporter did not accept what its operator gave it."""


def _expect(response: httpx.Response, statuses: tuple[int, ...], what: str) -> None:
    if response.status_code not in statuses:
        raise SeedError(f"{what}: HTTP {response.status_code} {response.text[:300]}")


def _facility_records(client: httpx.Client) -> dict[str, dict[str, Any]]:
    response = client.get("/v1/farms")
    _expect(response, (200,), "GET /v1/farms")
    items = response.json()
    return {item["id"]: item for item in items if isinstance(item, dict) and "id" in item}


def seed_exporter(client: httpx.Client, material: KitMaterial, exporter_id: str) -> ExporterWorld:
    """Register farms and plant, import certificates and the attestation; returns the exporter's world."""
    world = build_world(DEFAULT_SEED, exporter_id)
    records = _facility_records(client)
    for facility in (*world.farms, world.plant):
        if facility["id"] not in records:
            _expect(client.post("/v1/farms", json=facility), (200, 201), f"POST /v1/farms {facility['id']}")
    records = _facility_records(client)
    signer = material.credential_signer
    for farm in world.farms:
        record = records.get(farm["id"])
        if record is None:
            raise SeedError(f"{exporter_id} lists no facility record for {farm['id']}")
        certificate = farm_certificate(
            DEFAULT_SEED,
            signer,
            world,
            farm,
            (record["credentialId"], record["digest"]),
            key=f"conformance/{farm['id']}",
            day=DAY,
            credential_id=stable_id(DEFAULT_SEED, "conformance-cert", farm["id"], record["digest"]),
        )
        _expect(client.post("/v1/credentials", json=certificate), (200, 201), f"import the certificate of {farm['id']}")
    attestation = plant_attestation(
        DEFAULT_SEED,
        signer,
        world,
        key=f"conformance/{exporter_id}",
        day=DAY,
        credential_id=stable_id(DEFAULT_SEED, "conformance-att", exporter_id),
    )
    if attestation is not None:
        _expect(client.post("/v1/credentials", json=attestation), (200, 201), "import the veterinary attestation")
    return world


def consignment_request(world: ExporterWorld, consignment_id: str, port_id: str, n: int = 0) -> dict[str, Any]:
    """The body of ``POST /v1/consignments`` for one export lot of ``world`` to ``port_id``."""
    parts = plan_consignment(DEFAULT_SEED, world, consignment_id, port_id, "rail", n)
    return {"destination": port_id, "consignmentId": consignment_id, "lots": parts.lots, "transportMode": "rail"}
