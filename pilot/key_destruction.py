"""Destroying a port's ``keyAgreement`` private key: what was sealed to it can never be opened again.

docs/keys.md. The key's block leaves ``keys/<port>.pem`` and a tombstone line takes its place
(``schemas.keyring.destroy_key``), so the port can tell "destroyed at T" from "never held". The file is
rewritten atomically (temporary file, fsync, rename, then fsync of the directory), owner-only; a running
port notices the change and stops using the key without a restart.

Refused: a key id the keyring does not hold, one already destroyed, and, unless forced, the port's
current sealing key (exporters still seal to it: rotate first), or any key when the data dir's trust
list cannot be read to tell which one is current. The trust list is not changed: the approval path has
no change that ends a key's window, so a destroyed key stays published until its ``validUntil``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from node_core.durable_files import update_locked
from schemas.errors import KeyFormatError
from schemas.identifiers import did_of
from schemas.keyring import destroy_key, destroyed_keys
from schemas.phrase import Phrase
from schemas.time import format_time
from schemas.trust import AgreementKey, TrustRegistry

__all__ = ["DestructionPlan", "DestructionRefused", "destroy", "plan_destruction"]


class DestructionRefused(ValueError):
    """A key that may not, or cannot, be destroyed; the message says why and what to do (``phrase`` translates it)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


@dataclass(frozen=True)
class DestructionPlan:
    """A checked destruction, before it is carried out: which key, where, and what the trust list says of it."""

    participant: str
    key_id: str
    key_file: Path
    #: The key as the trust list publishes it (None: not published, or the list could not be read).
    published: AgreementKey | None
    #: The port's current sealing key: exporters seal new submissions to it.
    is_current: bool

    def still_published_as_usable(self, at: datetime) -> bool:
        """True when the trust list still lets exporters seal to this key at ``at`` (its window has not ended)."""
        return self.published is not None and self.published.usable_at(at)

    def to_json(self, destroyed_at: datetime) -> dict[str, Any]:
        """The machine output of ``pilot keys destroy --format json``."""
        return {
            "destroyed": self.key_id,
            "destroyedAt": format_time(destroyed_at),
            "keyFile": str(self.key_file),
            "wasCurrentSealingKey": self.is_current,
            "publishedUntil": format_time(self.published.valid_until) if self.published is not None else None,
            # The approval path has no change that ends a key's window, so no request is written.
            "request": None,
        }


def _key_id(participant: str, key: str) -> str:
    """``key-4`` or the full ``did:web:...#key-4``: the full key id."""
    return key if "#" in key else f"{did_of(participant)}#{key}"


def plan_destruction(
    data_dir: Path,
    participant: str,
    key: str,
    trust: TrustRegistry | None,
    at: datetime,
    *,
    force: bool = False,
) -> DestructionPlan:
    """Check that ``key`` (a label such as ``key-4`` or a full key id) may be destroyed; DestructionRefused if not.

    ``trust`` is the list the data dir holds, None when it could not be read (refused unless ``force``).
    """
    key_file = data_dir / "keys" / f"{participant}.pem"
    key_id = _key_id(participant, key)
    try:
        keyring = key_file.read_bytes()
    except OSError as exc:
        raise DestructionRefused(Phrase("cannot read {path}: {problem}", path=key_file, problem=exc.strerror)) from exc
    try:
        destroyed = destroyed_keys(keyring)
        if key_id in destroyed:
            raise DestructionRefused(
                Phrase("{key} was already destroyed, at {at}", key=key_id, at=format_time(destroyed[key_id]))
            )
        destroy_key(keyring, key_id, at)  # a dry run: KeyFormatError when the file holds no such key
    except KeyFormatError as exc:
        raise DestructionRefused(Phrase("{path} holds no keyAgreement key {key}", path=key_file, key=key_id)) from exc
    if trust is None:
        if not force:
            raise DestructionRefused(
                Phrase(
                    "the trust list cannot be read, so whether this is the current sealing key is unknown; "
                    "--force destroys it anyway"
                )
            )
        return DestructionPlan(participant, key_id, key_file, None, is_current=False)
    current = trust.sealing_key(participant, at)
    is_current = current is not None and current.kid == key_id
    if is_current and not force:
        raise DestructionRefused(
            Phrase(
                "{key} is the current sealing key of {participant}: exporters still seal to it. Rotate first "
                "(pilot keys rotate --id {participant} --purpose keyAgreement, then pilot trust approve), "
                "or pass --force",
                key=key_id,
                participant=participant,
            )
        )
    return DestructionPlan(participant, key_id, key_file, trust.agreement_keys.get(key_id), is_current=is_current)


def destroy(plan: DestructionPlan, at: datetime) -> None:
    """Remove the key's block from the keyring (tombstone left), atomically; DestructionRefused if it is gone."""
    try:
        # Under the keyring's lock: the port's own retention or a rotation may change the file meanwhile.
        update_locked(plan.key_file, lambda keyring: destroy_key(keyring, plan.key_id, at), mode=0o600)
    except (OSError, KeyFormatError) as exc:
        raise DestructionRefused(Phrase("{path} no longer holds {key}", path=plan.key_file, key=plan.key_id)) from exc
