"""The pilot's identifiers, in one place: participant DIDs, log origins and witness names.

A participant's DID is ``did:web:pilot.example:<short id>`` (resolved only through the trust list, never
over the network); a port's log signs checkpoints under the origin ``<short id>.pilot.example/log`` and its
witness cosigns under ``<short id>.pilot.example/witness`` (docs/audit.md).
"""

from __future__ import annotations

__all__ = ["DID_PREFIX", "RECEIPT_TYPE", "did_of", "log_origin", "short_id_of", "witness_name"]

#: Every pilot participant's DID starts with this.
DID_PREFIX = "did:web:pilot.example:"
#: The record type of a port's signed receipt.
RECEIPT_TYPE = "SubmissionReceipt"


def did_of(short_id: str) -> str:
    """A participant's DID: ``did:web:pilot.example:<short id>``."""
    return DID_PREFIX + short_id


def short_id_of(did: str) -> str:
    """``ru-exp-01`` from ``did:web:pilot.example:ru-exp-01`` (the input itself when it is no pilot DID)."""
    return did[len(DID_PREFIX) :] if did.startswith(DID_PREFIX) else did


def log_origin(port_id: str) -> str:
    """The checkpoint origin (and log key name) of a port's log: ``<short id>.pilot.example/log``."""
    return f"{port_id}.pilot.example/log"


def witness_name(port_id: str) -> str:
    """The cosigner name of a port's witness: ``<short id>.pilot.example/witness``."""
    return f"{port_id}.pilot.example/witness"
