"""Digests: sha-256:<lowercase hex>, over JCS bytes (proof included) or over the JWS of an enveloped credential."""

from __future__ import annotations

import hashlib

import pytest

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import canonical_digest, credential_digest, parse_digest, sha256_digest
from schemas.errors import VerificationError
from schemas.jose import sign_enveloped
from schemas.keys import key_from_seed


def test_sha256_digest_known_answer() -> None:
    # FIPS 180-2 appendix B.1: SHA-256("abc").
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_digest(b"abc") == "sha-256:" + expected
    assert parse_digest("sha-256:" + expected) == bytes.fromhex(expected)


@pytest.mark.parametrize(
    "text",
    [
        "sha-256:" + "A" * 64,  # uppercase hex
        "sha-256:" + "a" * 63,
        "sha-256:" + "a" * 65,
        "sha256:" + "a" * 64,
        "SHA-256:" + "a" * 64,
        "a" * 64,
        "sha-256:" + "g" * 64,
        " sha-256:" + "a" * 64,
        "sha-256:" + "a" * 64 + "\n",
        "",
    ],
)
def test_parse_digest_refuses_other_forms(text: str) -> None:
    with pytest.raises(VerificationError) as info:
        parse_digest(text)
    assert info.value.code is Code.SCHEMA_INVALID


def test_canonical_digest_ignores_member_order() -> None:
    a = {"b": [1, 2.5], "a": "é"}
    b = {"a": "é", "b": [1, 2.5]}
    assert canonical_digest(a) == canonical_digest(b) == sha256_digest(canonicalize(a))
    assert canonical_digest(a) != canonical_digest({"a": "é", "b": [1, 2.6]})


def test_embedded_proof_credential_digest_includes_the_proof() -> None:
    credential = {"type": ["VerifiableCredential"], "proof": {"proofValue": "z1"}}
    assert credential_digest(credential) == sha256_digest(canonicalize(credential))
    assert credential_digest(credential) != canonical_digest({"type": ["VerifiableCredential"]})


def test_enveloped_credential_digest_is_over_the_jws_ascii() -> None:
    enveloped = sign_enveloped({"type": ["VerifiableCredential"]}, key_from_seed(b"d"), "did:example:1#k")
    jws = enveloped["id"].removeprefix("data:application/vc+jwt,")
    assert credential_digest(enveloped) == "sha-256:" + hashlib.sha256(jws.encode("ascii")).hexdigest()
    assert credential_digest(enveloped) != canonical_digest(enveloped)


def test_enveloped_credential_with_non_ascii_jws_is_schema_invalid() -> None:
    doc = {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,é.a.b"}
    with pytest.raises(VerificationError) as info:
        credential_digest(doc)
    assert info.value.code is Code.SCHEMA_INVALID
