"""Loading a trust list for the command line: the list, and its anchor beside it unless named."""

from __future__ import annotations

from pathlib import Path

from pilot.console import fail_usage
from schemas.errors import VerificationError
from schemas.trust import TrustRegistry, load_trust_list


def load_registry(trust_list: Path, trust_anchor: Path | None = None) -> TrustRegistry:
    """The verified trust list; a missing file is bad usage, a bad list is a VerificationError."""
    anchor = trust_anchor or trust_list.with_name("trust-anchor.json")
    for path in (trust_list, anchor):
        if not path.is_file():
            fail_usage(f"{path} does not exist (give --trust-list, and --trust-anchor if it is not beside it)")
    return load_trust_list(trust_list, anchor)


__all__ = ["VerificationError", "load_registry"]
