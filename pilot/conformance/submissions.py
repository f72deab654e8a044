"""Submissions the kit sends: the published vectors as they are, and fresh ones built for each run.

The published submission vectors (docs/design.md §11) have fixed ``submissionId``s, so a port that has
seen them answers ``200`` with its first receipt; the kit therefore also builds fresh submissions with
ids unique to the run. A published credential vector travels inside a fresh submission: the kit adds
it to a valid consignment of ``ru-exp-03`` and pins it in a newly signed manifest, so that the port's
receipt must name the vector's expected code among its reasons. Vectors whose code is
``JSON_MALFORMED`` are sent as the request body itself, byte for byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilot.conformance.material import VECTORS_DIR, KitMaterial
from pilot.participants import PORTS
from pilot.sandbox import DEFAULT_SEED
from pilot.synthetic import build_world, plan_consignment, sign_consignment, stable_id
from schemas.digest import credential_digest
from schemas.errors import PilotSchemaError
from schemas.issue import credential_reference
from schemas.jose import is_enveloped, read_enveloped
from schemas.jsonio import parse_json

__all__ = [
    "WRAPPING_EXPORTER",
    "Vector",
    "exporter_of",
    "fresh_submission",
    "published_vectors",
    "wrap_credential",
]

#: The exporter whose consignments carry the published credential vectors.
WRAPPING_EXPORTER = "ru-exp-03"
_EXPORTER_IN_ID = re.compile(r"ru-exp-\d\d")
_TRANSPORT = {p.short_id: p.transport_mode for p in PORTS}


@dataclass(frozen=True)
class Vector:
    """One published vector file and what ``expected.json`` says of it."""

    name: str
    kind: str  # "credential" or "submission"
    expect: str  # "accept" or a code
    path: Path

    @property
    def stem(self) -> str:
        """The file name without ``.json`` (used in case ids)."""
        return self.name.removesuffix(".json")

    @property
    def data(self) -> bytes:
        """The file's bytes, as published."""
        return self.path.read_bytes()


def published_vectors(directory: Path = VECTORS_DIR) -> list[Vector]:
    """Every vector listed in ``expected.json``, in file-name order."""
    expected: dict[str, dict[str, str]] = json.loads((directory / "expected.json").read_text())
    vectors = []
    for name in sorted(expected):
        entry = expected[name]
        folder = "valid" if entry["expect"] == "accept" else "invalid"
        vectors.append(Vector(name, entry["kind"], entry["expect"], directory / folder / name))
    return vectors


def exporter_of(document: Any, default: str = WRAPPING_EXPORTER) -> str:
    """The exporter that must sign the request for a submission vector (its id names it: ``vec-ru-exp-0N-...``)."""
    submission_id = document.get("submissionId") if isinstance(document, dict) else None
    match = _EXPORTER_IN_ID.search(submission_id) if isinstance(submission_id, str) else None
    return match.group(0) if match else default


def fresh_submission(
    material: KitMaterial, exporter_id: str, submission_id: str, port_id: str, *, variant: int = 0
) -> dict[str, Any]:
    """A new valid submission of ``exporter_id`` to ``port_id``; ``variant`` changes its content."""
    world = build_world(DEFAULT_SEED, exporter_id)
    parts = plan_consignment(DEFAULT_SEED, world, submission_id, port_id, _TRANSPORT.get(port_id, "rail"), variant)
    if variant:
        parts.shipment_date = f"2026-12-{1 + variant % 28:02d}"
    signed = sign_consignment(DEFAULT_SEED, parts, material.credential_signer)
    return signed.submission


def _reference(credential: Any) -> dict[str, str]:
    """How the manifest pins a vector credential, as far as it can be read."""
    if not isinstance(credential, dict):
        return {"id": "urn:pilot:unreadable", "type": "", "digest": credential_digest({"value": credential})}
    try:
        payload = read_enveloped(credential).payload if is_enveloped(credential) else credential
        return credential_reference(credential, payload)
    except (PilotSchemaError, KeyError, TypeError, ValueError):
        return {
            "id": str(credential.get("id", "urn:pilot:unreadable")),
            "type": "",
            "digest": credential_digest(credential),
        }


def wrap_credential(material: KitMaterial, vector: Vector, submission_id: str, port_id: str) -> dict[str, Any]:
    """A fresh valid consignment of ``WRAPPING_EXPORTER`` that also carries (and pins) the vector credential."""
    credential = parse_json(vector.data)
    world = build_world(DEFAULT_SEED, WRAPPING_EXPORTER)
    parts = plan_consignment(DEFAULT_SEED, world, submission_id, port_id, _TRANSPORT.get(port_id, "rail"))
    signer = material.credential_signer
    signed = sign_consignment(DEFAULT_SEED, parts, signer)
    subject = dict(signed.manifest_subject())
    subject["credentials"] = [*subject["credentials"], _reference(credential)]
    manifest = signer.issue(
        WRAPPING_EXPORTER,
        "ConsignmentManifest",
        subject,
        credential_id=stable_id(DEFAULT_SEED, "manifest", submission_id, "wrapped"),
    )
    return {"submissionId": submission_id, "manifest": manifest, "credentials": [*signed.credentials, credential]}
