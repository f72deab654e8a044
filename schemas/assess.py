"""A port's assessment of one submission: every credential verified, references, evidence, policy.

docs/design.md §§5 to 8. ``assess_submission`` is pure: given the parsed submission, the submitting
exporter, the trust list, the port's receive time and (at a port) the day's sampling key, it returns the
decision and every reason. The port node adds only what is not pure (request signature, storage, the
log, the signed receipt), and the conformance kit and ``pilot conformance validate`` call the same
function, so a file's verdict offline is the verdict a port gives it (sampling aside, below).

The port's rules are small named classes in ``schemas.rules``, run in the order of ``PORT_RULES`` on
a ``RuleContext`` that holds the validated ``Submission``, every ``CredentialReport``, the registry and
the port's typed ``PortPolicy``.

Decision: any error-level reason -> ``rejected``; otherwise an inspection rule of the port's policy
(``schemas.rules.InspectionHold``) -> ``held_for_inspection``: a lot under ``holdHsCodes``, or
``samplingRate`` applied to an HMAC of the submission digest under the port's day key
(``schemas.sampling``), which only the port knows until the day is over; otherwise ``accepted``.
Warnings never change the decision, with one exception: ``STATUS_UNAVAILABLE`` (a credential's status
could not be established, docs/design.md §12) holds the submission for inspection, so that nothing is
accepted without a status check that succeeded. Without a status lookup (offline, where no status lists
were given) status is not checked, and ``Assessment.status_checked`` says so.
Without a sampling key (offline, or an exporter's own pre-check)
sampling cannot be applied: such a verdict never holds for sampling and says so in
``Assessment.sampled`` (None).

Sealed credentials (docs/design.md §§4, 8). A credential of the submission that is sealed
(``schemas.sealing.is_sealed``) is opened with the port's ``agreement_keys`` (its ``kid`` must name a
``keyAgreement`` key of this port, usable at ``at``, that the port holds: ``schemas.verify.check_sealed_credential``)
and the credential inside is verified and classified exactly as a clear one; its report's ``sealed_to``
names the key. Only such credentials take that path: the cost of a clear submission is unchanged. The
manifest is never sealed (``SEALING_NOT_EXPECTED``). ``sealed_indexes`` serves an exporter's pre-check,
run on the plaintext before it seals: the credentials at those indexes are judged as if they arrived
sealed to the port's current sealing key (``TrustRegistry.sealing_key``). The rules then hold each field
to the port's policy: a category it takes only sealed must come in a sealed credential
(``DATA_CATEGORY_SEALING_REQUIRED``), and a sealed credential must hold one (``SEALING_NOT_EXPECTED``)
(``schemas.rules.DataCategoriesPermitted``, ``SealingExpected``). What the port stores of such a submission
is what it received, the sealed form (``Assessment.may_store_content``).

Reasons never quote input values, and a receipt carries at most ``MAX_RECEIPT_REASONS`` of them
(``Assessment.receipt_reasons``: every distinct code kept, then the first ones, then one
``REASONS_OMITTED``), each with a bounded path and message; the decision is made on all of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import ValidationError

from schemas.codes import Code
from schemas.digest import canonical_digest
from schemas.errors import Reason
from schemas.models.receipt import Decision
from schemas.models.submission import Submission
from schemas.models.validate import problems_from_validation_error
from schemas.phrase import Phrase
from schemas.rules import PORT_RULES, InspectionHold, RuleContext
from schemas.sealing import is_sealed
from schemas.status_list import StatusCheck, StatusLookup, check_status
from schemas.trust import TrustRegistry
from schemas.verify import CredentialReport, check_credential, check_sealed_credential

_SUBMISSION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

#: A receipt carries at most this many reasons, plus one REASONS_OMITTED saying how many were left out.
MAX_RECEIPT_REASONS = 50
#: Longest path and message of a reason in a receipt (a longer path is cut back to a whole segment).
MAX_REASON_PATH = 512
MAX_REASON_MESSAGE = 400


#: Reasons that say a field is one the port may not receive as it came: its content is not stored.
_NOT_RECEIVABLE = frozenset({Code.DATA_CATEGORY_NOT_PERMITTED, Code.DATA_CATEGORY_SEALING_REQUIRED})


@dataclass
class Assessment:
    """The verdict on one submission."""

    submission_id: str
    submission_digest: str
    decision: Decision
    reasons: list[Reason]
    manifest: CredentialReport | None = None
    credentials: list[CredentialReport] = field(default_factory=list)
    #: The sampling rule's outcome: True (selected), False (not selected), None (not applied: the policy
    #: samples nothing, or no sampling key was given, so the verdict cannot tell).
    sampled: bool | None = None
    #: The validated submission; None when it does not match its schema.
    submission: Submission | None = None
    #: True when credential status was checked (a status lookup was given).
    status_checked: bool = False
    #: The status list versions the verdict relied on, as a receipt names them (``{id, sequence, digest}``).
    status_lists: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reason_codes(self) -> list[str]:
        """The distinct reason codes, in order of first appearance."""
        return list(dict.fromkeys(str(p.code) for p in self.reasons))

    @property
    def classified(self) -> bool:
        """True when every field of the manifest and of every credential has a data category."""
        if self.manifest is None:
            return False
        return all(report.categories is not None for report in (self.manifest, *self.credentials))

    @property
    def may_store_content(self) -> bool:
        """True only when every field could be classified and every category is one the port may receive.

        docs/design.md §8: whatever the verification outcome; a field that cannot be classified (a
        credential that does not validate against its model, a sealed one that did not open) is not
        permitted. A field of a category the port takes only sealed is one it may receive when it arrived
        sealed: the port stores what it received, the sealed form, never the plaintext.
        """
        return self.classified and all(p.code not in _NOT_RECEIVABLE for p in self.reasons)

    @property
    def receipt_reasons(self) -> list[Reason]:
        """The reasons as a receipt carries them: bounded in number, path and message (see module doc)."""
        return cap_reasons(self.reasons)

    @property
    def receipt_reason_codes(self) -> list[str]:
        """The distinct codes of ``receipt_reasons``, in order: what the public log entry carries."""
        return list(dict.fromkeys(str(p.code) for p in self.receipt_reasons))


def _bounded_path(path: str) -> str:
    if len(path) <= MAX_REASON_PATH:
        return path
    return path[: path.rfind("/", 0, MAX_REASON_PATH + 1)]  # an ancestor: still a JSON pointer


def _bounded(problem: Reason) -> Reason:
    message = problem.message
    if len(message) > MAX_REASON_MESSAGE:
        message = message[: MAX_REASON_MESSAGE - 1] + "…"
    path = _bounded_path(problem.path)
    if path == problem.path and message == problem.message:
        return problem
    return replace(problem, path=path, message=message)


def cap_reasons(reasons: list[Reason], limit: int = MAX_RECEIPT_REASONS) -> list[Reason]:
    """At most ``limit`` reasons (plus one ``REASONS_OMITTED``), each bounded in path and message length.

    The first reason of every distinct code is kept, so the codes stay complete; the rest are filled in
    order of appearance. The decision is not affected: it is made on every reason.
    """
    if len(reasons) <= limit:
        return [_bounded(p) for p in reasons]
    keep: set[int] = set()
    codes: set[str] = set()
    for index, problem in enumerate(reasons):
        if problem.code not in codes:
            codes.add(problem.code)
            keep.add(index)
    for index in range(len(reasons)):
        if len(keep) >= limit:
            break
        keep.add(index)
    kept = [_bounded(reasons[index]) for index in sorted(keep)]
    omitted = len(reasons) - len(kept)
    message = (
        Phrase("1 more reason of the codes above omitted: a receipt carries at most {limit}", limit=limit)
        if omitted == 1
        else Phrase(
            "{omitted} more reasons of the codes above omitted: a receipt carries at most {limit}",
            omitted=omitted,
            limit=limit,
        )
    )
    kept.append(Reason.of(Code.REASONS_OMITTED, "", message, "warning"))
    return kept


def submission_id_of(document: Any, digest: str) -> str:
    """The submission's own id when it has a usable one, else one derived from its digest."""
    if isinstance(document, Mapping):
        value = document.get("submissionId")
        if isinstance(value, str) and _SUBMISSION_ID.fullmatch(value):
            return value
    return "digest-" + digest.removeprefix("sha-256:")[:32]


def _check_manifest(raw: Any, trust: TrustRegistry, at: datetime) -> CredentialReport:
    """The manifest's report; a sealed manifest is refused unopened (the port decides by reading it)."""
    if is_sealed(raw):
        message = Phrase(
            "the manifest is never sealed: the port reads it to decide, and it pins every credential's digest"
        )
        problems = [Reason.of(Code.SEALING_NOT_EXPECTED, "/manifest", message)]
        return CredentialReport("/manifest", raw, problems=problems, unopened=True)
    return check_credential(raw, trust, at, path="/manifest")


def _judge_as_sealed(
    credentials: list[CredentialReport], indexes: Collection[int], trust: TrustRegistry, port_id: str, at: datetime
) -> None:
    """An exporter's pre-check: the clear credentials at ``indexes`` count as sealed to the port's current key.

    Without a current sealing key nothing can be sealed, and they stay clear text.
    """
    key = trust.sealing_key(port_id, at)
    if key is None:
        return
    for index in indexes:
        if 0 <= index < len(credentials) and not credentials[index].unopened:
            credentials[index].sealed_to = credentials[index].sealed_to or key.kid


def assess_submission(
    document: Any,
    trust: TrustRegistry,
    *,
    port_id: str,
    at: datetime,
    exporter_id: str | None = None,
    sampling_key: bytes | None = None,
    submission_digest: str | None = None,
    status: StatusLookup | None = None,
    agreement_keys: Mapping[str, X25519PrivateKey] | None = None,
    sealed_indexes: Collection[int] = (),
) -> Assessment:
    """Assess a parsed submission sent to ``port_id`` at ``at`` by ``exporter_id``.

    ``exporter_id`` None: no submitter is known (offline); the manifest's issuer stands in for it.
    ``sampling_key``: the port's key for the UTC day of ``at`` (``schemas.sampling.day_key``); None
    means the sampling rule cannot be applied, and the verdict never holds for sampling.
    ``submission_digest``: the digest of ``document``'s canonical bytes when the caller already has it
    (the port's intake), so it is not computed again; None: computed here.
    ``status``: where the credentials' status lists come from; None: status is not checked.
    ``agreement_keys``: the port's ``keyAgreement`` private keys by key id, to open sealed credentials;
    None: it holds none, and a sealed credential is ``SEALED_KEY_UNKNOWN``.
    ``sealed_indexes``: an exporter's pre-check on plaintext: the credentials at these indexes are judged
    as if they arrived sealed to ``port_id``'s current sealing key (module doc).
    """
    digest = submission_digest if submission_digest is not None else canonical_digest(document)
    submission_id = submission_id_of(document, digest)
    try:
        submission = Submission.model_validate(document)
    except ValidationError as exc:
        return Assessment(submission_id, digest, "rejected", problems_from_validation_error(exc, document))

    manifest = _check_manifest(submission.manifest, trust, at)
    keys = agreement_keys if agreement_keys is not None else {}
    credentials = [
        check_sealed_credential(raw, trust, at, port_id=port_id, private_keys=keys, path=f"/credentials/{i}")
        if is_sealed(raw)
        else check_credential(raw, trust, at, path=f"/credentials/{i}")
        for i, raw in enumerate(submission.credentials)
    ]
    if sealed_indexes:
        _judge_as_sealed(credentials, sealed_indexes, trust, port_id, at)
    reasons = list(manifest.problems)
    for report in credentials:
        reasons += report.problems
    status_check = StatusCheck()
    if status is not None:
        for report in (manifest, *credentials):
            check_status(report, status, trust, at, status_check)
        reasons += status_check.reasons
    ctx = RuleContext(
        submission=submission,
        manifest=manifest,
        credentials=tuple(credentials),
        trust=trust,
        policy=trust.policy(port_id),
        port_id=port_id,
        exporter_id=exporter_id,
        at=at,
        submission_digest=digest,
        sampling_key=sampling_key,
    )
    for rule in PORT_RULES:
        reasons += rule.check(ctx)
    assessment = Assessment(
        submission_id,
        digest,
        "rejected",
        reasons,
        manifest,
        credentials,
        submission=submission,
        status_checked=status is not None,
        status_lists=status_check.references,
    )
    if any(p.severity == "error" for p in reasons):
        return assessment
    inspection = InspectionHold().check(ctx)
    assessment.sampled = inspection.sampled
    status_unknown = any(p.code == Code.STATUS_UNAVAILABLE for p in reasons)
    assessment.decision = "held_for_inspection" if inspection.held or status_unknown else "accepted"
    return assessment
