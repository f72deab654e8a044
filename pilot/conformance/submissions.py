"""Submissions the kit sends: the published vectors as they are, and fresh ones built for each run.

The published submission vectors (docs/design.md §11) target ``cn-port-01``, the sealed ones under
``sealed/`` ``cn-port-03`` (``Vector.port``); a port is sent those addressed to it. They have fixed
``submissionId``s, so a port that has seen them answers ``200`` with its first receipt; the kit therefore
also builds fresh submissions with ids unique to the run. A published credential vector travels inside a
fresh submission: the kit adds it to a valid consignment of ``ru-exp-03`` and pins it in a newly signed
manifest, so that the port's receipt must name the vector's expected code among its reasons. Vectors
whose code is ``JSON_MALFORMED`` are sent as the request body itself, byte for byte. For the status cases,
a published submission vector can be sent again under a fresh id (``resubmitted``: the same credentials, a
manifest signed anew, addressed to the port tested), and a fresh consignment can carry a certificate with
chosen status entries (``fresh_submission(..., certificate_status=...)``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilot.conformance.material import VECTORS_DIR, KitMaterial
from pilot.fixture_status import fixture_status
from pilot.participants import PORTS
from pilot.sandbox import DEFAULT_SEED
from pilot.sealed_vectors import SEALED_DIR
from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment, stable_id
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
    "resubmitted",
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
    port: str = "cn-port-01"  # the port a submission vector is addressed to (expected.json's "port")

    @property
    def stem(self) -> str:
        """The file name without ``.json`` (used in case ids)."""
        return self.name.removesuffix(".json")

    @property
    def data(self) -> bytes:
        """The file's bytes, as published."""
        return self.path.read_bytes()


def published_vectors(directory: Path = VECTORS_DIR) -> list[Vector]:
    """Every vector listed in ``expected.json``, in file-name order, then the sealed ones (``sealed/``)."""
    vectors = []
    for folder in (directory, directory / SEALED_DIR):
        listing = folder / "expected.json"
        if not listing.is_file():
            continue
        expected: dict[str, dict[str, str]] = json.loads(listing.read_text())
        for name in sorted(expected):
            entry = expected[name]
            path = folder / ("valid" if entry["expect"] == "accept" else "invalid") / name
            vectors.append(Vector(name, entry["kind"], entry["expect"], path, entry.get("port", "cn-port-01")))
    return vectors


def exporter_of(document: Any, default: str = WRAPPING_EXPORTER) -> str:
    """The exporter that must sign the request for a submission vector (its id names it: ``vec-ru-exp-0N-...``)."""
    submission_id = document.get("submissionId") if isinstance(document, dict) else None
    match = _EXPORTER_IN_ID.search(submission_id) if isinstance(submission_id, str) else None
    return match.group(0) if match else default


@dataclass(frozen=True)
class _CertificateStatus:
    """The sandbox's status entries, except the conformity certificate's, which are ``certificate``."""

    certificate: list[dict[str, str]]

    def entries(self, issuer_id: str, credential_id: str, record_type: str) -> list[dict[str, str]]:
        if record_type == "DigitalConformityCredential":
            return [dict(entry) for entry in self.certificate]
        return fixture_status(issuer_id, credential_id, record_type)


def fresh_submission(
    material: KitMaterial,
    exporter_id: str,
    submission_id: str,
    port_id: str,
    *,
    variant: int = 0,
    certificate_status: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A new valid submission of ``exporter_id`` to ``port_id``; ``variant`` changes its content.

    ``certificate_status``: the conformity certificate's ``credentialStatus`` entries instead of its own.
    """
    world = build_world(DEFAULT_SEED, exporter_id)
    parts = plan_consignment(DEFAULT_SEED, world, submission_id, port_id, _TRANSPORT.get(port_id, "rail"), variant)
    if variant:
        parts.shipment_date = f"2026-12-{1 + variant % 28:02d}"
    signer = material.credential_signer
    if certificate_status is not None:
        signer = Signer(signer.keyrings, status=_CertificateStatus(certificate_status))
    signed = sign_consignment(DEFAULT_SEED, parts, signer)
    return signed.submission


def resubmitted(
    material: KitMaterial, vector: Vector, submission_id: str, port_id: str | None = None
) -> dict[str, Any]:
    """A published submission vector under ``submission_id``: its credentials as published, pinned by a
    manifest its exporter signs anew for that id (so that a port decides it now instead of answering with
    the receipt it gave the vector before), addressed to ``port_id`` when given."""
    document = parse_json(vector.data)
    exporter = exporter_of(document)
    subject = dict(document["manifest"]["credentialSubject"])
    subject["consignmentId"] = submission_id
    if port_id is not None:
        subject["destination"] = port_id
    manifest = material.credential_signer.issue(
        exporter,
        "ConsignmentManifest",
        subject,
        credential_id=stable_id(DEFAULT_SEED, "manifest", submission_id, "resubmitted"),
    )
    return {"submissionId": submission_id, "manifest": manifest, "credentials": document["credentials"]}


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
