"""W3C Multikey encoding of Ed25519 and X25519 keys: ``z`` + base58btc(multicodec prefix || raw key bytes).

Controlled Identifiers v1.0 §2.2.2 (Multikey) and vc-di-eddsa §2.1.1: a public key is the varint
multicodec ``ed25519-pub`` (0xed, i.e. bytes ``0xed 0x01``) followed by its 32 bytes; a secret key
is ``ed25519-priv`` (0x1300, i.e. bytes ``0x80 0x26``) followed by the 32-byte seed. The multibase
prefix ``z`` means base58btc (the Bitcoin alphabet).

A port's ``keyAgreement`` key (docs/design.md §5) is X25519 (RFC 7748): the multicodec ``x25519-pub``
(0xec, i.e. bytes ``0xec 0x01``) followed by its 32 bytes, so every such Multikey starts ``z6LS``.
The two kinds are never interchangeable: each decoder refuses the other's prefix by name, so a
signing key listed where an encryption key belongs (or the reverse) fails loudly instead of being
used for the wrong algorithm.
"""

from __future__ import annotations

from functools import lru_cache

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from schemas.errors import KeyFormatError

__all__ = [
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "X25519_PUB_PREFIX",
    "decode_multibase_base58btc",
    "decode_multikey",
    "decode_private_multikey",
    "decode_x25519_multikey",
    "encode_multibase_base58btc",
    "encode_multikey",
    "encode_private_multikey",
    "encode_x25519_multikey",
]

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
X25519_PUB_PREFIX = b"\xec\x01"
#: The multicodec prefixes we know, named, so that a key of the wrong kind is refused by name.
_KNOWN_PREFIXES = {
    ED25519_PUB_PREFIX: "an Ed25519 public key (multicodec ed25519-pub)",
    ED25519_PRIV_PREFIX: "an Ed25519 secret key (multicodec ed25519-priv)",
    X25519_PUB_PREFIX: "an X25519 public key (multicodec x25519-pub)",
}
_KEY_LENGTH = 32
#: Decoded public keys kept (public values, immutable objects): more than a trust list names.
_DECODED_KEYS = 4096
#: Any fixed private key tells a low-order X25519 point (see decode_x25519_multikey); not a secret.
_LOW_ORDER_PROBE = X25519PrivateKey.from_private_bytes(bytes(range(32)))
_BASE58_ALPHABET_ORDER = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_ALPHABET = frozenset(_BASE58_ALPHABET_ORDER)


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
    return _b58decode(body)


_BASE58_DIGITS = str.maketrans(_BASE58_ALPHABET_ORDER, "".join(map(chr, range(58))))
_BASE58_CHUNK = 58**5


def _b58decode(body: str) -> bytes:
    """``base58.b58decode(body)`` for a non-empty string of base58btc characters only, 2 to 5 times faster.

    Every proof value is decoded once per credential, and the package's decoder was a tenth of the
    verification time (measured: 4,800 decodes 0.47 s of a 7.1 s profile, most of it in its byte-by-byte
    ``divmod`` loop; a 64-byte signature 10 to 30 us, here 5 to 6 us). Same arithmetic: the big-endian
    base-58 number, five digits at a time, written with ``int.to_bytes``; each leading ``1`` is a zero byte.
    """
    digits = body.translate(_BASE58_DIGITS).encode("latin-1")
    head = len(digits) % 5
    number = 0
    for digit in digits[:head]:
        number = number * 58 + digit
    for start in range(head, len(digits), 5):
        a, b, c, d, e = digits[start : start + 5]
        number = number * _BASE58_CHUNK + (((a * 58 + b) * 58 + c) * 58 + d) * 58 + e
    zeros = len(body) - len(body.lstrip("1"))
    return bytes(zeros) + number.to_bytes((number.bit_length() + 7) // 8, "big")


def _decode(text: str, prefix: bytes, what: str) -> bytes:
    data = decode_multibase_base58btc(text)
    if not data.startswith(prefix):
        known = _KNOWN_PREFIXES.get(data[:2])
        if known is not None:
            raise KeyFormatError(f"expected an {what} multikey, found {known}: the kinds are not interchangeable")
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
    """The Ed25519 public key of a ``publicKeyMultibase``; KeyFormatError on prefix, length, alphabet.

    Decoded once per value (``_DECODED_KEYS`` kept): every trust list a node loads names the same keys.
    """
    return _decode_ed25519_cached(text) if isinstance(text, str) else _decode_ed25519(text)


def _decode_ed25519(text: str) -> Ed25519PublicKey:
    raw = _decode(text, ED25519_PUB_PREFIX, "Ed25519 public")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:  # pragma: no cover - any 32 bytes load; kept for the boundary rule
        raise KeyFormatError(f"not an Ed25519 public key: {exc}") from exc


_decode_ed25519_cached = lru_cache(maxsize=_DECODED_KEYS)(_decode_ed25519)


def encode_private_multikey(private_key: Ed25519PrivateKey) -> str:
    """``secretKeyMultibase`` of an Ed25519 private key (its 32-byte seed)."""
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return encode_multibase_base58btc(ED25519_PRIV_PREFIX + seed)


def decode_private_multikey(text: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of a ``secretKeyMultibase``; KeyFormatError on a bad form."""
    seed = _decode(text, ED25519_PRIV_PREFIX, "Ed25519 secret")
    return Ed25519PrivateKey.from_private_bytes(seed)


def encode_x25519_multikey(public_key: X25519PublicKey) -> str:
    """``publicKeyMultibase`` of an X25519 public key (a port's ``keyAgreement`` key)."""
    if not isinstance(public_key, X25519PublicKey):
        raise KeyFormatError(f"expected an X25519 public key, found {type(public_key).__name__}")
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return encode_multibase_base58btc(X25519_PUB_PREFIX + raw)


def decode_x25519_multikey(text: str) -> X25519PublicKey:
    """The X25519 public key of a ``publicKeyMultibase``; KeyFormatError on an Ed25519 key, prefix, length.

    Decoded and probed once per value (``_DECODED_KEYS`` kept), as ``decode_multikey``.
    """
    return _decode_x25519_cached(text) if isinstance(text, str) else _decode_x25519(text)


def _decode_x25519(text: str) -> X25519PublicKey:
    raw = _decode(text, X25519_PUB_PREFIX, "X25519 public")
    public_key = X25519PublicKey.from_public_bytes(raw)
    try:
        # Any private scalar is a multiple of the cofactor once clamped (RFC 7748 §5), so one probe
        # tells a low-order point: its shared secret is all zeros for every private key, and
        # cryptography refuses it (RFC 7748 §6.1). Such a key could never be sealed to.
        _LOW_ORDER_PROBE.exchange(public_key)
    except ValueError as exc:
        raise KeyFormatError("the X25519 public key is a low-order point, unusable for key agreement") from exc
    return public_key


_decode_x25519_cached = lru_cache(maxsize=_DECODED_KEYS)(_decode_x25519)
