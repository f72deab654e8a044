"""The port's own signing keys, read once from its keyring file: ``assertion`` for receipts, ``log`` for checkpoints.

docs/design.md §5: a port signs receipts with its ``assertion`` key and checkpoints with a separate ``log``
key (its ``witness`` key is for cosigning other ports' checkpoints). The newest key carrying each
purpose is used (``schemas.keyring.select_key``), so a rotated key takes over when it is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.identifiers import DID_PREFIX, log_origin
from schemas.keyring import KeyEntry, load_keyring, select_key

__all__ = ["PortKeys"]


@dataclass(frozen=True)
class PortKeys:
    """The keys a running port signs with."""

    port_id: str
    assertion: KeyEntry
    log: KeyEntry

    @property
    def did(self) -> str:
        """The port's DID, ``did:web:pilot.example:<short id>``."""
        return DID_PREFIX + self.port_id

    @property
    def origin(self) -> str:
        """The log origin, also the name of the key that signs checkpoints."""
        return log_origin(self.port_id)

    @classmethod
    def load(cls, port_id: str, key_file: Path, passphrase: bytes | None = None) -> PortKeys:
        """Read ``key_file`` (a keyring, see ``schemas.keyring``); KeyFormatError when a purpose is missing."""
        entries = load_keyring(key_file.read_bytes(), passphrase)
        return cls(port_id, select_key(entries, "assertion"), select_key(entries, "log"))
