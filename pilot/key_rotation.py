"""A participant's next key: appended to its keyring, with the change request that asks pilot-gov to publish it.

docs/keys.md. The new key goes into ``<data dir>/keys/<id>.pem`` (encrypted when a passphrase is given;
the existing blocks are kept byte for byte) under the next label ``key-<n>``, counted over every label
the file has ever held: signing keys, ``keyAgreement`` keys and the tombstones of destroyed ones, so a
label is never reused. The keyring is written (atomically, mode 0600) before the request, so an approved
request never publishes a key that nobody holds. The request, ``<data dir>/requests/<id>-key-<n>.json``
(``change: add-key``), is then approved with ``pilot trust approve``.

- A signing key (Ed25519; ``assertion``, ``authentication``, ``log``, ``witness``) signs its own request:
  proof of possession.
- A port's ``keyAgreement`` key (X25519) cannot sign: its request is signed by the port's ``assertion``
  key that the trust list publishes and that is valid now. Exporters seal to it once the list publishes
  it (``TrustRegistry.sealing_key`` picks the usable key that started last); the port holds it already.

The old key stays in the keyring. A signing key's window stays as published (rotation never shortens
it); approving a new ``keyAgreement`` key ends its predecessors' windows after an overlap
(``pilot.registration.AGREEMENT_KEY_OVERLAP``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from exporter_node.identity import NodeIdentity
from node_core.durable_files import locked, replace_durably
from pilot.registration import sign_request
from pilot.sandbox import pretty_json
from schemas.errors import VerificationError
from schemas.identifiers import did_of
from schemas.keyring import KEY_AGREEMENT, AgreementKeyEntry, KeyEntry, dump_keyring, load_keyring
from schemas.models.base import Role
from schemas.multikey import encode_multikey, encode_x25519_multikey
from schemas.phrase import Phrase
from schemas.time import format_time, utc_now
from schemas.trust import TrustRegistry

__all__ = [
    "DEFAULT_VALID_DAYS",
    "SIGNING_PURPOSES",
    "Rotation",
    "RotationRefused",
    "next_label_number",
    "rotate_agreement_key",
    "rotate_signing_key",
]

#: How long a rotated-in key is requested to be valid.
DEFAULT_VALID_DAYS = 3650
#: The purposes an Ed25519 key may carry (``keyAgreement`` is an X25519 key's one purpose).
SIGNING_PURPOSES = ("assertion", "authentication", "log", "witness")

#: Every ``key-<n>`` label named in the keyring's comment lines, tombstones included (schemas.keyring).
_LABEL = re.compile(r"^# (?:destroyed )?\S+#key-(?P<number>[0-9]+)\s", re.MULTILINE)


class RotationRefused(ValueError):
    """A rotation that cannot be made for this participant; the message says why (English; ``phrase`` translates)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


@dataclass(frozen=True)
class Rotation:
    """What a rotation made: the new key's id and purposes, where it and its request were written."""

    key_id: str
    purposes: tuple[str, ...]
    key_file: Path
    request_path: Path
    signed_by: str
    valid_from: datetime
    valid_until: datetime

    def to_json(self) -> dict[str, Any]:
        """The machine output of ``pilot keys rotate --format json``."""
        return {
            "key": self.key_id,
            "purposes": list(self.purposes),
            "keyFile": str(self.key_file),
            "request": str(self.request_path),
            "requestSignedBy": self.signed_by,
            "validFrom": format_time(self.valid_from),
            "validUntil": format_time(self.valid_until),
        }


def next_label_number(keyring: bytes) -> int:
    """The ``n`` of the next ``key-<n>``: one more than any label the keyring names, destroyed ones included."""
    numbers = [int(match["number"]) for match in _LABEL.finditer(keyring.decode("ascii", errors="replace"))]
    return max(numbers, default=0) + 1


def _key_request(
    participant: str, key_id: str, multibase: str, purposes: tuple[str, ...], now: datetime, valid_days: int
) -> dict[str, Any]:
    return {
        "change": "add-key",
        "participant": participant,
        "key": {
            "id": key_id,
            "type": "Multikey",
            "publicKeyMultibase": multibase,
            "purposes": list(purposes),
            "validFrom": format_time(now),
            "validUntil": format_time(now + timedelta(days=valid_days)),
        },
    }


def _write(data_dir: Path, participant: str, keyring: bytes, number: int, request: dict[str, Any]) -> Path:
    """The keyring first (atomically, owner-only), then the request; returns the request's path.

    The caller holds the keyring's lock (``node_core.durable_files.locked``) from reading it to here.
    """
    replace_durably(data_dir / "keys" / f"{participant}.pem", keyring, mode=0o600)
    request_path = data_dir / "requests" / f"{participant}-key-{number}.json"
    replace_durably(request_path, pretty_json(request))
    return request_path


def rotate_signing_key(
    data_dir: Path,
    participant: str,
    *,
    purposes: tuple[str, ...] | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    passphrase: bytes | None = None,
) -> tuple[KeyEntry, Rotation]:
    """A new Ed25519 signing key (default: the purposes of the current assertion key) and its request,
    signed by the new key itself. KeyFormatError when the keyring cannot be read."""
    key_file = data_dir / "keys" / f"{participant}.pem"
    with locked(key_file):  # against a concurrent destroy or rotation: none loses the other's change
        return _rotate_signing_key(data_dir, participant, key_file, purposes, valid_days, passphrase)


def _rotate_signing_key(
    data_dir: Path,
    participant: str,
    key_file: Path,
    purposes: tuple[str, ...] | None,
    valid_days: int,
    passphrase: bytes | None,
) -> tuple[KeyEntry, Rotation]:
    existing = key_file.read_bytes()
    entries = load_keyring(existing, passphrase)
    if purposes is None:
        current = next((e for e in reversed(entries) if "assertion" in e.purposes), entries[-1])
        purposes = current.purposes
    number = next_label_number(existing)
    new = KeyEntry(f"{did_of(participant)}#key-{number}", tuple(purposes), Ed25519PrivateKey.generate())
    now = utc_now().replace(microsecond=0)
    multibase = encode_multikey(new.private_key.public_key())
    request = _key_request(participant, new.verification_method, multibase, new.purposes, now, valid_days)
    signed = sign_request(request, new.private_key, new.verification_method, now)
    # The old blocks stay as they are; the new one is appended (encrypted alike when a passphrase is set).
    request_path = _write(data_dir, participant, existing + dump_keyring([new], passphrase), number, signed)
    return new, Rotation(
        key_id=new.verification_method,
        purposes=new.purposes,
        key_file=key_file,
        request_path=request_path,
        signed_by=new.verification_method,
        valid_from=now,
        valid_until=now + timedelta(days=valid_days),
    )


def rotate_agreement_key(
    data_dir: Path,
    participant: str,
    trust: TrustRegistry,
    *,
    valid_days: int = DEFAULT_VALID_DAYS,
    passphrase: bytes | None = None,
) -> Rotation:
    """A new X25519 ``keyAgreement`` key for a port and its request, signed by the port's current assertion key.

    ``trust`` is the list the data dir holds (pilot.local_trust_list): it says whether ``participant`` is
    a port and which of its assertion keys is published and valid now. RotationRefused otherwise;
    KeyFormatError when the keyring cannot be read.
    """
    holder = trust.participant(participant)
    if holder is None:
        raise RotationRefused(Phrase("{participant} is not in the trust list", participant=participant))
    if holder.role != Role.PORT_AUTHORITY:
        raise RotationRefused(
            Phrase("{participant} is not a port authority: only ports have keyAgreement keys", participant=participant)
        )
    key_file = data_dir / "keys" / f"{participant}.pem"
    with locked(key_file):  # against a concurrent destroy or rotation: none loses the other's change
        return _rotate_agreement_key(data_dir, participant, key_file, trust, valid_days, passphrase)


def _rotate_agreement_key(
    data_dir: Path, participant: str, key_file: Path, trust: TrustRegistry, valid_days: int, passphrase: bytes | None
) -> Rotation:
    existing = key_file.read_bytes()
    now = utc_now().replace(microsecond=0)
    identity = NodeIdentity(participant, tuple(load_keyring(existing, passphrase)))
    try:
        signer = identity.key_for("assertion", trust, now)
    except VerificationError as exc:
        raise RotationRefused(
            Phrase(
                "{participant} holds no assertion key that the trust list publishes and that is valid now, "
                "to sign the request ({problem})",
                participant=participant,
                problem=str(exc),
            )
        ) from exc
    number = next_label_number(existing)
    new = AgreementKeyEntry(f"{did_of(participant)}#key-{number}", X25519PrivateKey.generate())
    multibase = encode_x25519_multikey(new.private_key.public_key())
    request = _key_request(participant, new.verification_method, multibase, (KEY_AGREEMENT,), now, valid_days)
    signed = sign_request(request, signer.private_key, signer.verification_method, now, proof_purpose="assertionMethod")
    request_path = _write(data_dir, participant, existing + dump_keyring([new], passphrase), number, signed)
    return Rotation(
        key_id=new.verification_method,
        purposes=new.purposes,
        key_file=key_file,
        request_path=request_path,
        signed_by=signer.verification_method,
        valid_from=now,
        valid_until=now + timedelta(days=valid_days),
    )
