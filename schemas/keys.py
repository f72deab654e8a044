"""Ed25519 key handling: deterministic keys from a seed, PKCS#8 PEM files, raw public key bytes.

Also deterministic X25519 keys (a port's ``keyAgreement`` keys, docs/design.md §5) for the sandbox.

Keys on disk are PKCS#8 PEM (RFC 5958 / RFC 8410 §7), encrypted with the best encryption the
``cryptography`` package offers when a passphrase is given (docs/design.md §9, ``PILOT_KEY_PASSPHRASE``).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    KeySerializationEncryption,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from schemas.errors import KeyFormatError

__all__ = [
    "agreement_key_from_pem",
    "key_from_seed",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_bytes",
    "x25519_key_from_seed",
]

#: Prefixed to the seed of an X25519 key, so that one seed given to both functions never yields the
#: same 32 secret bytes as an Ed25519 seed and as an X25519 scalar (one secret, one algorithm).
_X25519_SEED_DOMAIN = b"pilot x25519 keyAgreement\x00"


def key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key whose 32-byte private key is SHA-256(seed): deterministic, any seed length."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())


def x25519_key_from_seed(seed: bytes) -> X25519PrivateKey:
    """The X25519 key whose 32-byte private key is SHA-256(domain || seed): deterministic, any seed length."""
    return X25519PrivateKey.from_private_bytes(hashlib.sha256(_X25519_SEED_DOMAIN + seed).digest())


def private_key_to_pem(key: Ed25519PrivateKey | X25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM of ``key``; encrypted (BestAvailableEncryption) when a passphrase is given."""
    encryption: KeySerializationEncryption = BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)


def _load_pem(data: bytes, passphrase: bytes | None) -> PrivateKeyTypes:
    try:
        return load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # cryptography: TypeError for a missing or unexpected password, ValueError for a wrong one or
        # bad data, UnsupportedAlgorithm for a key type or cipher it cannot load.
        raise KeyFormatError(f"cannot load the PEM private key: {exc}") from exc


def private_key_from_pem(data: bytes, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 key in a PKCS#8 PEM; KeyFormatError for a wrong passphrase, another type, garbage."""
    key = _load_pem(data, passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError(f"expected an Ed25519 private key, found {type(key).__name__}")
    return key


def agreement_key_from_pem(data: bytes, passphrase: bytes | None = None) -> X25519PrivateKey:
    """The X25519 key (a port's ``keyAgreement`` key) in a PKCS#8 PEM; KeyFormatError as above."""
    key = _load_pem(data, passphrase)
    if not isinstance(key, X25519PrivateKey):
        raise KeyFormatError(f"expected an X25519 private key, found {type(key).__name__}")
    return key


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32-byte Ed25519 public key of a private or public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)
