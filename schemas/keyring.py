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

A port's ``keyAgreement`` keys (X25519, docs/design.md §5) are blocks of the same file with purpose
``keyAgreement``; :func:`load_keyring` leaves them out (they sign nothing) and
:func:`load_agreement_keys` reads them. Destroying one (:func:`destroy_key`, ``pilot keys destroy``)
removes its block and leaves a tombstone line in its place, so the port can say that content sealed
to it is unreadable because the key was destroyed, and when (:func:`destroyed_keys`):

    # destroyed did:web:pilot.example:cn-port-03#key-4 2026-12-01T10:00:00Z
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from schemas.errors import KeyFormatError
from schemas.keys import agreement_key_from_pem, private_key_from_pem, private_key_to_pem
from schemas.time import format_time, parse_time

#: The purpose of a port's X25519 key-agreement key (its own block in the keyring).
KEY_AGREEMENT = "keyAgreement"

_BLOCK = re.compile(
    r"^# (?P<vm>\S+) (?P<purposes>[A-Za-z,]+)\n(?P<pem>-----BEGIN (?:ENCRYPTED )?PRIVATE KEY-----\n"
    r"[A-Za-z0-9+/=\n]+-----END (?:ENCRYPTED )?PRIVATE KEY-----\n)",
    re.MULTILINE,
)
_TOMBSTONE = re.compile(r"^# destroyed (?P<vm>\S+) (?P<at>\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class KeyEntry:
    """One private key with the verificationMethod id it is published under and its purposes."""

    verification_method: str
    purposes: tuple[str, ...]
    private_key: Ed25519PrivateKey


@dataclass(frozen=True)
class AgreementKeyEntry:
    """A port's X25519 ``keyAgreement`` private key with the key id it is published under."""

    verification_method: str
    private_key: X25519PrivateKey

    @property
    def purposes(self) -> tuple[str, ...]:
        return (KEY_AGREEMENT,)


def dump_keyring(entries: Sequence[KeyEntry | AgreementKeyEntry], passphrase: bytes | None = None) -> bytes:
    """The file bytes for ``entries``, in order (deterministic when no passphrase is given)."""
    out = []
    for entry in entries:
        out.append(f"# {entry.verification_method} {','.join(entry.purposes)}\n".encode())
        out.append(private_key_to_pem(entry.private_key, passphrase))
    return b"".join(out)


def _text(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise KeyFormatError("keyring file is not ASCII PEM text") from exc


def load_keyring(data: bytes, passphrase: bytes | None = None) -> list[KeyEntry]:
    """Every signing key in a keyring file; KeyFormatError when the file holds none or a block is bad."""
    entries = [
        KeyEntry(
            verification_method=match["vm"],
            purposes=tuple(match["purposes"].split(",")),
            private_key=private_key_from_pem(match["pem"].encode(), passphrase),
        )
        for match in _BLOCK.finditer(_text(data))
        if KEY_AGREEMENT not in match["purposes"].split(",")
    ]
    if not entries:
        raise KeyFormatError("no labelled private key found in keyring file")
    return entries


def load_agreement_keys(data: bytes, passphrase: bytes | None = None) -> list[AgreementKeyEntry]:
    """Every ``keyAgreement`` key in a keyring file, in file order (none is not an error)."""
    return [
        AgreementKeyEntry(match["vm"], agreement_key_from_pem(match["pem"].encode(), passphrase))
        for match in _BLOCK.finditer(_text(data))
        if match["purposes"].split(",") == [KEY_AGREEMENT]
    ]


def destroyed_keys(data: bytes) -> dict[str, datetime]:
    """The keys destroyed from this keyring (key id -> when), from their tombstone lines."""
    return {match["vm"]: parse_time(match["at"]) for match in _TOMBSTONE.finditer(_text(data))}


def destroy_key(data: bytes, verification_method: str, at: datetime) -> bytes:
    """The keyring without the ``keyAgreement`` key ``verification_method``, a tombstone in its place.

    Every other block is kept byte for byte. KeyFormatError when the file holds no such key.
    """
    text = _text(data)
    for match in _BLOCK.finditer(text):
        if match["vm"] == verification_method and match["purposes"].split(",") == [KEY_AGREEMENT]:
            tombstone = f"# destroyed {verification_method} {format_time(at)}\n"
            return (text[: match.start()] + tombstone + text[match.end() :]).encode("ascii")
    raise KeyFormatError(f"no keyAgreement key {verification_method} in keyring")


def select_key(entries: Sequence[KeyEntry], purpose: str) -> KeyEntry:
    """The newest key (last in the file) that carries ``purpose``."""
    for entry in reversed(entries):
        if purpose in entry.purposes:
            return entry
    raise KeyFormatError(f"no key with purpose {purpose!r} in keyring")
