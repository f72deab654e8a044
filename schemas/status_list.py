"""W3C Bitstring Status List v1.0: status entries, status list credentials, and checking a credential's status.

docs/design.md §12. Pure: building and reading status lists needs no network; *getting* the current list
of an issuer is the caller's job, behind the ``StatusLookup`` protocol (the port's and the exporter's
cache over the registry, ``node_core.status_cache``; a fixed set of files offline, ``StaticStatusLists``).

- Where a list lives: a status list credential's ``id`` is a location-free URL under
  ``REGISTRY_ORIGIN`` (``https://registry.pilot.example/v1/status/<issuer short id>/<list id>``). As
  with DIDs, identity is signed and location is deployment: a node fetches the same path from the
  registry it knows (``network.json`` or ``PILOT_PEER_URLS``, id ``registry``).
- Lists: each issuer keeps one list per purpose (``revocation``, ``suspension``) and generation; list ids
  are ``<purpose>-<generation>``. Generation 0 holds the sandbox's fixed records (the published vectors
  and test fixtures, signed once by ``pilot init``); generation 1 the records issued at run time.
- The bitstring: at least ``STATUS_LIST_LENGTH`` (131,072) entries of one bit, index 0 the most
  significant bit of the first byte, GZIP-compressed and written as multibase base64url without padding
  (prefix ``u``), as the specification says.
- Checking a credential (``check_status``): every entry of its ``credentialStatus`` is looked up; a set
  bit is ``CREDENTIAL_REVOKED`` or ``CREDENTIAL_SUSPENDED`` (errors); a list that cannot be had, is past
  its ``validUntil``, fails its proof, was not signed by the credential's issuer, has another purpose or
  is too short for the index is ``STATUS_UNAVAILABLE``, a warning that holds the submission for
  inspection (fail closed: never ``accepted`` without a status check that succeeded). The versions relied
  on are returned, for the receipt's ``statusLists``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from schemas.codes import Code
from schemas.errors import Reason, VerificationError
from schemas.identifiers import did_of
from schemas.issue import unsigned_credential
from schemas.jose import credential_payload
from schemas.models.credential import StatusListEntry, StatusPurpose
from schemas.models.registry import AUTHORIZED_ROLES
from schemas.models.status import BitstringStatusListCredential
from schemas.phrase import Phrase
from schemas.trust import TrustRegistry
from schemas.verify import CredentialReport, check_credential

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_TTL",
    "REGISTRY_ORIGIN",
    "STATUS_LIST_LENGTH",
    "STATUS_LIST_TYPE",
    "StaticStatusLists",
    "StatusCheck",
    "StatusList",
    "StatusLookup",
    "StatusUnavailable",
    "bit_is_set",
    "check_status",
    "cited_status_lists",
    "decode_bitstring",
    "encode_bitstring",
    "list_id",
    "purpose_of_list",
    "purposes_for",
    "purposes_kept_by",
    "split_status_list_url",
    "status_entries",
    "status_list_credential",
    "status_list_path",
    "status_list_url",
    "verify_status_list",
]

#: The origin of every status list credential's id (a name, not a location: see the module doc).
REGISTRY_ORIGIN = "https://registry.pilot.example"
#: The path under which a registry serves status lists: ``/v1/status/<issuer>/<list>``.
STATUS_PATH = "/v1/status"
#: Entries in every list the pilot publishes: the specification's minimum, 16 KiB uncompressed.
STATUS_LIST_LENGTH = 131_072
#: The largest bitstring a verifier decompresses (16 Mi entries); a bigger one is refused, not inflated.
MAX_BITSTRING_BYTES = 2 * 1024 * 1024
#: How long a verifier may keep a list before fetching it again, unless the issuer says otherwise.
DEFAULT_TTL = timedelta(minutes=5)
#: A list whose ``validFrom`` is up to this far after the judged time is still usable: the issuer's clock
#: may run ahead of the verifier's, and a list is fetched the moment it is published (the same tolerance
#: as a request signature's ``created``, docs/design.md §4). Its ``validUntil`` gets no such grace.
CLOCK_SKEW = timedelta(seconds=300)
#: The record type of a status list credential.
STATUS_LIST_TYPE = BitstringStatusListCredential.record_type
#: Record types that carry a ``suspension`` entry besides ``revocation`` (certificates and attestations
#: are suspended and reinstated in real life; facility records, events and manifests are superseded).
SUSPENDABLE_TYPES = frozenset({"DigitalConformityCredential", "VeterinaryAttestation"})

#: Record types that carry no status entries.
_STATUSLESS_TYPES = frozenset({"SubmissionReceipt", BitstringStatusListCredential.record_type})
_PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")

_SEGMENT = r"[a-z0-9][a-z0-9-]{1,62}"
_URL = re.compile(rf"{re.escape(REGISTRY_ORIGIN)}{STATUS_PATH}/({_SEGMENT})/({_SEGMENT})")


# -- where lists live ---------------------------------------------------------------------------------


def list_id(purpose: StatusPurpose, generation: int) -> str:
    """The id of an issuer's list of ``purpose``, generation ``generation`` (0: sandbox fixtures)."""
    return f"{purpose}-{generation}"


def purpose_of_list(list_name: str) -> StatusPurpose | None:
    """The purpose a list id names, the inverse of ``list_id`` (``revocation-1`` -> ``revocation``); None
    for an id that names none."""
    prefix = list_name.rpartition("-")[0]
    for purpose in _PURPOSES:
        if prefix == purpose:
            return purpose
    return None


def status_list_url(issuer_id: str, list_name: str) -> str:
    """The status list credential id of ``issuer_id``'s list ``list_name``."""
    url = f"{REGISTRY_ORIGIN}{STATUS_PATH}/{issuer_id}/{list_name}"
    if not _URL.fullmatch(url):
        raise ValueError("an issuer short id and a list id are lowercase letters, digits and hyphens")
    return url


def split_status_list_url(url: str) -> tuple[str, str] | None:
    """``(issuer short id, list id)`` of a pilot status list URL, or None for any other URL."""
    match = _URL.fullmatch(url)
    return (match.group(1), match.group(2)) if match else None


def status_list_path(url: str) -> str | None:
    """The path to GET from the registry for a pilot status list URL, or None for any other URL."""
    return url.removeprefix(REGISTRY_ORIGIN) if split_status_list_url(url) else None


def purposes_for(record_type: str) -> tuple[StatusPurpose, ...]:
    """The status purposes a credential of ``record_type`` carries entries for."""
    return ("revocation", "suspension") if record_type in SUSPENDABLE_TYPES else ("revocation",)


def purposes_kept_by(role: str) -> tuple[StatusPurpose, ...]:
    """The lists an issuer of ``role`` keeps: the purposes of every record type it may issue that carries
    status (receipts and status lists themselves carry none)."""
    kept = {
        purpose
        for record_type, roles in AUTHORIZED_ROLES.items()
        if role in roles and record_type not in _STATUSLESS_TYPES
        for purpose in purposes_for(record_type)
    }
    return tuple(purpose for purpose in _PURPOSES if purpose in kept)


def status_entries(
    issuer_id: str, index: int, purposes: Iterable[StatusPurpose], *, generation: int
) -> list[dict[str, str]]:
    """The ``credentialStatus`` of a credential ``issuer_id`` allocated ``index`` to, one entry per purpose."""
    if not 0 <= index < STATUS_LIST_LENGTH:
        raise ValueError(f"a status list index is in [0, {STATUS_LIST_LENGTH})")
    entries = []
    for purpose in purposes:
        url = status_list_url(issuer_id, list_id(purpose, generation))
        entries.append(
            {
                "id": f"{url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),
                "statusListCredential": url,
            }
        )
    return entries


def cited_status_lists(submission: Any) -> set[str]:
    """Every status list URL the manifest and the credentials of a submission cite (either securing form)."""
    if not isinstance(submission, Mapping):
        return set()
    urls: set[str] = set()
    for credential in [submission.get("manifest"), *(submission.get("credentials") or [])]:
        if not isinstance(credential, Mapping):
            continue
        try:
            payload = credential_payload(credential)
        except VerificationError:
            continue  # an envelope that does not decode cites nothing readable
        for entry in payload.get("credentialStatus") or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("statusListCredential"), str):
                urls.add(entry["statusListCredential"])
    return urls


# -- the bitstring ------------------------------------------------------------------------------------


def encode_bitstring(indexes: Iterable[int], length: int = STATUS_LIST_LENGTH) -> str:
    """``encodedList`` for a list of ``length`` entries with the bits at ``indexes`` set.

    GZIP with a zero modification time, so the same bits always give the same bytes.
    """
    if length % 8 or length < STATUS_LIST_LENGTH:
        raise ValueError(f"a list has a multiple of 8 entries, at least {STATUS_LIST_LENGTH}")
    bits = bytearray(length // 8)
    for index in indexes:
        if not 0 <= index < length:
            raise ValueError(f"index {index} is outside a list of {length} entries")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_bitstring(encoded: str, *, max_bytes: int = MAX_BITSTRING_BYTES) -> bytes:
    """The uncompressed bitstring of an ``encodedList``; ``ValueError`` saying what is wrong.

    Decompression stops at ``max_bytes``: a list that would inflate beyond it is refused.
    """
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url: it starts with 'u'")
    body = encoded[1:]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", body):
        raise ValueError("encodedList holds characters outside base64url without padding")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("encodedList is not base64url") from exc
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # GZIP framing only
    try:
        bits = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise ValueError("encodedList is not GZIP data") from exc
    if len(bits) > max_bytes:
        raise ValueError(f"the bitstring inflates beyond {max_bytes} bytes")
    if not inflater.eof or inflater.unused_data:
        raise ValueError("encodedList is not exactly one complete GZIP member")
    if len(bits) * 8 < STATUS_LIST_LENGTH:
        raise ValueError(f"the bitstring has {len(bits) * 8} entries; the minimum is {STATUS_LIST_LENGTH}")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """The bit at ``index`` (index 0 is the most significant bit of the first byte)."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# -- status list credentials --------------------------------------------------------------------------


def status_list_credential(
    *,
    issuer_id: str,
    issuer_name: str,
    list_name: str,
    purpose: StatusPurpose,
    sequence: int,
    set_indexes: Iterable[int],
    valid_from: datetime,
    valid_until: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> dict[str, Any]:
    """The unsigned status list credential version ``sequence`` of ``issuer_id``'s list ``list_name``.

    Sign it with the issuer's ``assertion`` key (``schemas.issue.secure``).
    """
    url = status_list_url(issuer_id, list_name)
    subject = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encode_bitstring(set_indexes),
        "ttl": int(ttl.total_seconds() * 1000),
    }
    credential = unsigned_credential(
        STATUS_LIST_TYPE,
        subject,
        credential_id=url,
        issuer_did=did_of(issuer_id),
        issuer_name=issuer_name,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    credential["sequence"] = sequence
    return credential


@dataclass(frozen=True)
class StatusList:
    """A status list credential whose proof, issuer and bitstring were verified."""

    url: str
    issuer_did: str
    purpose: StatusPurpose
    sequence: int
    digest: str
    valid_from: datetime
    valid_until: datetime
    ttl: timedelta
    bits: bytes = field(repr=False)
    credential: Mapping[str, Any] = field(repr=False, compare=False)

    def is_set(self, index: int) -> bool:
        """The status bit at ``index``; ``IndexError`` outside the list."""
        if not 0 <= index < len(self.bits) * 8:
            raise IndexError(index)
        return bit_is_set(self.bits, index)

    def usable_at(self, at: datetime) -> bool:
        """True when ``at`` is inside the list's validity window (its start with ``CLOCK_SKEW`` of grace)."""
        return self.valid_from - CLOCK_SKEW <= at <= self.valid_until

    def reference(self) -> dict[str, Any]:
        """``{id, sequence, digest}``: how a receipt names this version."""
        return {"id": self.url, "sequence": self.sequence, "digest": self.digest}


def verify_status_list(credential: Any, trust: TrustRegistry, at: datetime, *, url: str | None = None) -> StatusList:
    """Verify a status list credential at ``at`` (and, given ``url``, that it is the list at that URL).

    Raises ``VerificationError`` with every problem: a proof that fails, a key that is not its issuer's
    ``assertion`` key, a malformed list, a list outside its validity window, another list than asked for.
    """
    report = check_credential(credential, trust, at)
    problems = [p for p in report.errors if not _early_within_skew(p, report, at)]
    if not problems and report.record_type != STATUS_LIST_TYPE:
        problems.append(Reason(Code.SCHEMA_INVALID, "/type", f"expected a {STATUS_LIST_TYPE}"))
    model = report.model
    if problems or not isinstance(model, BitstringStatusListCredential) or report.digest is None:
        raise VerificationError(problems or [Reason(Code.SCHEMA_INVALID, "/", "not a status list credential")])
    if url is not None and model.id != url:
        raise VerificationError.single(Code.SCHEMA_INVALID, "/id", "this is not the status list that was asked for")
    try:
        bits = decode_bitstring(model.credentialSubject.encodedList)
    except ValueError as exc:
        raise VerificationError.single(Code.SCHEMA_INVALID, "/credentialSubject/encodedList", str(exc)) from exc
    assert model.validUntil is not None  # the model requires it
    return StatusList(
        url=model.id,
        issuer_did=model.issuer.id,
        purpose=model.credentialSubject.statusPurpose,
        sequence=model.sequence,
        digest=report.digest,
        valid_from=model.validFrom,
        valid_until=model.validUntil,
        ttl=timedelta(milliseconds=model.credentialSubject.ttl),
        bits=bits,
        credential=credential,
    )


def _early_within_skew(problem: Reason, report: CredentialReport, at: datetime) -> bool:
    """True for a ``CREDENTIAL_NOT_YET_VALID`` whose ``validFrom`` is within ``CLOCK_SKEW`` of ``at``."""
    model = report.model
    if problem.code != Code.CREDENTIAL_NOT_YET_VALID or not isinstance(model, BitstringStatusListCredential):
        return False
    return model.validFrom <= at + CLOCK_SKEW


# -- looking lists up ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusUnavailable:
    """Why a status list could not be had: a sentence for the ``STATUS_UNAVAILABLE`` reason."""

    why: str


class StatusLookup(Protocol):
    """Where a verifier gets the current status list at a URL, verified against ``trust`` at ``at``."""

    def status_list(self, url: str, trust: TrustRegistry, at: datetime) -> StatusList | StatusUnavailable:
        """The verified list, or why there is none to rely on (never raises for an unreachable list)."""
        ...


class StaticStatusLists:
    """A fixed set of status list credentials (files given on the command line, an audit bundle, tests).

    A URL given more than once keeps the highest ``sequence`` that verifies.
    """

    def __init__(self, credentials: Iterable[Mapping[str, Any]] = ()) -> None:
        self._credentials: dict[str, list[Mapping[str, Any]]] = {}
        for credential in credentials:
            self.add(credential)

    def add(self, credential: Mapping[str, Any]) -> None:
        """Offer one more status list credential (verified when looked up)."""
        url = credential.get("id") if isinstance(credential, Mapping) else None
        if isinstance(url, str):
            self._credentials.setdefault(url, []).append(credential)

    def urls(self) -> list[str]:
        """Every URL a list was offered for."""
        return sorted(self._credentials)

    def status_list(self, url: str, trust: TrustRegistry, at: datetime) -> StatusList | StatusUnavailable:
        """The highest verified version offered for ``url``."""
        best: StatusList | None = None
        failure = "no status list was given for this URL"
        for credential in self._credentials.get(url, []):
            try:
                found = verify_status_list(credential, trust, at, url=url)
            except VerificationError as exc:
                failure = f"the status list does not verify: {exc.problems[0].message}"
                continue
            if best is None or found.sequence > best.sequence:
                best = found
        return best if best is not None else StatusUnavailable(failure)


# -- checking one credential --------------------------------------------------------------------------


@dataclass
class StatusCheck:
    """What checking the status of one or more credentials found."""

    reasons: list[Reason] = field(default_factory=list)
    #: The list versions the verdict relied on, each once, in order of first use.
    relied_on: list[StatusList] = field(default_factory=list)

    def rely_on(self, status_list: StatusList) -> None:
        if all(s.digest != status_list.digest for s in self.relied_on):
            self.relied_on.append(status_list)

    @property
    def references(self) -> list[dict[str, Any]]:
        """``relied_on`` as a receipt names them."""
        return [s.reference() for s in self.relied_on]


def _entries(report: CredentialReport) -> list[StatusListEntry] | None:
    """The credential's status entries when its signature verified and they are well formed, else None."""
    if not report.signature_verified or report.payload is None:
        return None
    model = report.model
    if model is not None:
        return list(getattr(model, "credentialStatus", None) or [])
    raw = report.payload.get("credentialStatus")
    if not isinstance(raw, list):
        return []
    try:
        return [StatusListEntry.model_validate(item) for item in raw]
    except ValueError:
        return None  # malformed entries are a schema problem, already reported


def check_status(
    report: CredentialReport, lookup: StatusLookup, trust: TrustRegistry, at: datetime, into: StatusCheck
) -> None:
    """Check every status entry of one verified credential at ``at``, adding reasons and lists to ``into``.

    A credential whose signature did not verify is not checked (its status means nothing).
    """
    entries = _entries(report)
    if not entries or report.payload is None:
        return
    issuer = report.payload.get("issuer")
    issuer_did = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    for number, entry in enumerate(entries):
        path = f"{report.path}/credentialStatus/{number}"
        found = lookup.status_list(entry.statusListCredential, trust, at)
        why = _unusable(found, entry, issuer_did, at)
        if why is not None:
            message = Phrase("the credential's status cannot be established: {why}", why=why)
            into.reasons.append(Reason.of(Code.STATUS_UNAVAILABLE, path, message, "warning"))
            continue
        assert isinstance(found, StatusList)
        into.rely_on(found)
        if found.is_set(int(entry.statusListIndex)):
            code = Code.CREDENTIAL_REVOKED if entry.statusPurpose == "revocation" else Code.CREDENTIAL_SUSPENDED
            message = (
                Phrase(
                    "the issuer has revoked this credential (status list version {sequence})", sequence=found.sequence
                )
                if entry.statusPurpose == "revocation"
                else Phrase(
                    "the issuer has suspended this credential (status list version {sequence})", sequence=found.sequence
                )
            )
            into.reasons.append(Reason.of(code, path, message))


def _unusable(
    found: StatusList | StatusUnavailable, entry: StatusListEntry, issuer_did: Any, at: datetime
) -> str | None:
    """Why ``found`` cannot decide ``entry``'s status, or None when it can."""
    if isinstance(found, StatusUnavailable):
        return found.why
    if found.issuer_did != issuer_did:
        return "its status list was not issued by the credential's issuer"
    if found.purpose != entry.statusPurpose:
        return "its status list has another statusPurpose than the entry"
    if not found.usable_at(at):
        return "its status list is outside its validity window"
    if int(entry.statusListIndex) >= len(found.bits) * 8:
        return "its statusListIndex is beyond the end of the status list"
    return None
