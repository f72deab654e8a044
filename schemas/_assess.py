"""A port's assessment of one submission: every credential verified, references, evidence, policy.

DESIGN sections 5 to 8. ``assess_submission`` is pure: given the parsed submission, the submitting
exporter, the trust list, the port's receive time and (at a port) the day's sampling key, it returns the
decision and every reason. The port node adds only what is not pure (request signature, storage, the
log, the signed receipt), and the conformance kit and ``pilot conformance validate`` call the same
function, so a file's verdict offline is the verdict a port gives it (sampling aside, below).

Rules tied to the parties (issue 12): the submitter is the authenticated exporter (``exporter_id``).

- the manifest is issued by the submitter and its ``exporter`` is the submitter's DID
  (``MANIFEST_EXPORTER_MISMATCH``);
- records an exporter issues (facility records, traceability events) are issued by the submitter
  (``ISSUER_NOT_SUBMITTER``);
- each lot's establishment is on the register, approved for the lot's HS heading at receive time
  (``ESTABLISHMENT_NOT_APPROVED``) and bound there to the submitter (``ESTABLISHMENT_NOT_BOUND_TO_EXPORTER``);
- each lot's HS code is the one recorded by the traceability events that produce the lot (a
  TransformationEvent listing it in ``outputEPCList``, an ObjectEvent with action ``add`` listing it in
  ``epcList``) (``HS_CODE_MISMATCH``).

Without a submitter (``exporter_id=None``: ``pilot conformance validate``, offline) the manifest's
issuer stands in for it: a file whose records and register entries all belong to the exporter that
signed its manifest passes these rules, and only "who sent it" is left unchecked.

Data categories (DESIGN section 8) are checked on every credential that validates against its record
model, whatever its verification outcome; ``Assessment.may_store_content`` is True only when every
field of every credential could be classified and every category is permitted.

Decision: any error-level reason -> ``rejected``; otherwise an inspection rule of the port's policy ->
``held_for_inspection``: a lot under ``holdHsCodes``, or ``samplingRate`` applied to an HMAC of the
submission digest under the port's day key (``schemas._sampling``), which only the port knows until the
day is over; otherwise ``accepted``. Warnings never change the decision. Without a sampling key
(offline, or an exporter's own pre-check) sampling cannot be applied: such a verdict never holds for
sampling and says so in ``Assessment.sampled`` (None).

Reasons never quote input values, and a receipt carries at most ``MAX_RECEIPT_REASONS`` of them
(``Assessment.receipt_reasons``: every distinct code kept, then the first ones, then one
``REASONS_OMITTED``), each with a bounded path and message; the decision is made on all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from schemas._digest import canonical_digest
from schemas._models.submission import Submission
from schemas._models.untp import secure_link_digest
from schemas._models.validate import problems_from_validation_error
from schemas._sampling import is_sampled
from schemas._time import parse_time
from schemas._trust import TrustRegistry
from schemas._verify import CredentialReport, check_credential
from schemas.codes import Code
from schemas.errors import Problem

_SUBMISSION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
Decision = Literal["accepted", "rejected", "held_for_inspection"]
MANIFEST_TYPE = "ConsignmentManifest"
#: Record types only an exporter issues, about its own facilities and goods: the submitter must be the issuer.
EXPORTER_RECORD_TYPES = frozenset({"DigitalFacilityRecord", "DigitalTraceabilityEvent", MANIFEST_TYPE})
TRACEABILITY_TYPE = "DigitalTraceabilityEvent"

#: A receipt carries at most this many reasons, plus one REASONS_OMITTED saying how many were left out.
MAX_RECEIPT_REASONS = 50
#: Longest path and message of a reason in a receipt (a longer path is cut back to a whole segment).
MAX_REASON_PATH = 512
MAX_REASON_MESSAGE = 400


@dataclass
class Assessment:
    """The verdict on one submission."""

    submission_id: str
    submission_digest: str
    decision: Decision
    reasons: list[Problem]
    manifest: CredentialReport | None = None
    credentials: list[CredentialReport] = field(default_factory=list)
    #: The sampling rule's outcome: True (selected), False (not selected), None (not applied: the policy
    #: samples nothing, or no sampling key was given, so the verdict cannot tell).
    sampled: bool | None = None

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

        DESIGN section 8: whatever the verification outcome; a field that cannot be classified (a
        credential that does not validate against its model) is not permitted.
        """
        return self.classified and all(p.code != Code.DATA_CATEGORY_NOT_PERMITTED for p in self.reasons)

    @property
    def receipt_reasons(self) -> list[Problem]:
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


def _bounded(problem: Problem) -> Problem:
    message = problem.message
    if len(message) > MAX_REASON_MESSAGE:
        message = message[: MAX_REASON_MESSAGE - 1] + "…"
    path = _bounded_path(problem.path)
    if path == problem.path and message == problem.message:
        return problem
    return Problem(problem.code, path, message, problem.severity)


def cap_reasons(reasons: list[Problem], limit: int = MAX_RECEIPT_REASONS) -> list[Problem]:
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
    kept.append(
        Problem(
            Code.REASONS_OMITTED,
            "",
            f"{omitted} more reason{'' if omitted == 1 else 's'} of the codes above omitted: a receipt carries "
            f"at most {limit}",
            "warning",
        )
    )
    return kept


def submission_id_of(document: Any, digest: str) -> str:
    """The submission's own id when it has a usable one, else one derived from its digest."""
    if isinstance(document, Mapping):
        value = document.get("submissionId")
        if isinstance(value, str) and _SUBMISSION_ID.fullmatch(value):
            return value
    return "digest-" + digest.removeprefix("sha-256:")[:32]


def assess_submission(
    document: Any,
    trust: TrustRegistry,
    *,
    port_id: str,
    at: datetime,
    exporter_id: str | None = None,
    sampling_key: bytes | None = None,
) -> Assessment:
    """Assess a parsed submission sent to ``port_id`` at ``at`` by ``exporter_id``.

    ``exporter_id`` None: no submitter is known (offline); the manifest's issuer stands in for it.
    ``sampling_key``: the port's key for the UTC day of ``at`` (``schemas._sampling.day_key``); None
    means the sampling rule cannot be applied, and the verdict never holds for sampling.
    """
    digest = canonical_digest(document)
    submission_id = submission_id_of(document, digest)
    reasons: list[Problem] = []
    try:
        Submission.model_validate(document)
    except ValidationError as exc:
        reasons += problems_from_validation_error(exc, document)
        return Assessment(submission_id, digest, "rejected", reasons)

    manifest = check_credential(document["manifest"], trust, at, path="/manifest")
    credentials = [
        check_credential(raw, trust, at, path=f"/credentials/{i}") for i, raw in enumerate(document["credentials"])
    ]
    reasons += manifest.problems
    for report in credentials:
        reasons += report.problems
    assessment = Assessment(submission_id, digest, "rejected", reasons, manifest, credentials)

    party = _party(manifest, exporter_id)
    if manifest.signature_verified:
        reasons += _manifest_problems(document, manifest, trust, port_id, exporter_id)
    reasons += _issuer_problems(credentials, party)
    if manifest.verified:
        reasons += _reference_problems(manifest, credentials)
        reasons += _evidence_problems(credentials)
    policy = trust.policy(port_id)
    if policy is None:
        reasons.append(Problem(Code.DESTINATION_MISMATCH, "/manifest", f"{port_id} publishes no policy"))
    else:
        reasons += _category_problems(policy, [manifest, *credentials])
        reasons += _lot_problems(policy, manifest, credentials, trust, at, party)

    if any(p.severity == "error" for p in reasons):
        assessment.decision = "rejected"
        return assessment
    assert policy is not None  # a missing policy is an error above
    held_by_rule = _held_hs_code(policy, manifest)
    assessment.sampled = _sampled(policy, digest, sampling_key)
    assessment.decision = "held_for_inspection" if held_by_rule or assessment.sampled else "accepted"
    return assessment


def _party(manifest: CredentialReport, exporter_id: str | None) -> str | None:
    """Whom the business rules bind to: the submitter, else (offline) the manifest's verified issuer."""
    if exporter_id is not None:
        return exporter_id
    if manifest.signature_verified and manifest.key is not None and manifest.record_type == MANIFEST_TYPE:
        return manifest.key.participant_id
    return None


def _manifest_problems(
    document: Mapping[str, Any],
    manifest: CredentialReport,
    trust: TrustRegistry,
    port_id: str,
    exporter_id: str | None,
) -> list[Problem]:
    problems: list[Problem] = []
    payload = manifest.payload or {}
    if manifest.record_type != MANIFEST_TYPE:
        problems.append(
            Problem(Code.SCHEMA_INVALID, "/manifest/type", f"the manifest must be a {MANIFEST_TYPE} credential")
        )
        return problems
    subject = payload.get("credentialSubject") if isinstance(payload.get("credentialSubject"), Mapping) else {}
    assert isinstance(subject, Mapping)
    issuer = manifest.key
    if exporter_id is not None and issuer is not None and issuer.participant_id != exporter_id:
        problems.append(
            Problem(
                Code.MANIFEST_EXPORTER_MISMATCH,
                "/manifest/issuer",
                f"the manifest is issued by {issuer.participant_id}, but {exporter_id} submitted it",
            )
        )
    # The manifest's exporter is the party that signed it (and so, at a port, the submitter).
    if issuer is not None and subject.get("exporter") != issuer.did:
        problems.append(
            Problem(
                Code.MANIFEST_EXPORTER_MISMATCH,
                "/manifest/credentialSubject/exporter",
                f"the manifest names another exporter than its issuer {issuer.participant_id}",
            )
        )
    if subject.get("consignmentId") != document.get("submissionId"):
        problems.append(
            Problem(
                Code.SCHEMA_INVALID,
                "/manifest/credentialSubject/consignmentId",
                "the manifest's consignmentId differs from the submissionId",
            )
        )
    if subject.get("destination") != port_id:
        problems.append(
            Problem(
                Code.DESTINATION_MISMATCH,
                "/manifest/credentialSubject/destination",
                f"the manifest is addressed to another port, not {port_id}",
            )
        )
    return problems


def _issuer_problems(credentials: list[CredentialReport], party: str | None) -> list[Problem]:
    """Records only an exporter issues (facilities, events) must be issued by the submitter."""
    if party is None:
        return []
    problems: list[Problem] = []
    for report in credentials:
        if report.record_type not in EXPORTER_RECORD_TYPES or not report.signature_verified or report.key is None:
            continue
        if report.key.participant_id != party:
            problems.append(
                Problem(
                    Code.ISSUER_NOT_SUBMITTER,
                    f"{report.path}/issuer",
                    f"a {report.record_type} issued by {report.key.participant_id}, but the consignment is "
                    f"{party}'s: an exporter sends only records it issued itself",
                )
            )
    return problems


def _reference_problems(manifest: CredentialReport, credentials: list[CredentialReport]) -> list[Problem]:
    """Every credential the manifest references is present, and its digest is the pinned one."""
    by_id = {c.credential_id: c for c in credentials if c.credential_id}
    subject = (manifest.payload or {}).get("credentialSubject", {})
    problems: list[Problem] = []
    for i, ref in enumerate(subject.get("credentials", [])):
        where = f"/manifest/credentialSubject/credentials/{i}"
        found = by_id.get(ref.get("id"))
        if found is None:
            problems.append(
                Problem(
                    Code.REFERENCED_CREDENTIAL_MISSING,
                    f"{where}/id",
                    "the manifest references a credential the submission does not carry",
                )
            )
        elif found.digest != ref.get("digest"):
            problems.append(
                Problem(
                    Code.EVIDENCE_DIGEST_MISMATCH,
                    f"{where}/digest",
                    f"the manifest pins another digest than that of {found.path} ({found.digest})",
                )
            )
    return problems


def _secure_links(report: CredentialReport) -> list[tuple[str, Mapping[str, Any], bool]]:
    """The hash-pinned links of a verified credential: (JSON pointer, SecureLink, must be present).

    A conformity credential's ``auditableEvidence`` (the assessed facility's record) must travel with it;
    a facility record's claim evidence is checked when the linked credential is in the submission.
    """
    subject = (report.payload or {}).get("credentialSubject")
    if not isinstance(subject, Mapping):
        return []
    links: list[tuple[str, Mapping[str, Any], bool]] = []
    evidence = subject.get("auditableEvidence")
    if isinstance(evidence, Mapping):
        links.append((f"{report.path}/credentialSubject/auditableEvidence", evidence, True))
    claims = subject.get("conformityClaim")
    for i, claim in enumerate(claims if isinstance(claims, list) else []):
        link = claim.get("conformityEvidence") if isinstance(claim, Mapping) else None
        if isinstance(link, Mapping) and "hashDigest" in link:
            links.append((f"{report.path}/credentialSubject/conformityClaim/{i}/conformityEvidence", link, False))
    return links


def _evidence_problems(credentials: list[CredentialReport]) -> list[Problem]:
    """Evidence pinned by digest (UNTP SecureLink) must be present where required, and must match."""
    by_id = {c.credential_id: c for c in credentials if c.credential_id}
    problems: list[Problem] = []
    for report in credentials:
        if not report.verified or report.payload is None:
            continue
        for where, link, required in _secure_links(report):
            target = link.get("linkURL")
            found = by_id.get(target) if isinstance(target, str) else None
            if found is None:
                if required:
                    problems.append(
                        Problem(
                            Code.REFERENCED_CREDENTIAL_MISSING,
                            f"{where}/linkURL",
                            "the evidence this credential links to is not in the submission",
                        )
                    )
                continue
            if found.digest != secure_link_digest(link):
                problems.append(
                    Problem(
                        Code.EVIDENCE_DIGEST_MISMATCH,
                        f"{where}/hashDigest",
                        f"the linked evidence hashes to {found.digest}, not to the pinned hashDigest",
                    )
                )
    return problems


def _permitted(code: str, prefixes: list[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def _category_problems(policy: Mapping[str, Any], reports: list[CredentialReport]) -> list[Problem]:
    """Fields in a data category the port may not receive, in every classified credential (DESIGN section 8).

    Whatever the verification outcome: a tampered or unsigned credential is classified all the same.
    """
    permitted = {str(c) for c in policy.get("permittedDataCategories", [])}
    problems: list[Problem] = []
    for report in reports:
        refused: list[str] = []
        for pointer, category in report.categories or []:
            if any(pointer.startswith(parent + "/") for parent in refused):
                continue  # already reported as part of the refused object that holds it
            if str(category) not in permitted:
                refused.append(pointer)
                problems.append(
                    Problem(
                        Code.DATA_CATEGORY_NOT_PERMITTED,
                        report.path + pointer,
                        f"field in data category {category}, which this port may not receive",
                    )
                )
    return problems


def _lot_problems(
    policy: Mapping[str, Any],
    manifest: CredentialReport,
    credentials: list[CredentialReport],
    trust: TrustRegistry,
    at: datetime,
    party: str | None,
) -> list[Problem]:
    """Each lot: HS code permitted, establishment approved and bound to the submitter, HS code traced."""
    if not manifest.verified or manifest.record_type != MANIFEST_TYPE or manifest.payload is None:
        return []
    permitted_hs = list(policy.get("permittedHsCodes", []))
    lots = manifest.payload["credentialSubject"].get("lots", [])
    register = {e["establishmentNumber"]: e for e in trust.establishments}
    events = _lot_events(credentials, party)
    problems: list[Problem] = []
    for i, lot in enumerate(lots):
        where = f"/manifest/credentialSubject/lots/{i}"
        hs_code = str(lot.get("hsCode", ""))
        if not _permitted(hs_code, permitted_hs):
            problems.append(
                Problem(
                    Code.HS_CODE_NOT_PERMITTED,
                    f"{where}/hsCode",
                    f"the lot's HS code is not among this port's permitted codes ({', '.join(permitted_hs)})",
                )
            )
        problems += _establishment_problems(register.get(lot.get("establishmentNumber")), hs_code, at, party, where)
        if events is not None:
            problems += _traced_hs_problems(lot, events, where)
    return problems


def _establishment_problems(
    entry: Mapping[str, Any] | None, hs_code: str, at: datetime, party: str | None, where: str
) -> list[Problem]:
    path = f"{where}/establishmentNumber"
    if entry is None:
        return [
            Problem(Code.ESTABLISHMENT_NOT_APPROVED, path, "the establishment is not on the importer-side register")
        ]
    problems: list[Problem] = []
    approved_until = entry.get("approvedUntil")
    in_window = parse_time(entry["approvedFrom"]) <= at and (approved_until is None or at <= parse_time(approved_until))
    if hs_code[:4] not in entry.get("categories", []) or not in_window:
        problems.append(
            Problem(
                Code.ESTABLISHMENT_NOT_APPROVED,
                path,
                f"the establishment is approved for HS {', '.join(entry.get('categories', []))} "
                "only, or not at this time",
            )
        )
    if party is not None and entry.get("exporter") != party:
        problems.append(
            Problem(
                Code.ESTABLISHMENT_NOT_BOUND_TO_EXPORTER,
                path,
                f"the register binds this establishment to {entry.get('exporter')}, not to {party}",
            )
        )
    return problems


@dataclass(frozen=True)
class _Event:
    path: str
    hs_code: Any
    produces: frozenset[str]


def _items(event: Mapping[str, Any], member: str) -> Iterator[str]:
    items = event.get(member)
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            yield item["id"]


def _lot_events(credentials: list[CredentialReport], party: str | None) -> list[_Event] | None:
    """The lot-producing events of the submitter's verified traceability credentials; None if one did not verify.

    A lot is produced by a TransformationEvent that lists it in ``outputEPCList`` and by an ObjectEvent
    with action ``add`` (commissioning) that lists it in ``epcList``; a shipping ObjectEvent (``observe``)
    only moves lots, and its ``hsCode`` is that of the consignment's first lot, so it is not compared.
    """
    events: list[_Event] = []
    for report in credentials:
        if report.record_type != TRACEABILITY_TYPE:
            continue
        if not report.verified or report.payload is None:
            return None  # its own problems reject the submission; do not guess at what it held
        if party is not None and report.key is not None and report.key.participant_id != party:
            continue  # another exporter's events trace nothing for this one (ISSUER_NOT_SUBMITTER)
        subject = report.payload.get("credentialSubject")
        for index, event in enumerate(subject if isinstance(subject, list) else []):
            if not isinstance(event, Mapping):
                continue
            types = event.get("type")
            kinds: list[Any] = types if isinstance(types, list) else []
            if "TransformationEvent" in kinds:
                produced = frozenset(_items(event, "outputEPCList"))
            elif "ObjectEvent" in kinds and event.get("action") == "add":
                produced = frozenset(_items(event, "epcList"))
            else:
                continue
            events.append(_Event(f"{report.path}/credentialSubject/{index}", event.get("hsCode"), produced))
    return events


def _traced_hs_problems(lot: Mapping[str, Any], events: list[_Event], where: str) -> list[Problem]:
    """The lot's HS code is the one every event producing the lot records.

    A lot no event of the submission produces is not compared (a submission need not carry its
    traceability events); one that some event produces must agree with each of them.
    """
    lot_id = lot.get("lotId")
    return [
        Problem(
            Code.HS_CODE_MISMATCH,
            f"{where}/hsCode",
            f"the lot's HS code differs from the one the event at {event.path} records for it",
        )
        for event in events
        if lot_id in event.produces and event.hs_code != lot.get("hsCode")
    ]


def _held_hs_code(policy: Mapping[str, Any], manifest: CredentialReport) -> bool:
    """The public inspection rule: a lot under one of the policy's ``holdHsCodes``."""
    inspection = policy.get("inspection", {})
    lots = (manifest.payload or {}).get("credentialSubject", {}).get("lots", [])
    return any(_permitted(str(lot.get("hsCode", "")), inspection.get("holdHsCodes", [])) for lot in lots)


def _sampled(policy: Mapping[str, Any], digest: str, sampling_key: bytes | None) -> bool | None:
    """The sampling rule (``schemas._sampling``); None when it does not apply or cannot be applied."""
    rate = float(policy.get("inspection", {}).get("samplingRate", 0.0))
    if rate <= 0 or sampling_key is None:
        return None
    return is_sampled(sampling_key, digest, rate)
