"""The trust list a data dir holds, read to choose among a participant's own keys, never to trust a signature.

``pilot keys rotate`` asks it which of the participant's assertion keys is published and valid now (that
key signs a ``keyAgreement`` request) and what role the participant has; ``pilot keys destroy`` asks it
which key is the port's current sealing key. The list's proof is not checked here: a list signed by a
rotated ``pilot-gov`` key needs the operator's history to verify, and nothing is accepted on its word.
``pilot trust approve`` verifies the list and the request before anything is published.
"""

from __future__ import annotations

from pathlib import Path

from schemas.errors import JsonMalformedError, VerificationError
from schemas.jsonio import parse_json
from schemas.phrase import Phrase
from schemas.trust import TrustRegistry

__all__ = ["TrustListUnreadable", "held_trust_list"]


class TrustListUnreadable(ValueError):
    """The data dir's ``trust-list.json`` is missing or is not a trust list; the message says which (``phrase``
    translates it)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


def held_trust_list(data_dir: Path) -> TrustRegistry:
    """``<data_dir>/trust-list.json``, its shape checked (not its proof); TrustListUnreadable otherwise."""
    path = data_dir / "trust-list.json"
    try:
        return TrustRegistry.from_document(parse_json(path.read_bytes()))
    except OSError as exc:
        raise TrustListUnreadable(Phrase("cannot read {path}: {problem}", path=path, problem=exc.strerror)) from exc
    except (JsonMalformedError, VerificationError) as exc:
        raise TrustListUnreadable(Phrase("{path} is not a trust list: {problem}", path=path, problem=str(exc))) from exc
