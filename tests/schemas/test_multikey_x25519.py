"""X25519 Multikey (a port's ``keyAgreement`` key, docs/design.md §5) and deterministic X25519 keys from a seed."""

from __future__ import annotations

import hashlib

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from schemas.codes import Code
from schemas.errors import KeyFormatError
from schemas.keys import key_from_seed, x25519_key_from_seed
from schemas.multikey import (
    decode_multikey,
    decode_private_multikey,
    decode_x25519_multikey,
    encode_multikey,
    encode_private_multikey,
    encode_x25519_multikey,
)

#: RFC 7748 §6.1: Alice's X25519 public key.
RFC7748_ALICE = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
PORT = x25519_key_from_seed(b"multikey tests/port")
ED25519 = key_from_seed(b"multikey tests/signer")


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _z(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode()


def test_x25519_multikey_layout_and_round_trip() -> None:
    text = encode_x25519_multikey(PORT.public_key())
    assert text.startswith("z6LS")  # every X25519 Multikey does: 0xec 0x01 in base58btc
    data = base58.b58decode(text[1:])
    assert data[:2] == b"\xec\x01" and data[2:] == _raw(PORT.public_key()) and len(data) == 34
    assert _raw(decode_x25519_multikey(text)) == _raw(PORT.public_key())


def test_the_rfc_7748_key_round_trips() -> None:
    text = _z(b"\xec\x01" + RFC7748_ALICE)
    public_key = decode_x25519_multikey(text)
    assert _raw(public_key) == RFC7748_ALICE
    assert encode_x25519_multikey(public_key) == text


def test_an_ed25519_multikey_is_refused_as_x25519_by_name() -> None:
    with pytest.raises(KeyFormatError) as info:
        decode_x25519_multikey(encode_multikey(ED25519.public_key()))
    assert "Ed25519 public key" in str(info.value)
    assert info.value.code is Code.PROOF_INVALID


def test_an_x25519_multikey_is_refused_as_ed25519_by_name() -> None:
    text = encode_x25519_multikey(PORT.public_key())
    for decode in (decode_multikey, decode_private_multikey):
        with pytest.raises(KeyFormatError) as info:
            decode(text)
        assert "X25519 public key" in str(info.value)


def test_an_ed25519_secret_multikey_is_refused_as_x25519() -> None:
    with pytest.raises(KeyFormatError) as info:
        decode_x25519_multikey(encode_private_multikey(ED25519))
    assert "Ed25519 secret key" in str(info.value)


def test_encode_refuses_an_ed25519_key() -> None:
    with pytest.raises(KeyFormatError):
        encode_x25519_multikey(ED25519.public_key())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty", ""),
        ("only-prefix", "z"),
        ("base64-multibase", "m7AE"),
        ("bad-alphabet", "z6LS0" + encode_x25519_multikey(PORT.public_key())[5:]),
        ("unknown-prefix", _z(b"\x12\x00" + bytes(32))),
        ("too-short", _z(b"\xec\x01" + RFC7748_ALICE[:31])),
        ("too-long", _z(b"\xec\x01" + RFC7748_ALICE + b"\x00")),
        # Low-order points (RFC 7748 §6.1; the curve's small subgroup): a shared secret of all zeros.
        ("low-order-zero", _z(b"\xec\x01" + bytes(32))),
        ("low-order-one", _z(b"\xec\x01" + b"\x01" + bytes(31))),
        (
            "low-order-eight",
            _z(b"\xec\x01" + bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")),
        ),
    ],
)
def test_decode_x25519_multikey_refuses(name: str, text: str) -> None:
    with pytest.raises(KeyFormatError):
        decode_x25519_multikey(text)


def test_x25519_key_from_seed_is_deterministic_and_separated_from_ed25519() -> None:
    assert _raw(x25519_key_from_seed(b"a").public_key()) == _raw(x25519_key_from_seed(b"a").public_key())
    assert _raw(x25519_key_from_seed(b"a").public_key()) != _raw(x25519_key_from_seed(b"b").public_key())
    secret = x25519_key_from_seed(b"x").private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    assert secret == hashlib.sha256(b"pilot x25519 keyAgreement\x00x").digest()
    # One seed given to both functions never yields the same secret bytes for both algorithms.
    ed_seed = key_from_seed(b"x").private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    assert secret != ed_seed
    assert len(_raw(x25519_key_from_seed(b"").public_key())) == 32
