"""A participant's keyring file: several labelled PKCS#8 Ed25519 keys in one PEM file.

docs/design.md §9 puts every participant's keys in ``keys/<short id>.pem``. A port has at least three
keys (``assertion``/``authentication``, ``log``, ``witness``) and rotation adds more, so the file holds
one PEM block per key, each preceded by a comment line naming its verificationMethod id and purposes:

    # did:web:pilot.example:cn-port-01#key-1 assertion,authentication
    -----BEGIN PRIVATE KEY-----
    ...
    -----END PRIVATE KEY-----

Text outside PEM blocks is ignored by PEM readers (RFC 7468 section 2), so each block stays a plain
PKCS#8 key that ``openssl pkey`` reads; with a passphrase each block is an ENCRYPTED PRIVATE KEY.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.errors import KeyFormatError
from schemas.keys import private_key_from_pem, private_key_to_pem

_BLOCK = re.compile(
    r"^# (?P<vm>\S+) (?P<purposes>[a-z,]+)\n(?P<pem>-----BEGIN (?:ENCRYPTED )?PRIVATE KEY-----\n"
    r"[A-Za-z0-9+/=\n]+-----END (?:ENCRYPTED )?PRIVATE KEY-----\n)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class KeyEntry:
    """One private key with the verificationMethod id it is published under and its purposes."""

    verification_method: str
    purposes: tuple[str, ...]
    private_key: Ed25519PrivateKey


def dump_keyring(entries: Sequence[KeyEntry], passphrase: bytes | None = None) -> bytes:
    """The file bytes for ``entries``, in order (deterministic when no passphrase is given)."""
    out = []
    for entry in entries:
        out.append(f"# {entry.verification_method} {','.join(entry.purposes)}\n".encode())
        out.append(private_key_to_pem(entry.private_key, passphrase))
    return b"".join(out)


def load_keyring(data: bytes, passphrase: bytes | None = None) -> list[KeyEntry]:
    """Every key in a keyring file; KeyFormatError when the file holds none or a block is bad."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise KeyFormatError("keyring file is not ASCII PEM text") from exc
    entries = [
        KeyEntry(
            verification_method=match["vm"],
            purposes=tuple(match["purposes"].split(",")),
            private_key=private_key_from_pem(match["pem"].encode(), passphrase),
        )
        for match in _BLOCK.finditer(text)
    ]
    if not entries:
        raise KeyFormatError("no labelled private key found in keyring file")
    return entries


def select_key(entries: Sequence[KeyEntry], purpose: str) -> KeyEntry:
    """The newest key (last in the file) that carries ``purpose``."""
    for entry in reversed(entries):
        if purpose in entry.purposes:
            return entry
    raise KeyFormatError(f"no key with purpose {purpose!r} in keyring")
