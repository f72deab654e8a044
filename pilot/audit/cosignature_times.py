"""When each witness cosigned a port's checkpoint: the verified cosignatures of a signed note, with their times.

C2SP tlog-cosignature: a cosignature line carries the time the witness signed (8 big-endian bytes before
the Ed25519 signature), covered by that signature. The checkpoint is verified first, with the port's
``log`` key from the trust list; then each line of a ``<port>.pilot.example/witness`` name other than the
port's own, with that witness's ``witness`` keys. A line that does not verify is left out: the trail's own
step about the latest checkpoint says why. Used for the timelines (``pilot.pictures``), where a
cosignature counts only for a checkpoint that holds the consignment's entry (``holding``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pilot.audit.errors import EvidenceError
from pilot.audit.monitor import verified_checkpoint
from pilot.pictures import Cosignature
from schemas.errors import VerificationError
from schemas.identifiers import witness_name
from schemas.signed_note import parse_signed_note, verify_cosignature
from schemas.trust import TrustRegistry

__all__ = ["verified_cosignatures"]

_WITNESS_SUFFIX = ".pilot.example/witness"


def verified_cosignatures(note_text: str, port: str, trust: TrustRegistry, *, holding: int) -> tuple[Cosignature, ...]:
    """The cosignatures of ``port``'s checkpoint ``note_text`` that verify, if its tree holds leaf ``holding``."""
    try:
        checkpoint = verified_checkpoint(note_text, port, trust)
        note = parse_signed_note(note_text)
    except (EvidenceError, VerificationError):
        return ()
    if checkpoint.size <= holding:
        return ()
    witnesses = sorted(
        {s.name.removesuffix(_WITNESS_SUFFIX) for s in note.signatures if s.name.endswith(_WITNESS_SUFFIX)}
    )
    found = []
    for witness in witnesses:
        if witness == port:
            continue
        for key in trust.keys_of(witness, "witness"):
            try:
                at = datetime.fromtimestamp(verify_cosignature(note, witness_name(witness), key.public_key), UTC)
            except (VerificationError, OverflowError, OSError, ValueError):
                continue
            found.append(Cosignature(witness, at, checkpoint.size))
            break
    return tuple(found)
