"""The status lists of the issuers that are not nodes (``cert-01``, ``cert-02``, ``ru-vet``), kept in the data dir.

docs/design.md §12. Certifiers and the veterinary authority run no node: the ``pilot`` command keeps their
status for them, in ``<data dir>/issuers/<issuer>.json``::

    {"issuer": "cert-01", "generation": 1, "nextIndex": 3,
     "allocations": {"<credential id>": {"index": 0, "recordType": "DigitalConformityCredential"}},
     "bits": {"revocation": [0], "suspension": []},
     "lists": {"revocation-1": {"sequence": 2}, "suspension-1": {"sequence": 1}}}

Rules:

- Every read-modify-write holds the state file's exclusive lock (``node_core.durable_files.locked``), and
  replaces the state atomically (temporary file, fsync, rename, fsync of the directory): two ``pilot``
  processes allocating at once never hand out one index twice, and a crash leaves the old state or the new.
- Indexes are allocated from ``nextIndex`` and never reused (allocations are never removed).
- Each change of a bit signs the list's next version (``sequence`` + 1) with the issuer's ``assertion``
  key (``<data dir>/keys/<issuer>.pem``, ``PILOT_KEY_PASSPHRASE``), valid for ``VALIDITY`` and carrying
  the ``ttl`` of ``PILOT_STATUS_TTL_S`` (default 5 s in this sandbox), and writes it to
  ``<data dir>/status-lists/<issuer>/<list>.json`` (beside the generation-0 files of ``pilot init``).
  Given a registry URL, the version is then published (``node_core.status_publish``) under the same lock,
  so versions reach the registry in order; a registry that holds a higher sequence already (409, a data
  dir reused) gets a version signed above it (``node_core.status_publish.registry_highest_sequence``).
  When the registry is down the file stays, and ``pilot up`` publishes it (``pilot.status_publishing``).
- ``refresh_lists`` (``pilot init``, ``pilot up``) creates a missing state and signs a list that is
  missing, within ``RENEW_WITHIN`` of its ``validUntil``, or no longer verifies with the data dir's trust
  list (a sandbox made again with another seed).

``DataDirStatus`` is the ``pilot.synthetic.StatusAllocator`` over this state: credentials the demo signs as
these issuers get generation-1 entries; any other issuer's get the sandbox's fixture entries.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx

from exporter_node.identity import NodeIdentity
from node_core.durable_files import locked, replace_durably
from node_core.status_publish import PublishError, PublishRefused, publish_status_list, registry_highest_sequence
from pilot.sandbox import pretty_json
from pilot.status_files import data_dir_list_path, read_status_list_file
from pilot.synthetic import FixtureStatus
from schemas.errors import KeyFormatError, VerificationError
from schemas.issue import secure
from schemas.models.base import Role
from schemas.models.credential import StatusPurpose
from schemas.phrase import Phrase
from schemas.status_list import (
    STATUS_LIST_LENGTH,
    list_id,
    purposes_for,
    purposes_kept_by,
    status_entries,
    status_list_credential,
    status_list_url,
    verify_status_list,
)
from schemas.time import utc_now
from schemas.trust import TrustRegistry, load_trust_list

__all__ = [
    "GENERATION",
    "ISSUERS",
    "ISSUERS_DIR",
    "PURPOSES",
    "RENEW_WITHIN",
    "VALIDITY",
    "Action",
    "DataDirStatus",
    "IssuerChange",
    "IssuerStateError",
    "NotSuspendableError",
    "Publication",
    "UnknownCredentialError",
    "allocate",
    "allocated_entries",
    "change_status",
    "refresh_lists",
    "state_path",
    "status_ttl",
]

#: The issuers whose status the ``pilot`` command keeps (exporters keep their own, in their databases).
ISSUERS: tuple[str, ...] = ("cert-01", "cert-02", "ru-vet")
#: Where their states live: ``<data dir>/issuers/<issuer>.json``.
ISSUERS_DIR = "issuers"
#: The generation of lists of credentials issued at run time (0: the sandbox's fixtures).
GENERATION = 1
#: Their lists: certificates and attestations are revoked, and suspended and reinstated (the competent
#: authority's record types need the same, tests/schemas/test_status_purposes.py).
PURPOSES: tuple[StatusPurpose, ...] = purposes_kept_by(Role.CERTIFIER)
#: How long a signed list version is valid, and how close to its end it is signed again.
VALIDITY = timedelta(days=30)
RENEW_WITHIN = timedelta(days=7)
#: Seconds to wait for the registry's answer to one version.
PUBLISH_TIMEOUT_S = 10.0

Action = Literal["revoke", "suspend", "reinstate"]
_PURPOSE_OF: dict[str, StatusPurpose] = {"revoke": "revocation", "suspend": "suspension", "reinstate": "suspension"}


class IssuerStateError(Exception):
    """Root of this module's errors: the message says what is wrong, for the command line (in English; ``phrase``
    gives it in the command's language, ``pilot.console.fail_usage``)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


class UnknownCredentialError(IssuerStateError):
    """The issuer never allocated a status index to this credential."""


class NotSuspendableError(IssuerStateError):
    """Suspend or reinstate of a credential that carries no suspension entry."""


def status_ttl() -> timedelta:
    """The ``ttl`` of the lists signed here: ``PILOT_STATUS_TTL_S`` seconds (at least 1), default 5."""
    raw = os.environ.get("PILOT_STATUS_TTL_S", "").strip()
    try:
        seconds = float(raw) if raw else 5.0
    except ValueError as exc:
        raise IssuerStateError(
            Phrase("PILOT_STATUS_TTL_S={value} is not a number of seconds", value=repr(raw))
        ) from exc
    if seconds < 1:
        raise IssuerStateError(Phrase("PILOT_STATUS_TTL_S must be at least 1 (a list's ttl is at least 1,000 ms)"))
    return timedelta(seconds=seconds)


def state_path(data_dir: Path, issuer: str) -> Path:
    """``<data dir>/issuers/<issuer>.json``."""
    return Path(data_dir) / ISSUERS_DIR / f"{issuer}.json"


def _require_issuer(issuer: str) -> None:
    if issuer not in ISSUERS:
        raise IssuerStateError(
            Phrase(
                "{issuer} is not an issuer whose status the pilot command keeps ({issuers}); "
                "an exporter keeps its own: use its operator API",
                issuer=issuer,
                issuers=", ".join(ISSUERS),
            )
        )


def _new_state(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "generation": GENERATION,
        "nextIndex": 0,
        "allocations": {},
        "bits": {purpose: [] for purpose in PURPOSES},
        "lists": {list_id(purpose, GENERATION): {"sequence": 0} for purpose in PURPOSES},
    }


@contextmanager
def _locked(data_dir: Path, issuer: str) -> Iterator[dict[str, Any]]:
    """The issuer's state under its exclusive lock; written back atomically when the block ends without error."""
    _require_issuer(issuer)
    path = state_path(data_dir, issuer)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        try:
            state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            state = _new_state(issuer)
        except (OSError, ValueError) as exc:
            raise IssuerStateError(
                Phrase("{path} cannot be read as an issuer state: {problem}", path=path, problem=str(exc))
            ) from exc
        before = json.dumps(state, sort_keys=True)
        yield state
        if json.dumps(state, sort_keys=True) != before or not path.exists():
            replace_durably(path, pretty_json(state), mode=0o600)


# -- allocation ---------------------------------------------------------------------------------------


def allocate(data_dir: Path, issuer: str, credential_id: str, record_type: str) -> int:
    """The status index of ``credential_id``: the one it already has, or ``nextIndex`` (then advanced)."""
    with _locked(data_dir, issuer) as state:
        found = state["allocations"].get(credential_id)
        if found is not None:
            return int(found["index"])
        index = int(state["nextIndex"])
        if index >= STATUS_LIST_LENGTH:
            raise IssuerStateError(
                Phrase(
                    "{issuer}'s generation-{generation} lists are full ({length} entries)",
                    issuer=issuer,
                    generation=GENERATION,
                    length=STATUS_LIST_LENGTH,
                )
            )
        state["allocations"][credential_id] = {"index": index, "recordType": record_type}
        state["nextIndex"] = index + 1
        return index


class DataDirStatus:
    """A ``pilot.synthetic.StatusAllocator`` backed by the data dir's issuer states (module doc).

    ``cert-01``, ``cert-02`` and ``ru-vet`` get generation-1 entries allocated in ``<data dir>/issuers``;
    every other issuer the sandbox's fixture entries (generation 0).
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._fixtures = FixtureStatus()

    def entries(self, issuer_id: str, credential_id: str, record_type: str) -> list[dict[str, str]]:
        """The ``credentialStatus`` of ``credential_id``, its index allocated now if it had none."""
        if issuer_id not in ISSUERS:
            return self._fixtures.entries(issuer_id, credential_id, record_type)
        index = allocate(self.data_dir, issuer_id, credential_id, record_type)
        return status_entries(issuer_id, index, purposes_for(record_type), generation=GENERATION)


# -- signing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _IssuerKeys:
    trust: TrustRegistry
    identity: NodeIdentity


def _issuer_keys(data_dir: Path, issuer: str) -> _IssuerKeys:
    """The data dir's verified trust list and the issuer's keyring (``PILOT_KEY_PASSPHRASE`` when encrypted)."""
    directory = Path(data_dir)
    try:
        trust = load_trust_list(directory / "trust-list.json", directory / "trust-anchor.json")
    except VerificationError as exc:
        raise IssuerStateError(
            Phrase("the trust list of {directory} does not verify: {problem}", directory=directory, problem=str(exc))
        ) from exc
    passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
    key_file = directory / "keys" / f"{issuer}.pem"
    try:
        identity = NodeIdentity.load(issuer, key_file, passphrase.encode() if passphrase else None)
    except KeyFormatError as exc:
        raise IssuerStateError(
            Phrase("cannot read {path}: {problem} (is PILOT_KEY_PASSPHRASE right?)", path=key_file, problem=str(exc))
        ) from exc
    return _IssuerKeys(trust, identity)


def _sign(state: dict[str, Any], keys: _IssuerKeys, name: str, purpose: StatusPurpose, now: datetime) -> dict[str, Any]:
    """Sign the next version of list ``name`` with the state's bits; the state records its sequence."""
    issuer = str(state["issuer"])
    try:
        key = keys.identity.key_for("assertion", keys.trust, now)
    except VerificationError as exc:
        raise IssuerStateError(
            Phrase("{issuer} has no usable assertion key now: {problem}", issuer=issuer, problem=str(exc))
        ) from exc
    signed_at = now.replace(microsecond=0)
    entry = state["lists"].setdefault(name, {"sequence": 0})
    sequence = int(entry["sequence"]) + 1
    participant = keys.trust.participant(issuer)
    credential = status_list_credential(
        issuer_id=issuer,
        issuer_name=participant.name if participant is not None else issuer,
        list_name=name,
        purpose=purpose,
        sequence=sequence,
        set_indexes=sorted(state["bits"].get(purpose, [])),
        valid_from=signed_at,
        valid_until=signed_at + VALIDITY,
        ttl=status_ttl(),
    )
    signed = secure(credential, key.private_key, key.verification_method, created=signed_at)
    entry["sequence"] = sequence
    return signed


def _write_list(data_dir: Path, issuer: str, name: str, credential: Mapping[str, Any]) -> Path:
    path = data_dir_list_path(data_dir, issuer, name)
    replace_durably(path, pretty_json(credential))
    return path


def _needs_signing(data_dir: Path, state: Mapping[str, Any], name: str, trust: TrustRegistry, now: datetime) -> bool:
    """True when list ``name`` has no current file: missing, another sequence, near expiry, or not verifying."""
    path = data_dir_list_path(data_dir, str(state["issuer"]), name)
    try:
        document = read_status_list_file(path)
        verified = verify_status_list(document, trust, now, url=status_list_url(str(state["issuer"]), name))
    except (ValueError, VerificationError):  # StatusListFileError included
        return True
    expected = int(state["lists"].get(name, {}).get("sequence", 0))
    return verified.sequence != expected or verified.valid_until - now <= RENEW_WITHIN


def refresh_lists(data_dir: Path, now: datetime | None = None) -> list[Path]:
    """Bring every issuer's generation-1 lists up to date (module doc); the list files written.

    ``pilot init`` calls it to create the states and version 1 of each list, ``pilot up`` before it
    publishes the data dir's lists. Nothing is published here.
    """
    at = now or utc_now()
    written: list[Path] = []
    for issuer in ISSUERS:
        keys = _issuer_keys(data_dir, issuer)
        with _locked(data_dir, issuer) as state:
            for purpose in PURPOSES:
                name = list_id(purpose, GENERATION)
                if _needs_signing(data_dir, state, name, keys.trust, at):
                    written.append(_write_list(data_dir, issuer, name, _sign(state, keys, name, purpose, at)))
    return written


# -- changes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """What the registry made of a version: ``published`` (201 new / 200 held), or why it was not.

    ``refused``: the registry answered and refused it (a 4xx), as opposed to not answering at all.
    """

    published: bool
    sequence: int
    detail: str | None = None
    refused: bool = False


@dataclass(frozen=True)
class IssuerChange:
    """What ``change_status`` did: the bit, the list version that holds it now, and its publication."""

    issuer: str
    credential_id: str
    purpose: StatusPurpose
    changed: bool
    list_id: str
    sequence: int
    path: Path
    status: dict[str, bool]
    publication: Publication | None  # None: no registry was given


def _status_of(state: Mapping[str, Any], allocation: Mapping[str, Any]) -> dict[str, bool]:
    index = int(allocation["index"])
    return {purpose: index in state["bits"].get(purpose, []) for purpose in purposes_for(str(allocation["recordType"]))}


def allocated_entries(data_dir: Path, issuer: str, credential_id: str) -> list[dict[str, str]]:
    """The ``credentialStatus`` entries the issuer allocated to ``credential_id`` (``UnknownCredentialError``)."""
    with _locked(data_dir, issuer) as state:
        allocation = state["allocations"].get(credential_id)
        if allocation is None:
            raise UnknownCredentialError(
                Phrase("{issuer} allocated no status index to {credential}", issuer=issuer, credential=credential_id)
            )
        purposes = purposes_for(str(allocation["recordType"]))
        return status_entries(issuer, int(allocation["index"]), purposes, generation=GENERATION)


def change_status(
    data_dir: Path,
    issuer: str,
    credential_id: str,
    action: Action,
    *,
    now: datetime | None = None,
    registry_url: str | None = None,
    client: httpx.Client | None = None,
) -> IssuerChange:
    """Revoke, suspend or reinstate one credential: set or clear its bit, sign the list's next version,
    write it, and publish it when ``registry_url`` is given (``client`` replaces the HTTP client: tests).

    A bit already as asked signs nothing (``changed`` False; the current version is published again, which
    the registry answers 200 if it holds it). ``reinstate`` clears a suspension only.
    """
    at = now or utc_now()
    keys = _issuer_keys(data_dir, issuer)
    purpose = _PURPOSE_OF[action]
    name = list_id(purpose, GENERATION)
    with _locked(data_dir, issuer) as state:
        allocation = state["allocations"].get(credential_id)
        if allocation is None:
            raise UnknownCredentialError(
                Phrase(
                    "{issuer} allocated no generation-{generation} status index to {credential} "
                    "(the sandbox's generation-0 fixtures are fixed by the seed and cannot be changed)",
                    issuer=issuer,
                    generation=GENERATION,
                    credential=credential_id,
                )
            )
        if purpose not in purposes_for(str(allocation["recordType"])):
            raise NotSuspendableError(
                Phrase(
                    "a {record_type} carries no suspension entry: revoke it instead",
                    record_type=allocation["recordType"],
                )
            )
        index = int(allocation["index"])
        bits: list[int] = state["bits"].setdefault(purpose, [])
        wanted = action != "reinstate"
        changed = (index in bits) != wanted
        if changed:
            if wanted:
                bits.append(index)
                bits.sort()
            else:
                bits.remove(index)
        if changed or _needs_signing(data_dir, state, name, keys.trust, at):
            _write_list(data_dir, issuer, name, _sign(state, keys, name, purpose, at))
        sequence = int(state["lists"][name]["sequence"])
        publication = None
        if registry_url is not None:
            publication = _publish(data_dir, state, keys, name, purpose, at, registry_url, client)
            sequence = int(state["lists"][name]["sequence"])
        return IssuerChange(
            issuer=issuer,
            credential_id=credential_id,
            purpose=purpose,
            changed=changed,
            list_id=name,
            sequence=sequence,
            path=data_dir_list_path(data_dir, issuer, name),
            status=_status_of(state, allocation),
            publication=publication,
        )


# -- publishing ---------------------------------------------------------------------------------------


def _publish(
    data_dir: Path,
    state: dict[str, Any],
    keys: _IssuerKeys,
    name: str,
    purpose: StatusPurpose,
    now: datetime,
    registry_url: str,
    client: httpx.Client | None,
) -> Publication:
    """Post the list's current file; after a 409, sign once above the registry's highest sequence and post that."""
    issuer = str(state["issuer"])
    try:
        key = keys.identity.key_for("authentication", keys.trust, now)
    except VerificationError as exc:
        return Publication(False, int(state["lists"][name]["sequence"]), f"no usable authentication key: {exc}")
    with _client(client) as http:
        credential = read_status_list_file(data_dir_list_path(data_dir, issuer, name))
        try:
            answer = publish_status_list(http, registry_url, credential, key)
        except PublishRefused as refused:
            if not refused.out_of_order:
                return Publication(False, int(credential["sequence"]), str(refused), refused=True)
            try:
                highest = registry_highest_sequence(http, registry_url, status_list_url(issuer, name), refused)
            except PublishError as exc:
                return Publication(False, int(credential["sequence"]), str(exc))
            entry = state["lists"][name]
            entry["sequence"] = max(int(entry["sequence"]), highest)
            credential = _sign(state, keys, name, purpose, now)
            _write_list(data_dir, issuer, name, credential)
            try:
                answer = publish_status_list(http, registry_url, credential, key)
            except PublishError as exc:
                return Publication(False, int(credential["sequence"]), str(exc), isinstance(exc, PublishRefused))
        except PublishError as exc:
            return Publication(False, int(credential["sequence"]), str(exc))
    return Publication(True, answer.sequence)


@contextmanager
def _client(given: httpx.Client | None) -> Iterator[httpx.Client]:
    if given is not None:
        yield given
        return
    with httpx.Client(timeout=PUBLISH_TIMEOUT_S, trust_env=False) as own:
        yield own
