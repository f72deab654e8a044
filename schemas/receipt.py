"""A port's receipt and public log entry: made and checked in this one module (docs/design.md §§4 to 6).

Making (the port and every stand-in for it):

- ``receipt_subject`` states what a port decided about one submission;
- ``log_entry_of`` turns a subject into its public log entry, ``{"v": 1, "exporter", "submissionId",
  "submissionDigest", "decision", "reasonCodes", "receivedAt"}`` (``log_entry``; reason codes distinct,
  in order), and ``leaf_input_of`` gives its RFC 8785 bytes, the RFC 9162 leaf input;
- ``build_receipt`` signs the subject, with where its entry sits in the log (``LogPosition``), as a
  ``SubmissionReceipt`` credential by the port's ``assertion`` key.

Checking (exporters, auditors, the conformance kit): a receipt counts only when every step of
``RECEIPT_CHECKS`` passes, in this order; otherwise VerificationError with code ``RECEIPT_INVALID`` and
a message naming the check. Each step is also a function of its own inputs (``check_signature`` ...
``check_inclusion``), so the kit can run and report them one by one:

1. ``signature``: it verifies as a ``SubmissionReceipt`` credential signed by the port's ``assertion``
   key, judged with the trust list at ``at`` (or at the receipt's ``validFrom`` when the port's clock runs
   ahead by no more than ``clock_skew``);
2. ``subject``: when the caller says what was sent, the subject matches it (``submissionId``,
   ``submissionDigest``, ``exporter``) and states a decision (``check_subject``); the exporter is in the
   trust list and ``log.origin`` is the port's log origin ``<port id>.pilot.example/log``
   (``check_parties``);
3. ``leaf hash``: the log entry rebuilt from the subject hashes to ``log.leafHash``;
4. ``checkpoint``: ``log.checkpoint`` is a C2SP signed note by the port's ``log`` key under its origin
   (``verify_log_checkpoint``, whose code is ``CHECKPOINT_INVALID`` when used alone);
5. ``inclusion``: the inclusion proof leads from ``leafHash`` at ``index`` to the checkpoint's root
   (RFC 9162 §2.1.3.2).

The log entry is a plain dict rather than the ``LogEntry`` model: a verifier must rebuild the entry
from the receipt's exact strings, and a model would normalise them (``receivedAt``) and change the leaf.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, get_args

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.data_integrity import sign_data_integrity_canonical
from schemas.errors import VerificationError
from schemas.identifiers import RECEIPT_TYPE, did_of, log_origin
from schemas.issue import unsigned_credential
from schemas.keyring import KeyEntry
from schemas.merkle import leaf_hash, verify_inclusion
from schemas.models.receipt import Decision
from schemas.signed_note import Checkpoint, verify_checkpoint
from schemas.time import format_time, parse_time
from schemas.trust import TrustRegistry
from schemas.verify import check_credential

__all__ = [
    "RECEIPT_CHECKS",
    "RECEIPT_TYPE",
    "LogPosition",
    "ReceiptUnderCheck",
    "VerifiedReceipt",
    "b64",
    "b64_hash",
    "build_receipt",
    "check_checkpoint",
    "check_inclusion",
    "check_leaf_hash",
    "check_parties",
    "check_signature",
    "check_subject",
    "leaf_input_of",
    "log_entry",
    "log_entry_of",
    "log_of",
    "receipt_subject",
    "verify_log_checkpoint",
    "verify_receipt",
]

#: The decisions a receipt may carry (the receipt model's ``Decision``).
DECISIONS: tuple[str, ...] = get_args(Decision)


# -- the log entry ------------------------------------------------------------------------------------


def log_entry(
    *,
    exporter: str,
    submission_id: str | None,
    submission_digest: str | None,
    decision: str | None,
    reason_codes: Sequence[str],
    received_at: str | None,
) -> dict[str, Any]:
    """The public log entry of one submission: digests and codes only, since the log is public.

    None (JSON null) only where a verifier rebuilds the entry of a receipt that lacks the member.
    """
    return {
        "v": 1,
        "exporter": exporter,
        "submissionId": submission_id,
        "submissionDigest": submission_digest,
        "decision": decision,
        "reasonCodes": list(reason_codes),
        "receivedAt": received_at,
    }


def leaf_input_of(entry: Mapping[str, Any]) -> bytes:
    """The leaf input of a log entry: its RFC 8785 bytes."""
    return canonicalize(entry)


def log_entry_of(exporter_id: str, subject: Mapping[str, Any]) -> dict[str, Any]:
    """The log entry a receipt's subject stands for, sent by ``exporter_id`` (reason codes distinct, in order)."""
    reasons = subject.get("reasons", [])
    codes = [str(r.get("code")) for r in reasons if isinstance(r, Mapping)]
    return log_entry(
        exporter=exporter_id,
        submission_id=subject.get("submissionId"),
        submission_digest=subject.get("submissionDigest"),
        decision=subject.get("decision"),
        reason_codes=list(dict.fromkeys(codes)),
        received_at=subject.get("receivedAt"),
    )


# -- making a receipt ---------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    """RFC 4648 section 4 base64 (standard alphabet, padded), as every base64 field of the API is."""
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class LogPosition:
    """Where a submission's entry sits in the log, and the checkpoint its inclusion proof leads to."""

    index: int
    leaf_hash: bytes
    checkpoint: str
    inclusion_proof: Sequence[bytes]


def receipt_subject(
    *,
    submission_id: str,
    submission_digest: str,
    exporter_id: str,
    decision: str,
    reasons: Sequence[Mapping[str, str]],
    received_at: datetime,
    status_lists: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """What a port decided about one submission: a receipt's ``credentialSubject`` before its ``log``.

    ``status_lists``: the status list versions the decision relied on (``{id, sequence, digest}``,
    docs/design.md §12); the member is left out when there are none.
    """
    subject: dict[str, Any] = {
        "submissionId": submission_id,
        "submissionDigest": submission_digest,
        "exporter": did_of(exporter_id),
        "decision": decision,
        "reasons": [dict(r) for r in reasons],
        "receivedAt": format_time(received_at),
    }
    if status_lists:
        subject["statusLists"] = [dict(s) for s in status_lists]
    return subject


def build_receipt(
    subject: Mapping[str, Any], position: LogPosition, *, key: KeyEntry, port_id: str, port_name: str
) -> bytes:
    """The RFC 8785 bytes of ``port_id``'s receipt for ``subject`` logged at ``position``, signed with ``key``.

    ``key`` is the port's ``assertion`` key; the issuer is the port's DID and the log origin its own.
    The proof's ``created`` and the credential's ``validFrom`` are the subject's ``receivedAt``.
    """
    received_at = parse_time(str(subject["receivedAt"]))
    logged = {
        **subject,
        "log": {
            "origin": log_origin(port_id),
            "index": position.index,
            "leafHash": b64(position.leaf_hash),
            "checkpoint": position.checkpoint,
            "inclusionProof": [b64(h) for h in position.inclusion_proof],
        },
    }
    credential = unsigned_credential(
        RECEIPT_TYPE,
        logged,
        credential_id=f"urn:pilot:receipt:{port_id}:{position.index}",
        issuer_did=did_of(port_id),
        issuer_name=port_name,
        valid_from=received_at,
    )
    # As ``schemas.issue.secure`` signs (data-integrity), writing the signed receipt's RFC 8785 bytes
    # without canonicalizing it a second time.
    return sign_data_integrity_canonical(
        credential, key.private_key, key.verification_method, created=format_time(received_at)
    )


# -- checking a receipt -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt that passed every check, with the parts callers keep."""

    receipt: dict[str, Any]
    port_id: str
    exporter_id: str
    decision: str
    reasons: list[dict[str, Any]]
    log_index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    checkpoint_text: str

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Warning-level reasons."""
        return [r for r in self.reasons if r.get("severity") == "warning"]


def _invalid(path: str, message: str) -> VerificationError:
    return VerificationError.single(Code.RECEIPT_INVALID, path, message)


def b64_hash(text: Any, path: str) -> bytes:
    """A 32-byte hash from RFC 4648 base64; RECEIPT_INVALID otherwise."""
    if not isinstance(text, str):
        raise _invalid(path, "not a base64 string")
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(path, f"not RFC 4648 base64: {exc}") from exc
    if len(value) != 32:
        raise _invalid(path, f"a SHA-256 hash has 32 bytes, this has {len(value)}")
    return value


def log_of(subject: Mapping[str, Any]) -> Mapping[str, Any]:
    """A receipt subject's ``log`` object; RECEIPT_INVALID when it has none."""
    log = subject.get("log")
    if not isinstance(log, Mapping):
        raise _invalid("/credentialSubject/log", "the receipt's subject has no log object")
    return log


def _judged_at(document: Mapping[str, Any], at: datetime, skew: timedelta) -> datetime:
    valid_from = document.get("validFrom")
    if isinstance(valid_from, str):
        try:
            issued = parse_time(valid_from)
        except VerificationError:
            return at
        if at < issued <= at + skew:
            return issued
    return at


def check_signature(
    document: Any, trust: TrustRegistry, *, port_id: str, at: datetime, clock_skew: timedelta
) -> tuple[Mapping[str, Any], str]:
    """Step 1: a ``SubmissionReceipt`` signed by ``port_id``'s assertion key; its subject and the key's id."""
    if not isinstance(document, Mapping):
        raise _invalid("", f"the receipt is a JSON {type(document).__name__}, not an object")
    report = check_credential(document, trust, _judged_at(document, at, clock_skew))
    if not report.verified or report.payload is None or report.key is None:
        found = "; ".join(f"{p.code} at {p.path or '/'}: {p.message}" for p in report.errors) or "not verified"
        raise _invalid("", f"the receipt does not verify: {found}")
    if report.record_type != RECEIPT_TYPE:
        raise _invalid("/type", f"the document is a {report.record_type}, not a {RECEIPT_TYPE}")
    if report.key.participant_id != port_id:
        raise _invalid("/proof", f"the receipt is signed by {report.key.participant_id}, not by {port_id}")
    return report.payload["credentialSubject"], report.key.verification_method


def check_subject(
    subject: Mapping[str, Any],
    *,
    submission_id: str | None = None,
    submission_digest: str | None = None,
    exporter_did: str | None = None,
) -> str:
    """Step 2 (what was sent): the subject names what the caller sent, when it says; its decision."""
    for name, want in (
        ("submissionId", submission_id),
        ("submissionDigest", submission_digest),
        ("exporter", exporter_did),
    ):
        if want is not None and subject.get(name) != want:
            raise _invalid(f"/credentialSubject/{name}", f"is {subject.get(name)!r}, expected {want!r}")
    decision = subject.get("decision")
    if decision not in DECISIONS:
        raise _invalid("/credentialSubject/decision", f"is {decision!r}, not a decision")
    return str(decision)


def check_parties(subject: Mapping[str, Any], trust: TrustRegistry, port_id: str) -> str:
    """Step 2 (who): the exporter is in the trust list and the log is ``port_id``'s; the exporter's short id."""
    exporter = trust.participant_by_did(str(subject.get("exporter")))
    if exporter is None:
        raise _invalid("/credentialSubject/exporter", f"{subject.get('exporter')} is not in the trust list")
    origin, claimed = log_origin(port_id), log_of(subject).get("origin")
    if claimed != origin:
        raise _invalid("/credentialSubject/log/origin", f"the receipt's log origin is {claimed!r}, expected {origin!r}")
    return exporter.id


def check_leaf_hash(subject: Mapping[str, Any], exporter_id: str) -> bytes:
    """Step 3: the log entry rebuilt from the subject hashes to ``log.leafHash``; that hash."""
    claimed = b64_hash(log_of(subject).get("leafHash"), "/credentialSubject/log/leafHash")
    if leaf_hash(leaf_input_of(log_entry_of(exporter_id, subject))) != claimed:
        raise _invalid(
            "/credentialSubject/log/leafHash", "the log entry rebuilt from the receipt does not hash to its leafHash"
        )
    return claimed


def verify_log_checkpoint(text: str, port_id: str, trust: TrustRegistry, at: datetime) -> Checkpoint:
    """A port's checkpoint note verified with any of its ``log`` keys valid at ``at``; CHECKPOINT_INVALID else."""
    origin = log_origin(port_id)
    keys = trust.keys_of(port_id, "log")
    if not keys:
        raise VerificationError.single(Code.CHECKPOINT_INVALID, "", f"the trust list has no log key for {port_id}")
    problems: list[str] = []
    for key in keys:
        try:
            key.check("log", at)
            return verify_checkpoint(text, origin, key.public_key, origin=origin)
        except VerificationError as exc:
            problems.append(f"{key.verification_method}: {exc}")
    raise VerificationError.single(Code.CHECKPOINT_INVALID, "", "checkpoint does not verify: " + "; ".join(problems))


def check_checkpoint(subject: Mapping[str, Any], port_id: str, trust: TrustRegistry, at: datetime) -> Checkpoint:
    """Step 4: ``log.checkpoint`` is signed by ``port_id``'s ``log`` key under its origin; the checkpoint."""
    try:
        return verify_log_checkpoint(str(log_of(subject).get("checkpoint", "")), port_id, trust, at)
    except VerificationError as exc:
        raise _invalid("/credentialSubject/log/checkpoint", str(exc)) from exc


def check_inclusion(subject: Mapping[str, Any], checkpoint: Checkpoint) -> int:
    """Step 5: the inclusion proof leads from ``leafHash`` at ``index`` to the checkpoint's root; the index."""
    log = log_of(subject)
    leaf = b64_hash(log.get("leafHash"), "/credentialSubject/log/leafHash")
    index, raw = log.get("index"), log.get("inclusionProof")
    if not isinstance(index, int) or isinstance(index, bool):
        raise _invalid("/credentialSubject/log/index", f"is {index!r}, not an integer")
    if not isinstance(raw, list):
        raise _invalid("/credentialSubject/log/inclusionProof", "is not a list")
    proof = [b64_hash(h, f"/credentialSubject/log/inclusionProof/{i}") for i, h in enumerate(raw)]
    try:
        verify_inclusion(index, checkpoint.size, leaf, proof, checkpoint.root_hash)
    except VerificationError as exc:
        raise _invalid("/credentialSubject/log/inclusionProof", f"the inclusion proof does not verify: {exc}") from exc
    return index


@dataclass
class ReceiptUnderCheck:
    """One receipt going through ``RECEIPT_CHECKS``: what is asked of it, then what each step established."""

    document: Any
    trust: TrustRegistry
    port_id: str
    at: datetime
    submission_id: str | None = None
    submission_digest: str | None = None
    exporter_did: str | None = None
    clock_skew: timedelta = timedelta(seconds=300)
    subject: Mapping[str, Any] = field(default_factory=dict)
    exporter_id: str = ""
    leaf_hash: bytes = b""
    checkpoint: Checkpoint | None = None

    def signature(self) -> None:
        """Step 1, keeping the verified subject."""
        self.subject, _ = check_signature(
            self.document, self.trust, port_id=self.port_id, at=self.at, clock_skew=self.clock_skew
        )

    def subject_matches(self) -> None:
        """Step 2, keeping the exporter's short id."""
        check_subject(
            self.subject,
            submission_id=self.submission_id,
            submission_digest=self.submission_digest,
            exporter_did=self.exporter_did,
        )
        self.exporter_id = check_parties(self.subject, self.trust, self.port_id)

    def leaf(self) -> None:
        """Step 3, keeping the leaf hash."""
        self.leaf_hash = check_leaf_hash(self.subject, self.exporter_id)

    def logged_under(self) -> None:
        """Step 4, keeping the checkpoint."""
        self.checkpoint = check_checkpoint(self.subject, self.port_id, self.trust, self.at)

    def included(self) -> None:
        """Step 5."""
        assert self.checkpoint is not None, "the checkpoint step runs first"
        check_inclusion(self.subject, self.checkpoint)

    def verified(self) -> VerifiedReceipt:
        """The result, once every step passed."""
        assert self.checkpoint is not None, "every step runs first"
        log = log_of(self.subject)
        return VerifiedReceipt(
            receipt=dict(self.document),
            port_id=self.port_id,
            exporter_id=self.exporter_id,
            decision=str(self.subject["decision"]),
            reasons=[dict(r) for r in self.subject.get("reasons", [])],
            log_index=int(log["index"]),
            leaf_hash=self.leaf_hash,
            checkpoint=self.checkpoint,
            checkpoint_text=str(log["checkpoint"]),
        )


#: The steps of receipt verification, by name, in the order they run (module docstring).
RECEIPT_CHECKS: tuple[tuple[str, Callable[[ReceiptUnderCheck], None]], ...] = (
    ("signature", ReceiptUnderCheck.signature),
    ("subject", ReceiptUnderCheck.subject_matches),
    ("leaf hash", ReceiptUnderCheck.leaf),
    ("checkpoint", ReceiptUnderCheck.logged_under),
    ("inclusion", ReceiptUnderCheck.included),
)


def verify_receipt(
    document: Any,
    trust: TrustRegistry,
    *,
    port_id: str,
    at: datetime,
    submission_id: str | None = None,
    submission_digest: str | None = None,
    exporter_did: str | None = None,
    clock_skew: timedelta = timedelta(seconds=300),
) -> VerifiedReceipt:
    """Verify a receipt from ``port_id`` judged at ``at``: every step of ``RECEIPT_CHECKS``, in order."""
    receipt = ReceiptUnderCheck(
        document, trust, port_id, at, submission_id, submission_digest, exporter_did, clock_skew=clock_skew
    )
    for _, step in RECEIPT_CHECKS:
        step(receipt)
    return receipt.verified()
