"""A credential's status history as a registry holds it: every version of its lists, verified, and its bit in each.

docs/design.md §12. For each ``credentialStatus`` entry, ``entry_history`` reads the registry's
``GET /v1/status/{issuer}/{list}/history`` and every ``/versions/{sequence}`` it names, and verifies each
version with ``schemas.status_list.verify_status_list`` at the time it was signed (its ``validFrom``;
an old version is past its ``validUntil`` today and still tells what the status was then), as the list at
that URL, issued by the list's issuer, for the entry's purpose. The newest version is checked again at
``now``: the credential's status *now* is known only if that version is inside its validity window.

Nothing here trusts the registry: a version that does not verify is reported as such (``problem``), and
its bit is not read. ``pilot status show`` prints the result; its exit status is 1 if anything failed. A
problem is a ``Phrase``: English in the JSON output, in the command's language in its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from schemas.errors import VerificationError
from schemas.identifiers import did_of
from schemas.models.credential import StatusListEntry
from schemas.phrase import Phrase
from schemas.status_list import split_status_list_url, status_list_path, verify_status_list
from schemas.time import format_time, time_or_none
from schemas.trust import TrustRegistry

__all__ = ["EntryHistory", "VersionBit", "entry_history", "read_entries"]

#: The most versions of one list read (a list changes at every revocation; the sandbox has a few).
MAX_VERSIONS = 1000


@dataclass(frozen=True)
class VersionBit:
    """One version of a list: its sequence, when it was signed, and the entry's bit in it (if it verified)."""

    sequence: int
    valid_from: datetime | None
    received_at: str | None
    set: bool | None
    problem: Phrase | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "validFrom": format_time(self.valid_from) if self.valid_from else None,
            "receivedAt": self.received_at,
            "set": self.set,
            "problem": _english(self.problem),
        }


@dataclass
class EntryHistory:
    """One status entry of a credential and what the registry holds for its list."""

    url: str
    purpose: str
    index: int
    versions: list[VersionBit] = field(default_factory=list)
    #: The bit now (the newest version, verified at ``now``), or None when it cannot be established.
    now: bool | None = None
    problem: Phrase | None = None

    @property
    def ok(self) -> bool:
        """True when every version verified and the status now is known."""
        return self.problem is None and self.now is not None and all(v.problem is None for v in self.versions)

    @property
    def since(self) -> VersionBit | None:
        """The first version of the newest run of versions that agree with the status now."""
        start: VersionBit | None = None
        for version in self.versions:
            if version.set is None:
                continue
            if start is None or version.set != start.set:
                start = version
        return start if start is not None and start.set == self.now else None

    @property
    def changes(self) -> list[VersionBit]:
        """The versions at which the bit changed (the first verified version included)."""
        found: list[VersionBit] = []
        for version in self.versions:
            if version.set is not None and (not found or found[-1].set != version.set):
                found.append(version)
        return found

    def as_json(self) -> dict[str, Any]:
        since = self.since
        return {
            "statusListCredential": self.url,
            "statusPurpose": self.purpose,
            "statusListIndex": self.index,
            "set": self.now,
            "since": since.as_json() if since else None,
            "versions": [v.as_json() for v in self.versions],
            "problem": _english(self.problem),
        }


def read_entries(credential: Any) -> list[StatusListEntry]:
    """The well-formed status entries of a credential document (``ValueError`` for malformed ones)."""
    raw = credential.get("credentialStatus") if isinstance(credential, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("credentialStatus is not a list")
    return [StatusListEntry.model_validate(item) for item in raw]


def entry_history(
    client: httpx.Client, registry_url: str, entry: StatusListEntry, trust: TrustRegistry, now: datetime
) -> EntryHistory:
    """Every version of the entry's list held by the registry at ``registry_url``, verified (module doc)."""
    history = EntryHistory(entry.statusListCredential, entry.statusPurpose, int(entry.statusListIndex))
    names = split_status_list_url(entry.statusListCredential)
    path = status_list_path(entry.statusListCredential)
    if names is None or path is None:
        history.problem = Phrase("the entry's statusListCredential is not a pilot status list URL")
        return history
    base = registry_url.rstrip("/") + path
    try:
        listed = _get_json(client, f"{base}/history")
    except _Failed as exc:
        history.problem = Phrase("the registry's history of this list: {problem}", problem=exc.phrase)
        return history
    items = listed.get("versions") if isinstance(listed, dict) else None
    if not isinstance(items, list) or not items:
        history.problem = Phrase("the registry's history of this list is empty or malformed")
        return history
    newest: Any = None
    for item in items[-MAX_VERSIONS:]:
        sequence, received = _sequence_of(item), item.get("receivedAt") if isinstance(item, dict) else None
        if sequence is None:
            history.problem = Phrase("the registry's history names a version without a sequence")
            continue
        try:
            credential = _get_json(client, f"{base}/versions/{sequence}")
        except _Failed as exc:
            history.versions.append(VersionBit(sequence, None, _text(received), None, exc.phrase))
            continue
        history.versions.append(_version_bit(credential, entry, names[0], sequence, _text(received), trust))
        newest = credential
    last = history.versions[-1] if history.versions else None
    if newest is not None and last is not None and last.problem is None:
        try:
            verify_status_list(newest, trust, now, url=entry.statusListCredential)
            history.now = last.set
        except VerificationError as exc:
            history.problem = Phrase("the newest version does not hold now: {problem}", problem=_reason(exc))
    return history


def _version_bit(
    credential: Any, entry: StatusListEntry, issuer: str, sequence: int, received: str | None, trust: TrustRegistry
) -> VersionBit:
    """Verify one version at its own ``validFrom`` and read the entry's bit in it."""
    claimed = _claimed_valid_from(credential)
    if claimed is None:
        return VersionBit(sequence, None, received, None, Phrase("the version has no readable validFrom"))
    try:
        verified = verify_status_list(credential, trust, claimed, url=entry.statusListCredential)
    except VerificationError as exc:
        return VersionBit(sequence, claimed, received, None, Phrase("does not verify: {problem}", problem=_reason(exc)))
    if verified.issuer_did != did_of(issuer):
        return VersionBit(sequence, claimed, received, None, Phrase("was not issued by the list's issuer"))
    if verified.purpose != entry.statusPurpose:
        return VersionBit(sequence, claimed, received, None, Phrase("has another statusPurpose than the entry"))
    if verified.sequence != sequence:
        problem = Phrase("carries sequence {sequence}", sequence=verified.sequence)
        return VersionBit(sequence, claimed, received, None, problem)
    try:
        bit = verified.is_set(int(entry.statusListIndex))
    except IndexError:
        return VersionBit(sequence, claimed, received, None, Phrase("is too short for the entry's index"))
    return VersionBit(sequence, verified.valid_from, received, bit)


class _Failed(Exception):
    """A registry answer that could not be had or read; ``phrase`` says why."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


def _get_json(client: httpx.Client, url: str) -> Any:
    try:
        response = client.get(url)
    except httpx.TransportError as exc:
        raise _Failed(Phrase("the registry cannot be reached ({error})", error=type(exc).__name__)) from exc
    if response.status_code != 200:
        raise _Failed(Phrase("the registry answered HTTP {status}", status=response.status_code))
    try:
        return response.json()
    except ValueError as exc:
        raise _Failed(Phrase("the registry's answer is not JSON")) from exc


def _sequence_of(item: Any) -> int | None:
    value = item.get("sequence") if isinstance(item, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _claimed_valid_from(credential: Any) -> datetime | None:
    return time_or_none(credential.get("validFrom")) if isinstance(credential, dict) else None


def _reason(error: VerificationError) -> Phrase | str:
    """The first reason a list does not verify: its phrase when it has one (translated where it is shown)."""
    first = error.problems[0]
    return first.phrase if first.phrase is not None else first.message


def _english(problem: Phrase | None) -> str | None:
    return None if problem is None else str(problem)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
