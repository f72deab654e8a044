"""Multikey (publicKeyMultibase / secretKeyMultibase) and PEM key files for Ed25519."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from schemas.codes import Code
from schemas.errors import KeyFormatError
from schemas.keys import key_from_seed, private_key_from_pem, private_key_to_pem, public_key_bytes
from schemas.multikey import (
    decode_multikey,
    decode_private_multikey,
    encode_multikey,
    encode_private_multikey,
)

_LOCAL = key_from_seed(b"multikey tests")
KEYPAIR = {
    "publicKeyMultibase": encode_multikey(_LOCAL.public_key()),
    "secretKeyMultibase": encode_private_multikey(_LOCAL),
}


def test_key_pair_round_trips() -> None:
    private_key = decode_private_multikey(KEYPAIR["secretKeyMultibase"])
    public_key = decode_multikey(KEYPAIR["publicKeyMultibase"])
    assert public_key_bytes(private_key) == public_key_bytes(public_key) == public_key_bytes(_LOCAL)
    assert encode_multikey(private_key.public_key()) == KEYPAIR["publicKeyMultibase"]
    assert encode_private_multikey(private_key) == KEYPAIR["secretKeyMultibase"]
    assert base58.b58decode(KEYPAIR["secretKeyMultibase"][1:])[:2] == b"\x80\x26"


@pytest.mark.reference
def test_w3c_vector_did_key_round_trips(reference_dir: Path) -> None:
    # The eddsa-jcs-2022 vector's verificationMethod is did:key:<multikey>#<multikey> (its public key).
    signed = json.loads((reference_dir / "eddsa" / "signedJCS.json").read_bytes())
    did, _, fragment = signed["proof"]["verificationMethod"].partition("#")
    assert did == f"did:key:{fragment}"
    public_key = decode_multikey(fragment)
    assert encode_multikey(public_key) == fragment
    assert len(public_key_bytes(public_key)) == 32


def test_public_multikey_layout() -> None:
    key = key_from_seed(b"layout")
    text = encode_multikey(key.public_key())
    assert text.startswith("z6Mk")  # every Ed25519 Multikey does: 0xed 0x01 in base58btc
    raw = base58.b58decode(text[1:])
    assert raw[:2] == b"\xed\x01" and raw[2:] == public_key_bytes(key) and len(raw) == 34


def _z(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty", ""),
        ("only-prefix", "z"),
        ("base64-multibase", "m7QE"),
        ("no-multibase-prefix", KEYPAIR["publicKeyMultibase"][1:]),
        ("bad-alphabet-0", "z6Mk0" + KEYPAIR["publicKeyMultibase"][5:]),
        ("bad-alphabet-l", "z6Mkl" + KEYPAIR["publicKeyMultibase"][5:]),
        ("secret-key-as-public", KEYPAIR["secretKeyMultibase"]),
        ("x25519-prefix", _z(b"\xec\x01" + bytes(32))),
        ("too-short", _z(b"\xed\x01" + bytes(31))),
        ("too-long", _z(b"\xed\x01" + bytes(33))),
        ("truncated-text", KEYPAIR["publicKeyMultibase"][:-1]),
    ],
)
def test_decode_multikey_refuses(name: str, text: str) -> None:
    with pytest.raises(KeyFormatError) as info:
        decode_multikey(text)
    assert info.value.code is Code.PROOF_INVALID


@pytest.mark.parametrize(
    "text",
    ["", "z", KEYPAIR["publicKeyMultibase"], _z(b"\x80\x26" + bytes(31)), _z(b"\x80\x27" + bytes(32))],
)
def test_decode_private_multikey_refuses(text: str) -> None:
    with pytest.raises(KeyFormatError):
        decode_private_multikey(text)


def test_key_from_seed_is_deterministic_for_any_length() -> None:
    assert public_key_bytes(key_from_seed(b"a")) == public_key_bytes(key_from_seed(b"a"))
    assert public_key_bytes(key_from_seed(b"a")) != public_key_bytes(key_from_seed(b"b"))
    assert len(public_key_bytes(key_from_seed(b""))) == 32
    assert len(public_key_bytes(key_from_seed(bytes(1000)))) == 32
    seed = key_from_seed(b"x").private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    assert seed == hashlib.sha256(b"x").digest()


def test_pem_round_trip_plain_and_encrypted() -> None:
    key = key_from_seed(b"pem")
    plain = private_key_to_pem(key)
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_key_bytes(private_key_from_pem(plain)) == public_key_bytes(key)
    encrypted = private_key_to_pem(key, b"correct horse")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public_key_bytes(private_key_from_pem(encrypted, b"correct horse")) == public_key_bytes(key)


@pytest.mark.parametrize(
    ("name", "data", "passphrase"),
    [
        ("wrong-passphrase", private_key_to_pem(key_from_seed(b"k"), b"right"), b"wrong"),
        ("missing-passphrase", private_key_to_pem(key_from_seed(b"k"), b"right"), None),
        ("unexpected-passphrase", private_key_to_pem(key_from_seed(b"k")), b"extra"),
        ("garbage", b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", None),
        ("empty", b"", None),
        (
            "p256-key",
            generate_private_key(SECP256R1()).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
            None,
        ),
    ],
)
def test_private_key_from_pem_refuses(name: str, data: bytes, passphrase: bytes | None) -> None:
    with pytest.raises(KeyFormatError):
        private_key_from_pem(data, passphrase)
