"""One verification entry point: raw bytes of a credential or submission + trust list + time -> verdict.

The order follows STYLE habit 6 (parse, then verify, then pass on only the verified object):

    strict JSON parse -> securing form (embedded eddsa-jcs-2022 proof or VC-JOSE envelope)
    -> key from the trust list, valid for ``assertion`` at the judged time -> signature
    -> the signing key belongs to the credential's issuer -> schema of the record type
    -> issuer role authorised for the type -> validity window -> semantic checks (geometry)

A credential whose proof does not verify is reported and not examined further; everything that does
verify is checked completely, so a document's report lists all its problems, not just the first.
Submission-level checks (references, evidence digests, port policy) live in ``schemas._assess``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from schemas._data_integrity import read_proof, verify_data_integrity
from schemas._digest import credential_digest
from schemas._jose import is_enveloped, read_enveloped, verify_enveloped
from schemas._jsonio import parse_json
from schemas._models.registry import AUTHORIZED_ROLES, credential_type_of
from schemas._models.validate import semantic_problems, validate_credential_payload
from schemas._time import parse_time
from schemas._trust import ResolvedKey, TrustRegistry
from schemas.codes import Code
from schemas.errors import Problem, VerificationError

#: A credential that expires within this long after the judged time earns a warning.
EXPIRY_WARNING = timedelta(days=30)


@dataclass
class CredentialReport:
    """What verifying one credential found; ``verified`` only when no error-level problem was found."""

    path: str
    raw: Any
    payload: dict[str, Any] | None = None
    record_type: str | None = None
    model: BaseModel | None = None
    key: ResolvedKey | None = None
    digest: str | None = None
    securing: str | None = None
    proof_created: str | None = None
    signature_verified: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The error-level problems."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def verified(self) -> bool:
        """True when the signature verified and nothing else was wrong."""
        return self.signature_verified and not self.errors

    @property
    def credential_id(self) -> str | None:
        """The credential's ``id`` when the payload has a string one."""
        if self.payload is not None and isinstance(self.payload.get("id"), str):
            return str(self.payload["id"])
        return None


def _at(path: str, error: VerificationError) -> list[Problem]:
    """``error``'s problems with their paths placed under ``path``."""
    return [Problem(p.code, path + p.path, p.message, p.severity) for p in error.problems]


def check_credential(raw: Any, trust: TrustRegistry, at: datetime, *, path: str = "") -> CredentialReport:
    """Verify one credential (either securing form) at time ``at``; never raises for bad input."""
    report = CredentialReport(path=path, raw=raw)
    if not isinstance(raw, Mapping):
        report.problems.append(Problem(Code.SCHEMA_INVALID, path or "/", "a credential must be a JSON object"))
        return report
    try:
        report.digest = credential_digest(raw)
    except VerificationError as exc:
        report.problems += _at(path, exc)
        return report
    except ValueError as exc:
        report.problems.append(Problem(Code.SCHEMA_INVALID, path or "/", f"cannot canonicalize: {exc}"))
        return report

    # 1. Securing form, without crypto: which key claims to have signed.
    try:
        if is_enveloped(raw):
            envelope = read_enveloped(raw)
            payload, verification_method, report.securing = envelope.payload, envelope.kid, "jose"
        else:
            proof = read_proof(raw)
            payload, verification_method, report.securing = (
                dict(raw),
                proof.verification_method,
                "data-integrity",
            )
            report.proof_created = proof.created
    except VerificationError as exc:
        report.problems += _at(path, exc)
        return report
    report.payload = payload
    report.record_type = credential_type_of(payload)
    vm_path = f"{path}/id" if report.securing == "jose" else f"{path}/proof/verificationMethod"

    # 2. The key, from the trust list only, judged at the verifier's time.
    try:
        key = trust.resolve_key(verification_method, "assertion", at)
    except VerificationError as exc:
        report.problems += [Problem(p.code, vm_path, p.message) for p in exc.problems]
        return report
    report.key = key

    # 3. The signature.
    try:
        if report.securing == "jose":
            verify_enveloped(raw, key.public_key)
        else:
            verify_data_integrity(raw, key.public_key)
    except VerificationError as exc:
        report.problems += _at(path, exc)
        return report
    report.signature_verified = True

    # 4. The key must be the issuer's own.
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != key.did:
        report.problems.append(
            Problem(
                Code.PROOF_INVALID,
                vm_path,
                f"signed with {verification_method}, a key of {key.did}, but the issuer is {issuer_id!r}",
            )
        )
        return report

    # 5. Schema of the record type (every problem reported).
    # Paths inside an enveloped credential point into its decoded payload.
    body_path = path
    model, problems = validate_credential_payload(payload, body_path)
    report.problems += problems
    report.model = model

    # 6. Issuer role authorised for the record type.
    if report.record_type is not None:
        roles = AUTHORIZED_ROLES.get(report.record_type, frozenset())
        if key.role not in {str(r) for r in roles}:
            report.problems.append(
                Problem(
                    Code.ISSUER_ROLE_NOT_AUTHORIZED,
                    f"{body_path}/issuer",
                    f"{key.participant_id} has role {key.role}; a {report.record_type} must be issued by "
                    + " or ".join(sorted(str(r) for r in roles)),
                )
            )

    # 7. Validity window at the judged time.
    report.problems += _validity_problems(payload, at, body_path)

    # 8. Semantic checks on the validated model.
    if model is not None:
        report.problems += semantic_problems(model, body_path)
    return report


def _validity_problems(payload: Mapping[str, Any], at: datetime, path: str) -> list[Problem]:
    problems: list[Problem] = []
    try:
        valid_from = parse_time(payload["validFrom"]) if isinstance(payload.get("validFrom"), str) else None
        valid_until = parse_time(payload["validUntil"]) if isinstance(payload.get("validUntil"), str) else None
    except VerificationError:
        return problems  # already a schema problem
    if valid_from is not None and at < valid_from:
        problems.append(
            Problem(
                Code.CREDENTIAL_NOT_YET_VALID,
                f"{path}/validFrom",
                f"valid from {payload['validFrom']}, not yet",
            )
        )
    if valid_until is not None and at > valid_until:
        problems.append(Problem(Code.CREDENTIAL_EXPIRED, f"{path}/validUntil", f"expired at {payload['validUntil']}"))
    elif valid_until is not None and at + EXPIRY_WARNING > valid_until:
        problems.append(
            Problem(
                Code.CREDENTIAL_EXPIRING_SOON,
                f"{path}/validUntil",
                f"expires at {payload['validUntil']}, within {EXPIRY_WARNING.days} days",
                "warning",
            )
        )
    return problems


def verify_credential(raw: bytes | str | Mapping[str, Any], trust: TrustRegistry, at: datetime) -> CredentialReport:
    """Verify one credential from raw bytes (strictly parsed) or a parsed object.

    Returns the report when the credential is verified (warnings allowed); raises VerificationError
    carrying every problem otherwise.
    """
    document = parse_json(raw) if isinstance(raw, bytes | str) else raw
    report = check_credential(document, trust, at)
    if not report.verified:
        raise VerificationError(report.problems)
    return report
