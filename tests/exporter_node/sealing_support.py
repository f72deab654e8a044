"""What the exporter's sealing tests share: a certificate with laboratory results, the real cn-port-03 app, and
trust lists re-signed by ``pilot-gov`` with a port's policy or keys changed.

cn-port-03's sandbox policy takes ``laboratory`` only sealed (docs/design.md §8), so a conformity credential
with ``laboratoryResults`` travels sealed to it. The lab values carry markers that occur nowhere else, so a
byte search of a database file for them finds the plaintext and nothing else.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, pretty_json, write_sandbox
from port_node.app import create_app
from port_node.state import PortNode
from schemas.identifiers import did_of
from schemas.keyring import load_agreement_keys
from schemas.records import conformity_attestation, secure_link
from schemas.time import format_time
from schemas.trust import sign_trust_list
from tests.support.registry import REGISTRY_URL, RegistryStandin

__all__ = [
    "LAB_RESULT",
    "LAB_TEST",
    "SEALING_PORT",
    "SEALING_PORT_URL",
    "agreement_private_keys",
    "lab_certificate",
    "real_port",
    "resigned_trust_list",
    "revoke_agreement_keys",
    "seal_category",
]

SEALING_PORT = "cn-port-03"
SEALING_PORT_URL = "http://cn-port-03.test"
LAB_TEST = "Enrofloxacin residue LC-MS/MS marker-lab-test-5d1e0b"
LAB_RESULT = "below 0.5 ug/kg marker-lab-result-7c2f9a"


def lab_certificate(
    sign: Callable[..., dict[str, Any]], farm: dict[str, Any], record: dict[str, Any], exporter_id: str
) -> dict[str, Any]:
    """cert-01's antibiotic-use certificate of ``farm`` with laboratory results, pinning the farm's ``record``."""
    subject = conformity_attestation(
        attestation_id="urn:pilot:certificate:lab-1",
        topic="antibiotic_use",
        certifier_did=did_of("cert-01"),
        certifier_name="cert-01",
        exporter_did=did_of(exporter_id),
        exporter_name=exporter_id,
        facility_id=farm["id"],
        facility_name=farm["name"],
        assessment_date="2026-01-02",
        evidence=secure_link(record["credentialId"], "DigitalFacilityRecord", record["digest"], "farm record"),
    )
    subject["assessment"][0]["laboratoryResults"] = [{"test": LAB_TEST, "result": LAB_RESULT}]
    return sign("cert-01", "DigitalConformityCredential", subject)


def agreement_private_keys(data_dir: Path, port_id: str) -> dict[str, X25519PrivateKey]:
    """The port's ``keyAgreement`` private keys from its keyring file in ``data_dir``, by key id."""
    entries = load_agreement_keys((data_dir / "keys" / f"{port_id}.pem").read_bytes())
    return {entry.verification_method: entry.private_key for entry in entries}


def resigned_trust_list(sandbox: Sandbox, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The sandbox trust list with ``change`` applied, as the next sequence, signed by ``pilot-gov``."""
    document = copy.deepcopy(sandbox.trust_list)
    change(document)
    document["sequence"] = int(document["sequence"]) + 1
    document["id"] = f"urn:pilot:trust-list:{document['sequence']}"
    gov = next(e for e in sandbox.keyrings["pilot-gov"] if e.verification_method.endswith("#key-1"))
    issued = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    document["issued"] = format_time(issued)
    return pretty_json(sign_trust_list(document, gov.private_key, gov.verification_method, issued))


def revoke_agreement_keys(port_id: str) -> Callable[[dict[str, Any]], None]:
    """A trust-list change: every ``keyAgreement`` key of ``port_id`` revoked an hour ago."""
    revoked = format_time(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))

    def change(document: dict[str, Any]) -> None:
        participant = next(p for p in document["participants"] if p["id"] == port_id)
        for key in participant["keys"]:
            if "keyAgreement" in key["purposes"]:
                key["revokedAt"] = revoked

    return change


def seal_category(port_id: str, category: str) -> Callable[[dict[str, Any]], None]:
    """A trust-list change: ``port_id`` takes ``category`` only sealed (moved from permitted to sealed)."""

    def change(document: dict[str, Any]) -> None:
        policy = document["policies"][port_id]
        policy["permittedDataCategories"] = [c for c in policy["permittedDataCategories"] if c != category]
        policy["sealedDataCategories"] = [*policy.get("sealedDataCategories", []), category]

    return change


@contextmanager
def real_port(
    tmp_path: Path, sandbox: Sandbox, registry: RegistryStandin, trust_list: bytes | None = None
) -> Iterator[Any]:
    """cn-port-03's app over its own SQLite database (and ``trust_list`` when given), at ``SEALING_PORT_URL``."""
    data_dir = tmp_path / "port-data"
    write_sandbox(sandbox, data_dir)
    if trust_list is not None:
        (data_dir / "trust-list.json").write_bytes(trust_list)
    settings = NodeSettings(
        node_id=SEALING_PORT,
        data_dir=data_dir,
        database_url=f"sqlite:///{tmp_path / 'port.db'}",
        public_origins=[SEALING_PORT_URL],
        peer_urls={"registry": REGISTRY_URL},
    )
    app = create_app(settings, node=PortNode.open(settings, registry_transport=registry.transport()))
    try:
        yield app
    finally:
        app.state.node.close()
