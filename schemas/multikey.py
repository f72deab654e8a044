"""W3C Multikey encoding of Ed25519 keys: ``z`` + base58btc(multicodec prefix || raw key bytes).

Controlled Identifiers v1.0 §2.2.2 (Multikey) and vc-di-eddsa §2.1.1: a public key is the varint
multicodec ``ed25519-pub`` (0xed, i.e. bytes ``0xed 0x01``) followed by its 32 bytes; a secret key
is ``ed25519-priv`` (0x1300, i.e. bytes ``0x80 0x26``) followed by the 32-byte seed. The multibase
prefix ``z`` means base58btc (the Bitcoin alphabet).
"""

from __future__ import annotations

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from schemas.errors import KeyFormatError

__all__ = [
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "decode_multibase_base58btc",
    "decode_multikey",
    "decode_private_multikey",
    "encode_multibase_base58btc",
    "encode_multikey",
    "encode_private_multikey",
]

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
_KEY_LENGTH = 32
_BASE58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def encode_multibase_base58btc(data: bytes) -> str:
    """Multibase base58btc: ``z`` followed by the Bitcoin-alphabet base58 of ``data``."""
    return "z" + base58.b58encode(data).decode("ascii")


def decode_multibase_base58btc(text: str) -> bytes:
    """The bytes of a ``z...`` multibase string; KeyFormatError on another base or a bad character."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise KeyFormatError("multibase value must start with 'z' (base58btc)")
    body = text[1:]
    if not body:
        raise KeyFormatError("multibase value is empty after its 'z' prefix")
    bad = set(body) - _BASE58_ALPHABET
    if bad:
        raise KeyFormatError(f"characters outside the base58btc alphabet: {''.join(sorted(bad))[:10]!r}")
    return base58.b58decode(body)


def _decode(text: str, prefix: bytes, what: str) -> bytes:
    data = decode_multibase_base58btc(text)
    if not data.startswith(prefix):
        raise KeyFormatError(f"{what} multikey must start with multicodec bytes {prefix.hex()}, got {data[:2].hex()}")
    raw = data[len(prefix) :]
    if len(raw) != _KEY_LENGTH:
        raise KeyFormatError(f"{what} multikey holds {len(raw)} key bytes, expected {_KEY_LENGTH}")
    return raw


def encode_multikey(public_key: Ed25519PublicKey) -> str:
    """``publicKeyMultibase`` of an Ed25519 public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return encode_multibase_base58btc(ED25519_PUB_PREFIX + raw)


def decode_multikey(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a ``publicKeyMultibase``; KeyFormatError on prefix, length, alphabet."""
    raw = _decode(text, ED25519_PUB_PREFIX, "Ed25519 public")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:  # pragma: no cover - any 32 bytes load; kept for the boundary rule
        raise KeyFormatError(f"not an Ed25519 public key: {exc}") from exc


def encode_private_multikey(private_key: Ed25519PrivateKey) -> str:
    """``secretKeyMultibase`` of an Ed25519 private key (its 32-byte seed)."""
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return encode_multibase_base58btc(ED25519_PRIV_PREFIX + seed)


def decode_private_multikey(text: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of a ``secretKeyMultibase``; KeyFormatError on a bad form."""
    seed = _decode(text, ED25519_PRIV_PREFIX, "Ed25519 secret")
    return Ed25519PrivateKey.from_private_bytes(seed)
