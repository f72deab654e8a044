"""The exporter's own identity: its DID, its name in the trust list, and which of its keys to sign with.

``keys/<short id>.pem`` may hold several keys (``pilot keys rotate`` appends one). A new key is used only
once the trust list publishes it and it is valid now; until then the newest published key is used, so
a rotation requested but not yet approved never produces signatures a port cannot verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.codes import Code
from schemas.errors import KeyFormatError, VerificationError
from schemas.identifiers import did_of
from schemas.keyring import KeyEntry, load_keyring
from schemas.keys import public_key_bytes
from schemas.trust import TrustRegistry

__all__ = ["NodeIdentity"]


@dataclass(frozen=True)
class NodeIdentity:
    """A node's short id and its private keys."""

    node_id: str
    keys: tuple[KeyEntry, ...]

    @classmethod
    def load(cls, node_id: str, key_file: Path, passphrase: bytes | None) -> NodeIdentity:
        """Read the node's keyring (decrypting it with ``passphrase`` when the keys are encrypted)."""
        try:
            data = key_file.read_bytes()
        except OSError as exc:
            raise KeyFormatError(f"cannot read {key_file}: {exc}") from exc
        return cls(node_id, tuple(load_keyring(data, passphrase)))

    @property
    def did(self) -> str:
        """This node's DID."""
        return did_of(self.node_id)

    def name(self, trust: TrustRegistry) -> str:
        """This node's display name from the trust list (its short id when it is not listed)."""
        participant = trust.participant(self.node_id)
        return participant.name if participant is not None else self.node_id

    def key_for(self, purpose: str, trust: TrustRegistry, at: datetime) -> KeyEntry:
        """The newest key with ``purpose`` that the trust list publishes for this node and that is valid at ``at``.

        Raises VerificationError with the trust registry's code when no such key exists.
        """
        last_error: VerificationError | None = None
        for entry in reversed(self.keys):
            if purpose not in entry.purposes:
                continue
            try:
                key = trust.resolve_key(entry.verification_method, purpose, at)
            except VerificationError as exc:
                last_error = exc
                continue
            if key.participant_id == self.node_id and public_key_bytes(key.public_key) == public_key_bytes(
                entry.private_key
            ):
                return entry
        if last_error is not None:
            raise last_error
        raise VerificationError.single(Code.ISSUER_UNKNOWN, "", f"{self.node_id} holds no key with purpose {purpose!r}")
