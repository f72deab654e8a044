"""A port's assessment of one submission: every credential verified, references, evidence, policy.

DESIGN sections 5 to 8. ``assess_submission`` is pure: given the parsed submission, the submitting
exporter, the trust list and the port's receive time, it returns the decision and every reason. The
port node adds only what is not pure (request signature, storage, the log, the signed receipt), and the
conformance kit and ``pilot conformance validate`` call the same function, so a file's verdict offline
is the verdict a port gives it.

Decision: any error-level reason -> ``rejected``; otherwise an inspection rule of the port's policy
(``holdHsCodes``, or ``samplingRate`` applied to the submission digest) -> ``held_for_inspection``;
otherwise ``accepted``. Warnings never change the decision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from schemas._digest import canonical_digest
from schemas._models.base import field_categories
from schemas._models.submission import Submission
from schemas._models.untp import secure_link_digest
from schemas._time import parse_time
from schemas._trust import TrustRegistry
from schemas._verify import CredentialReport, check_credential
from schemas.codes import Code
from schemas.errors import Problem

_SUBMISSION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
Decision = Literal["accepted", "rejected", "held_for_inspection"]
MANIFEST_TYPE = "ConsignmentManifest"


@dataclass
class Assessment:
    """The verdict on one submission."""

    submission_id: str
    submission_digest: str
    decision: Decision
    reasons: list[Problem]
    manifest: CredentialReport | None = None
    credentials: list[CredentialReport] = field(default_factory=list)

    @property
    def reason_codes(self) -> list[str]:
        """The distinct reason codes, in order of first appearance."""
        return list(dict.fromkeys(str(p.code) for p in self.reasons))

    @property
    def may_store_content(self) -> bool:
        """False when the submission holds a field in a data category the port may not receive."""
        return all(p.code != Code.DATA_CATEGORY_NOT_PERMITTED for p in self.reasons)


def submission_id_of(document: Any, digest: str) -> str:
    """The submission's own id when it has a usable one, else one derived from its digest."""
    if isinstance(document, Mapping):
        value = document.get("submissionId")
        if isinstance(value, str) and _SUBMISSION_ID.fullmatch(value):
            return value
    return "digest-" + digest.removeprefix("sha-256:")[:32]


def assess_submission(
    document: Any, trust: TrustRegistry, *, port_id: str, at: datetime, exporter_id: str | None = None
) -> Assessment:
    """Assess a parsed submission sent to ``port_id`` at ``at`` by ``exporter_id`` (None: not checked)."""
    digest = canonical_digest(document)
    submission_id = submission_id_of(document, digest)
    reasons: list[Problem] = []
    try:
        Submission.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            pointer = "".join(f"/{part}" for part in error["loc"])
            reasons.append(Problem(Code.SCHEMA_INVALID, pointer or "/", error["msg"]))
        return Assessment(submission_id, digest, "rejected", reasons)

    manifest = check_credential(document["manifest"], trust, at, path="/manifest")
    credentials = [
        check_credential(raw, trust, at, path=f"/credentials/{i}") for i, raw in enumerate(document["credentials"])
    ]
    reasons += manifest.problems
    for report in credentials:
        reasons += report.problems
    assessment = Assessment(submission_id, digest, "rejected", reasons, manifest, credentials)

    if manifest.signature_verified:
        reasons += _manifest_problems(document, manifest, trust, port_id, exporter_id)
    if manifest.verified:
        reasons += _reference_problems(manifest, credentials)
        reasons += _evidence_problems(credentials)
    policy = trust.policy(port_id)
    if policy is None:
        reasons.append(Problem(Code.DESTINATION_MISMATCH, "/manifest", f"{port_id} publishes no policy"))
    else:
        reasons += _policy_problems(policy, manifest, credentials, trust, at)

    if any(p.severity == "error" for p in reasons):
        assessment.decision = "rejected"
    elif policy is not None and _held(policy, manifest, digest):
        assessment.decision = "held_for_inspection"
    else:
        assessment.decision = "accepted"
    return assessment


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
    if exporter_id is not None and manifest.key is not None and manifest.key.participant_id != exporter_id:
        problems.append(
            Problem(
                Code.MANIFEST_EXPORTER_MISMATCH,
                "/manifest/issuer",
                f"the manifest is issued by {manifest.key.participant_id}, but {exporter_id} submitted it",
            )
        )
    if subject.get("consignmentId") != document.get("submissionId"):
        problems.append(
            Problem(
                Code.SCHEMA_INVALID,
                "/manifest/credentialSubject/consignmentId",
                f"consignmentId {subject.get('consignmentId')!r} differs from submissionId "
                f"{document.get('submissionId')!r}",
            )
        )
    if subject.get("destination") != port_id:
        problems.append(
            Problem(
                Code.DESTINATION_MISMATCH,
                "/manifest/credentialSubject/destination",
                f"the manifest is addressed to {subject.get('destination')!r}, not {port_id}",
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
                    f"the manifest references {ref.get('id')}, which the submission does not carry",
                )
            )
        elif found.digest != ref.get("digest"):
            problems.append(
                Problem(
                    Code.EVIDENCE_DIGEST_MISMATCH,
                    f"{where}/digest",
                    f"the manifest pins {ref.get('digest')}, but {ref.get('id')} hashes to {found.digest}",
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


def _policy_problems(
    policy: Mapping[str, Any],
    manifest: CredentialReport,
    credentials: list[CredentialReport],
    trust: TrustRegistry,
    at: datetime,
) -> list[Problem]:
    problems: list[Problem] = []
    permitted_hs = list(policy.get("permittedHsCodes", []))
    permitted_categories = set(policy.get("permittedDataCategories", []))
    reports = [manifest, *credentials]

    # Data categories: any present field of any schema-valid credential (DESIGN section 8).
    for report in reports:
        if report.model is None:
            continue
        refused: list[str] = []
        for pointer, category in field_categories(report.model):
            if any(pointer.startswith(parent + "/") for parent in refused):
                continue  # already reported as part of the refused object that holds it
            if str(category) not in permitted_categories:
                refused.append(pointer)
                problems.append(
                    Problem(
                        Code.DATA_CATEGORY_NOT_PERMITTED,
                        report.path + pointer,
                        f"field in data category {category}, which this port may not receive",
                    )
                )

    if not manifest.verified or manifest.record_type != MANIFEST_TYPE or manifest.payload is None:
        return problems
    lots = manifest.payload["credentialSubject"].get("lots", [])
    register = {e["establishmentNumber"]: e for e in trust.establishments}
    for i, lot in enumerate(lots):
        where = f"/manifest/credentialSubject/lots/{i}"
        hs_code = str(lot.get("hsCode", ""))
        if not _permitted(hs_code, permitted_hs):
            problems.append(
                Problem(
                    Code.HS_CODE_NOT_PERMITTED,
                    f"{where}/hsCode",
                    f"HS {hs_code} is not among this port's permitted codes ({', '.join(permitted_hs)})",
                )
            )
        number = lot.get("establishmentNumber")
        entry = register.get(number)
        if entry is None:
            problems.append(
                Problem(
                    Code.ESTABLISHMENT_NOT_APPROVED,
                    f"{where}/establishmentNumber",
                    f"establishment {number} is not on the importer-side register",
                )
            )
            continue
        approved_until = entry.get("approvedUntil")
        in_window = parse_time(entry["approvedFrom"]) <= at and (
            approved_until is None or at <= parse_time(approved_until)
        )
        if hs_code[:4] not in entry.get("categories", []) or not in_window:
            problems.append(
                Problem(
                    Code.ESTABLISHMENT_NOT_APPROVED,
                    f"{where}/establishmentNumber",
                    f"establishment {number} is not approved for HS {hs_code[:4]} at this time",
                )
            )
    return problems


def _held(policy: Mapping[str, Any], manifest: CredentialReport, digest: str) -> bool:
    """Deterministic inspection rules: held HS codes, then sampling on the digest's first 32 bits."""
    inspection = policy.get("inspection", {})
    lots = (manifest.payload or {}).get("credentialSubject", {}).get("lots", [])
    if any(_permitted(str(lot.get("hsCode", "")), inspection.get("holdHsCodes", [])) for lot in lots):
        return True
    rate = float(inspection.get("samplingRate", 0.0))
    return int(digest.removeprefix("sha-256:")[:8], 16) / 2**32 < rate
