"""A verifier written from the spec alone (docs/design.md §§4, 5), not with our ``schemas`` code.

It holds only ``trust-list.json`` and ``trust-anchor.json`` and uses rfc8785, base58 and cryptography:
if it verifies the trust list and every valid vector, an outside implementer can too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import base58
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.support.files import VECTORS


def multikey(text: str) -> Ed25519PublicKey:
    raw = base58.b58decode(text[1:])
    assert text[0] == "z" and raw[:2] == b"\xed\x01" and len(raw) == 34
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify_eddsa_jcs_2022(document: dict[str, Any], key: Ed25519PublicKey) -> None:
    proof = dict(document["proof"])
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    signature = base58.b58decode(proof.pop("proofValue")[1:])
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    if "@context" in document:
        proof["@context"] = document["@context"]
    data = hashlib.sha256(rfc8785.dumps(proof)).digest() + hashlib.sha256(rfc8785.dumps(unsigned)).digest()
    key.verify(signature, data)  # raises InvalidSignature


def verify_jws(enveloped: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> dict[str, Any]:
    jws = enveloped["id"].removeprefix("data:application/vc+jwt,")
    header_b64, payload_b64, signature_b64 = jws.split(".")

    def b64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    header = json.loads(b64(header_b64))
    assert header["alg"] in ("EdDSA", "Ed25519") and header["typ"] == "vc+jwt"
    keys[header["kid"]].verify(b64(signature_b64), f"{header_b64}.{payload_b64}".encode())
    payload: dict[str, Any] = json.loads(b64(payload_b64))
    return payload


def outside_signing_keys() -> dict[str, Ed25519PublicKey]:
    """The trust list's signing keys as an outside verifier reads them, after it verified the list."""
    anchor = json.loads((VECTORS / "trust-anchor.json").read_text())
    trust_list = json.loads((VECTORS / "trust-list.json").read_text())
    anchor_keys = {k["id"]: multikey(k["publicKeyMultibase"]) for k in anchor["keys"]}
    verify_eddsa_jcs_2022(trust_list, anchor_keys[trust_list["proof"]["verificationMethod"]])
    # Signing keys only: a port's keyAgreement key is X25519 (sealing), never a signature key.
    return {
        k["id"]: multikey(k["publicKeyMultibase"])
        for p in trust_list["participants"]
        for k in p["keys"]
        if "keyAgreement" not in k["purposes"]
    }


@pytest.fixture(scope="module")
def trusted_keys() -> dict[str, Ed25519PublicKey]:
    return outside_signing_keys()


def _valid_files() -> list[Path]:
    return sorted((VECTORS / "valid").glob("*.json"))


@pytest.mark.parametrize("path", _valid_files(), ids=lambda p: p.name)
def test_outside_verifier_accepts_valid_vector(path: Path, trusted_keys: dict[str, Ed25519PublicKey]) -> None:
    document = json.loads(path.read_text())
    credentials = [document["manifest"], *document["credentials"]] if "manifest" in document else [document]
    for credential in credentials:
        if credential.get("type") == "EnvelopedVerifiableCredential":
            verify_jws(credential, trusted_keys)
        else:
            verify_eddsa_jcs_2022(credential, trusted_keys[credential["proof"]["verificationMethod"]])
