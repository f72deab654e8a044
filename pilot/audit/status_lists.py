"""The bundle's status lists, checked offline: the versions the port relied on, and whether its decision agrees.

docs/design.md §12. A port names in its receipt (``statusLists``, ``{id, sequence, digest}``) every status
list version it checked a credential against; ``pilot audit export`` bundles exactly those versions. This
check, with the trust list and the receipt's ``receivedAt`` the verifier has already established:

1. every referenced version is in the bundle (``pilot.audit.bundle.status_member``), its digest is the
   reference's, and it verifies as the issuer's status list at that id, judged at ``receivedAt``
   (``schemas.status_list.verify_status_list``); the bundle holds no status file the receipt does not name;
2. the decision agrees with those versions: the submission's credentials are checked again with
   ``schemas.status_list.check_status`` over exactly the bundled versions (``StaticStatusLists``), as
   the port checked them (``schemas.assess``), and compared with the receipt. A set bit needs the
   receipt's ``CREDENTIAL_REVOKED``/``CREDENTIAL_SUSPENDED`` for that entry (so it is not accepted); an
   entry no bundled version covers needs the receipt's ``STATUS_UNAVAILABLE`` for it, and a receipt that
   says a status was unavailable must not accept; a receipt that says revoked or suspended must be
   borne out by the versions it names, and every version it names must be one some entry relies on.

A sealed credential (issue 15, ``pilot.audit.sealed``) is not opened here, so its status entries cannot be
re-checked: the port's reasons about it (paths under its ``/credentials/<i>``) are taken as given, and a
version the receipt names that no clear credential relies on may be one the sealed credential relies on.
Each named version is still verified (step 1); the detail says how many credentials were sealed.

A receipt that names no version and gives no status reason did not record a status check (made before
status lists, or by a port that does not check them): that is said, not failed, so old bundles still
verify. When the submission is not in the bundle, or is not the one the receipt names, step 2 cannot be
done, and the check says so; nor is it done when step 1 failed (the versions the decision relied on are
not all there to re-check it with).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from pilot.audit.bundle import STATUS_DIR, status_member
from pilot.audit.sealed import sealed_paths, under_sealed
from pilot.audit.wording import said, said_joined, said_reason
from pilot.language import N_
from schemas.codes import Code
from schemas.digest import canonical_digest, credential_digest
from schemas.errors import PilotSchemaError, VerificationError
from schemas.jsonio import parse_json
from schemas.models.submission import Submission
from schemas.phrase import Phrase
from schemas.status_list import StaticStatusLists, StatusCheck, StatusList, check_status, verify_status_list
from schemas.trust import TrustRegistry
from schemas.verify import CredentialReport, check_credential

__all__ = ["StatusFindings", "check_bundle_status"]

SUBMISSION_FILE = "submission.json"
#: The reason codes a port gives from a status check.
STATUS_CODES = frozenset({Code.CREDENTIAL_REVOKED, Code.CREDENTIAL_SUSPENDED, Code.STATUS_UNAVAILABLE})
_SET_BIT_CODES = (Code.CREDENTIAL_REVOKED, Code.CREDENTIAL_SUSPENDED)
_VERB = {Code.CREDENTIAL_REVOKED: N_("revoked"), Code.CREDENTIAL_SUSPENDED: N_("suspended")}


@dataclass
class StatusFindings:
    """What the check found: ``problems`` (empty when it passed) and a one-line summary (English that keeps its
    phrase, ``pilot.audit.wording``)."""

    problems: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _ReceiptStatus:
    """What the receipt says about status: its decision, its status reasons, the versions it names."""

    decision: str
    reasons: frozenset[tuple[str, str]]
    omitted: bool  # the receipt's reasons were capped: a reason's path may be among those left out
    references: list[Mapping[str, Any]]

    @classmethod
    def of(cls, subject: Mapping[str, Any]) -> _ReceiptStatus:
        raw = subject.get("reasons")
        reasons = [r for r in raw if isinstance(r, Mapping)] if isinstance(raw, list) else []
        references = subject.get("statusLists", [])
        return cls(
            decision=str(subject.get("decision")),
            reasons=frozenset((str(r.get("code")), str(r.get("path"))) for r in reasons),
            omitted=any(r.get("code") == Code.REASONS_OMITTED for r in reasons),
            references=[r for r in references if isinstance(r, Mapping)] if isinstance(references, list) else [],
        )

    def carries(self, code: str, path: str) -> bool:
        """True when the receipt gives ``code`` for ``path`` (or gives ``code`` and left some reasons out)."""
        return (code, path) in self.reasons or (self.omitted and any(c == code for c, _ in self.reasons))

    @property
    def recorded(self) -> bool:
        """True when the receipt shows a status check: a version named or a status reason given."""
        return bool(self.references) or any(code in STATUS_CODES for code, _ in self.reasons)


def _bundled_versions(
    files: Mapping[str, bytes], receipt: _ReceiptStatus, trust: TrustRegistry, at: datetime, problems: list[str]
) -> list[StatusList]:
    """Each version the receipt names, from the bundle, verified; every shortfall added to ``problems``."""
    verified: list[StatusList] = []
    named: set[str] = set()
    for number, reference in enumerate(receipt.references):
        url, sequence, digest = reference.get("id"), reference.get("sequence"), reference.get("digest")
        member = status_member(url, sequence) if isinstance(url, str) and isinstance(sequence, int) else None
        if member is None:
            named_as = repr(dict(reference))[:240]
            problem = Phrase(
                "statusLists/{number} names no pilot status list version: {reference}",
                number=number,
                reference=named_as,
            )
            problems.append(said(problem))
            continue
        named.add(member)
        if member not in files:
            problems.append(
                said(
                    Phrase(
                        "{member} is missing from the bundle (the receipt relied on {url} version {sequence})",
                        member=member,
                        url=url,
                        sequence=sequence,
                    )
                )
            )
            continue
        try:
            credential = parse_json(files[member])
            if not isinstance(credential, Mapping):
                raise ValueError("not a JSON object")
            found = credential_digest(credential)
        except (PilotSchemaError, ValueError) as exc:
            problems.append(
                said(Phrase("{member} is not a status list credential: {problem}", member=member, problem=str(exc)))
            )
            continue
        if found != digest:
            changed = Phrase(
                "{member} has digest {found}, but the receipt relied on {digest}: it was changed",
                member=member,
                found=found,
                digest=digest,
            )
            problems.append(said(changed))
            continue
        try:
            status_list = verify_status_list(credential, trust, at, url=url)
        except VerificationError as exc:
            why = said_reason(exc.problems[0], " ")
            problems.append(
                said(Phrase("{member} does not verify at receivedAt: {problem}", member=member, problem=why))
            )
            continue
        if status_list.sequence != sequence:
            other = Phrase(
                "{member} is version {found}, not {sequence}",
                member=member,
                found=status_list.sequence,
                sequence=sequence,
            )
            problems.append(said(other))
            continue
        verified.append(status_list)
    for member in sorted(files):
        if member.startswith(f"{STATUS_DIR}/") and member not in named:
            problems.append(said(Phrase("{member} is a status list version the receipt does not name", member=member)))
    return verified


@dataclass(frozen=True)
class _Reports:
    """The reports of the submission's clear documents, and the paths of its sealed credentials (not opened)."""

    clear: list[CredentialReport]
    sealed: set[str]


def _submission_reports(files: Mapping[str, bytes], digest: Any, trust: TrustRegistry, at: datetime) -> _Reports | str:
    """The manifest's and clear credentials' reports as the port made them, or why the decision cannot be re-checked."""
    if SUBMISSION_FILE not in files:
        return said(Phrase("the submission's content is not in the bundle"))
    try:
        document = parse_json(files[SUBMISSION_FILE])
    except PilotSchemaError as exc:
        return said(Phrase("{file} is not strict JSON ({problem})", file=SUBMISSION_FILE, problem=str(exc)))
    if canonical_digest(document) != digest:
        return said(Phrase("{file} is not the submission the receipt names", file=SUBMISSION_FILE))
    try:
        submission = Submission.model_validate(document)
    except ValidationError:
        return _Reports([], set())  # the port rejects a submission of the wrong shape before checking any status
    sealed = sealed_paths(document)
    documents = [("/manifest", submission.manifest)]
    documents += [(f"/credentials/{i}", raw) for i, raw in enumerate(submission.credentials)]
    reports = [check_credential(d, trust, at, path=path) for path, d in documents if path not in sealed]
    return _Reports(reports, sealed)


def _entry_count(reports: list[CredentialReport]) -> int:
    """How many status entries the credentials whose signature verified carry (what the port checked)."""
    count = 0
    for report in reports:
        entries = report.payload.get("credentialStatus") if report.signature_verified and report.payload else None
        count += len(entries) if isinstance(entries, list) else 0
    return count


def _compare(recheck: StatusCheck, receipt: _ReceiptStatus, sealed: set[str], problems: list[str]) -> None:
    """Add to ``problems`` every way the receipt disagrees with the re-check over the bundled versions.

    Reasons about a sealed credential are taken as given, and versions no clear entry relies on may be a
    sealed credential's (module doc).
    """
    found = {(str(r.code), r.path) for r in recheck.reasons}
    for reason in recheck.reasons:
        code, path = str(reason.code), reason.path
        if reason.code in _SET_BIT_CODES and not receipt.carries(code, path):
            verb = said(Phrase(_VERB[reason.code]))
            says = Phrase(
                "{path}: the bundled status list says {verb}, the receipt does not give {code}",
                path=path,
                verb=verb,
                code=code,
            )
            problems.append(said(says))
        elif reason.code in _SET_BIT_CODES and receipt.decision == "accepted":
            verb = said(Phrase(_VERB[reason.code]))
            problems.append(
                said(Phrase("{path} is {verb}, yet the receipt accepts the submission", path=path, verb=verb))
            )
        elif reason.code == Code.STATUS_UNAVAILABLE and not receipt.carries(code, path):
            uncovered = Phrase(
                "{path}: no status list version the receipt names covers this entry ({problem}), "
                "and the receipt does not give {code} for it",
                path=path,
                problem=said(reason.phrase) if reason.phrase is not None else reason.message,
                code=Code.STATUS_UNAVAILABLE,
            )
            problems.append(said(uncovered))
    for code, path in sorted(receipt.reasons):
        if code in _SET_BIT_CODES and (code, path) not in found and not under_sealed(path, sealed):
            unfounded = Phrase(
                "the receipt gives {code} for {path}: the status list versions it names do not bear it out",
                code=code,
                path=path,
            )
            problems.append(said(unfounded))
    if receipt.decision == "accepted" and any(code == Code.STATUS_UNAVAILABLE for code, _ in receipt.reasons):
        accepted = Phrase("the receipt accepts the submission although it gives {code}", code=Code.STATUS_UNAVAILABLE)
        problems.append(said(accepted))
    relied = {status_list.url for status_list in recheck.relied_on}
    for reference in receipt.references:
        if reference.get("id") not in relied and not sealed:
            unused = Phrase(
                "the receipt names {url}: no status entry of the submission relies on it", url=reference.get("id")
            )
            problems.append(said(unused))


def check_bundle_status(
    files: Mapping[str, bytes], subject: Mapping[str, Any], trust: TrustRegistry, at: datetime
) -> StatusFindings:
    """The check of the module doc over a bundle's ``files``, for the receipt ``subject`` received at ``at``.

    ``trust`` is the bundle's trust list, already verified against the pinned anchor, and ``subject`` the
    receipt's verified ``credentialSubject``.
    """
    findings = StatusFindings()
    receipt = _ReceiptStatus.of(subject)
    versions = _bundled_versions(files, receipt, trust, at, findings.problems)
    reports = _submission_reports(files, subject.get("submissionDigest"), trust, at)
    if not receipt.recorded:
        entries = _entry_count(reports.clear) if isinstance(reports, _Reports) else None
        not_recorded = said(
            Phrase(
                "status was not recorded: the receipt names no status list version and gives no status reason "
                "(made before status lists, or by a port that does not check them)"
            )
        )
        carried = said(Phrase("; the submission's credentials carry {count} status entries", count=entries))
        findings.detail = said_joined([not_recorded, carried] if entries else [not_recorded], "")
        return findings
    if findings.problems:  # a version is missing or changed: a re-check over the rest would only add noise
        return findings
    if isinstance(reports, str):
        findings.detail = said(
            Phrase(
                "{count} status list versions verified; the re-check of the decision could not be done: {problem}",
                count=len(versions),
                problem=reports,
            )
        )
        return findings
    recheck = StatusCheck()
    lookup = StaticStatusLists(status_list.credential for status_list in versions)
    for report in reports.clear:
        check_status(report, lookup, trust, at, recheck)
    _compare(recheck, receipt, reports.sealed, findings.problems)
    set_bits = sum(1 for r in recheck.reasons if r.code in _SET_BIT_CODES)
    unavailable = sum(1 for r in recheck.reasons if r.code == Code.STATUS_UNAVAILABLE)
    summary = said(
        Phrase(
            "{versions} status list versions verified at receivedAt; {entries} status entries re-checked against "
            "them: {set_bits} revoked or suspended, {unavailable} unavailable, as the receipt says",
            versions=len(versions),
            entries=_entry_count(reports.clear),
            set_bits=set_bits,
            unavailable=unavailable,
        )
    )
    parts = [summary]
    if reports.sealed:
        sealed_note = Phrase(
            "; the status entries of {count} sealed credential(s) not re-checked (content sealed), "
            "the receipt's reasons about them taken as given",
            count=len(reports.sealed),
        )
        parts.append(said(sealed_note))
    findings.detail = said_joined(parts, "")
    return findings
