"""Sealed credentials interoperate with code written by others (issue 15's acceptance, docs/design.md §4).

``tests/interop/sealed_open.mjs`` opens a sealed credential we emit with the npm package ``jose`` (panva),
given the port's X25519 private key as a JWK and accepting only ``ECDH-ES+A256KW``/``A256GCM``, then verifies
the credential inside against the trust list (Node's Ed25519, ``canonicalize``, ``multiformats``, or ``jose``
for an enveloped JWS). ``tests/interop/sealed_seal.mjs`` seals a credential to our public key with ``jose``,
and :func:`schemas.sealing.open_sealed_credential` must open it. ``tests/interop/sealed_vector_open.mjs``
opens the published sealed vectors with the test key of ``schemas/vectors/keys/cn-port-03.pem``, and the
credential inside is verified by the outside verifier of ``test_independent_verifier`` (written from the
spec). None of them shares code with ``schemas/``; ``scripts/test-deps.sh`` installs their packages (``npm ci``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import VerificationError
from schemas.keys import x25519_key_from_seed
from schemas.sealing import open_sealed_credential, seal, sealed_credential
from tests.contract.test_independent_verifier import outside_signing_keys, verify_eddsa_jcs_2022
from tests.support.files import VECTORS

INTEROP = Path(__file__).resolve().parents[1] / "interop"
TRUST_LIST = VECTORS / "trust-list.json"
PORT_KEY = x25519_key_from_seed(b"sealing interop/cn-port-03")
OTHER_KEY = x25519_key_from_seed(b"sealing interop/another port")
KID = "did:web:pilot.example:cn-port-03#key-agreement-1"
CREDENTIALS = {
    "embedded-proof": VECTORS / "valid" / "credential-conformity-credential.json",
    "enveloped-jws": VECTORS / "valid" / "credential-facility-record-jose.json",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwk(key: X25519PrivateKey, *, private: bool) -> dict[str, str]:
    """RFC 8037 §2: an X25519 key as an OKP JWK (``d`` only for the private one)."""
    jwk = {"kty": "OKP", "crv": "X25519", "x": _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))}
    if private:
        jwk["d"] = _b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    return jwk


def _write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _node(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed: run scripts/test-deps.sh"
    assert (INTEROP / "node_modules" / "jose").is_dir(), "run scripts/test-deps.sh (npm ci in tests/interop)"
    return subprocess.run(
        [node, str(INTEROP / script), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def _open_in_node(tmp_path: Path, sealed: dict[str, Any], key: X25519PrivateKey = PORT_KEY) -> dict[str, Any]:
    done = _node(
        "sealed_open.mjs",
        _write(tmp_path / "sealed.json", sealed),
        _write(tmp_path / "key.json", _jwk(key, private=True)),
        TRUST_LIST,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_a_credential_we_seal_opens_and_verifies_in_node(tmp_path: Path, name: str) -> None:
    credential = json.loads(CREDENTIALS[name].read_text())
    result = _open_in_node(tmp_path, sealed_credential(seal(credential, PORT_KEY.public_key(), KID)))
    header = result["header"]
    assert (header["alg"], header["enc"], header["kid"], header["typ"], header["cty"]) == (
        "ECDH-ES+A256KW",
        "A256GCM",
        KID,
        "JOSE",
        "vc",
    )
    assert header["epk"]["crv"] == "X25519"
    # The plaintext is the signed credential's RFC 8785 text, untouched, and its signature verifies there.
    assert result["plaintext"].encode() == canonicalize(credential)
    assert result["verified"] is True
    assert result["issuer"].startswith("did:web:pilot.example:")


def test_node_finds_a_broken_signature_inside_a_well_sealed_credential(tmp_path: Path) -> None:
    credential = json.loads(CREDENTIALS["embedded-proof"].read_text())
    credential["validUntil"] = "2099-01-01T00:00:00Z"
    result = _open_in_node(tmp_path, sealed_credential(seal(credential, PORT_KEY.public_key(), KID)))
    assert result["verified"] is False


@pytest.mark.parametrize("case", ["tampered-ciphertext", "another-key"])
def test_node_cannot_open_a_tampered_one_or_with_another_key(tmp_path: Path, case: str) -> None:
    credential = json.loads(CREDENTIALS["embedded-proof"].read_text())
    token = seal(credential, PORT_KEY.public_key(), KID)
    key = PORT_KEY
    if case == "tampered-ciphertext":
        parts = token.split(".")
        parts[3] = ("B" if parts[3][0] == "A" else "A") + parts[3][1:]
        token = ".".join(parts)
    else:
        key = OTHER_KEY
    done = _node(
        "sealed_open.mjs",
        _write(tmp_path / "sealed.json", sealed_credential(token)),
        _write(tmp_path / "key.json", _jwk(key, private=True)),
        TRUST_LIST,
    )
    assert done.returncode != 0
    assert "ERR_JWE_DECRYPTION_FAILED" in done.stderr, done.stderr


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_a_credential_node_seals_to_our_key_opens_here(tmp_path: Path, name: str) -> None:
    credential = json.loads(CREDENTIALS[name].read_text())
    done = _node(
        "sealed_seal.mjs", CREDENTIALS[name], _write(tmp_path / "key.json", _jwk(PORT_KEY, private=False)), KID
    )
    assert done.returncode == 0, done.stderr
    opened = open_sealed_credential(json.loads(done.stdout), {KID: PORT_KEY})
    assert opened.credential == credential
    assert opened.digest == credential_digest(credential)
    assert opened.kid == KID


def test_a_credential_node_seals_with_another_enc_is_refused_here(tmp_path: Path) -> None:
    public = _write(tmp_path / "key.json", _jwk(PORT_KEY, private=False))
    done = _node("sealed_seal.mjs", CREDENTIALS["embedded-proof"], public, KID, "A128GCM")
    assert done.returncode == 0, done.stderr
    with pytest.raises(VerificationError) as info:
        open_sealed_credential(json.loads(done.stdout), {KID: PORT_KEY})
    assert info.value.code is Code.SEALED_ALGORITHM_UNSUPPORTED


# -- the published sealed vectors (schemas/vectors/sealed, docs/vectors.md) ---------------------------------------

SEALED_VECTORS = VECTORS / "sealed"
PORT_KEYRING = VECTORS / "keys" / "cn-port-03.pem"


def _open_vector_in_node(vector: Path, keyring: Path = PORT_KEYRING) -> subprocess.CompletedProcess[str]:
    return _node("sealed_vector_open.mjs", vector, keyring)


def test_the_published_sealed_vector_opens_in_node_and_verifies_outside() -> None:
    """Node ``jose`` opens it with the published test key; the outside verifier (written from the spec, not
    with ``schemas``) checks the credential inside and the manifest, whose pin is the plaintext's digest."""
    path = SEALED_VECTORS / "valid" / "submission-sealed-laboratory.json"
    submission = json.loads(path.read_text())
    done = _open_vector_in_node(path)
    assert done.returncode == 0, done.stderr
    (opened,) = json.loads(done.stdout)["opened"]
    assert opened["kid"] == "did:web:pilot.example:cn-port-03#key-4"
    assert (opened["header"]["alg"], opened["header"]["enc"]) == ("ECDH-ES+A256KW", "A256GCM")

    keys = outside_signing_keys()
    manifest = submission["manifest"]
    verify_eddsa_jcs_2022(manifest, keys[manifest["proof"]["verificationMethod"]])
    plaintext = opened["plaintext"].encode()
    credential = json.loads(plaintext)
    assert rfc8785.dumps(credential) == plaintext  # the signed credential's RFC 8785 bytes, untouched
    verify_eddsa_jcs_2022(credential, keys[credential["proof"]["verificationMethod"]])
    assert "DigitalConformityCredential" in credential["type"]
    assessment = credential["credentialSubject"]["assessment"][0]
    assert assessment["laboratoryResults"] and "sample LAB-" in assessment["laboratoryResults"][0]["result"]
    pins = {c["id"]: c["digest"] for c in manifest["credentialSubject"]["credentials"]}
    assert pins[credential["id"]] == "sha-256:" + hashlib.sha256(plaintext).hexdigest()


def test_the_published_tampered_vector_does_not_open_in_node() -> None:
    done = _open_vector_in_node(SEALED_VECTORS / "invalid" / "submission-sealed-tampered-ciphertext.json")
    assert done.returncode != 0
    assert "ERR_JWE_DECRYPTION_FAILED" in done.stderr, done.stderr


def test_the_published_wrong_recipient_vector_opens_only_with_the_other_ports_key() -> None:
    path = SEALED_VECTORS / "invalid" / "submission-sealed-wrong-recipient.json"
    refused = _open_vector_in_node(path)
    assert refused.returncode != 0 and "no keyAgreement key" in refused.stderr, refused.stderr
    other = _open_vector_in_node(path, VECTORS / "keys" / "cn-port-01.pem")
    assert other.returncode == 0, other.stderr
    (opened,) = json.loads(other.stdout)["opened"]
    assert opened["kid"] == "did:web:pilot.example:cn-port-01#key-4"
