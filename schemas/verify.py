"""One verification entry point: raw bytes of a credential or submission + trust list + time -> verdict.

The order follows STYLE habit 6 (parse, then verify, then pass on only the verified object):

    strict JSON parse -> securing form (embedded eddsa-jcs-2022 proof or VC-JOSE envelope)
    -> key from the trust list, valid for ``assertion`` at the judged time -> signature
    -> the signing key belongs to the credential's issuer -> schema of the record type
    -> issuer role authorised for the type -> validity window -> semantic checks (geometry)

A credential whose proof does not verify is reported and not examined further; everything that does
verify is checked completely, so a document's report lists all its problems, not just the first.
Submission-level checks (references, evidence digests, port policy) are the port rules of ``schemas.rules``,
run by ``schemas.assess``.

A sealed credential (docs/design.md §4, ``schemas.sealing``) is opened first, at the port it is sealed
to (``check_sealed_credential``): its ``kid`` must name a ``keyAgreement`` key of that port in the trust
list (``SEALED_KEY_UNKNOWN``), usable at the judged time (``SEALED_KEY_RETIRED``), whose private key the
port holds (``SEALED_KEY_UNKNOWN``); then it is decrypted (``SEALED_INVALID``,
``SEALED_ALGORITHM_UNSUPPORTED``), and the credential inside is verified and classified exactly as a
clear one, its report saying which key it was sealed to (``CredentialReport.sealed_to``). A JWE outside
the sealing profile is refused from its protected header before any of that.

Whatever the verification outcome, every credential is also classified (``CredentialReport.categories``):
the data category of each present field when the document validates against its record model, else
None (a field that cannot be classified). A port decides what it may keep from that (docs/design.md §8),
so a tampered or unsigned credential never smuggles a refused field into storage. Reason messages
never quote input values; they say what was expected and what kind of value was found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import BaseModel

from schemas.codes import Code
from schemas.data_integrity import DataIntegrityProof, read_proof, verify_data_integrity
from schemas.digest import credential_digest_and_bytes
from schemas.errors import Reason, VerificationError
from schemas.jose import is_enveloped, read_enveloped, verify_enveloped
from schemas.jsonio import parse_json
from schemas.models.base import DataCategory, field_categories
from schemas.models.registry import AUTHORIZED_ROLES, credential_type_of
from schemas.models.validate import validate_credential_payload
from schemas.phrase import Phrase
from schemas.sealing import open_sealed, read_sealed, sealed_header
from schemas.time import parse_time
from schemas.trust import ResolvedKey, TrustRegistry
from schemas.validated_records import validated_record

#: A credential that expires within this long after the judged time earns a warning.
EXPIRY_WARNING = timedelta(days=30)

#: The members a Data Integrity proof may carry (VC Data Integrity 1.0 section 2.1); a proof with any
#: other member holds fields no schema classifies.
PROOF_MEMBERS = frozenset(
    {
        "@context",
        "id",
        "type",
        "cryptosuite",
        "verificationMethod",
        "proofPurpose",
        "created",
        "expires",
        "domain",
        "challenge",
        "nonce",
        "previousProof",
        "proofValue",
    }
)


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
    problems: list[Reason] = field(default_factory=list)
    #: (JSON pointer, data category) of every present field, whatever the verification outcome; None
    #: when the credential cannot be classified (it does not validate against its record model).
    categories: list[tuple[str, DataCategory]] | None = None
    #: The ``keyAgreement`` key id the credential arrived sealed to; None: it arrived in clear text. For a
    #: sealed credential that opened, ``raw`` and everything above describe the credential inside.
    sealed_to: str | None = None
    #: True for a sealed credential that could not be opened: nothing of its content is known (``problems``
    #: say why), so it can neither be classified nor matched with the manifest's references.
    unopened: bool = False

    @property
    def errors(self) -> list[Reason]:
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


def _at(path: str, error: VerificationError) -> list[Reason]:
    """``error``'s problems with their paths placed under ``path``."""
    return [p.at(path + p.path) for p in error.problems]


def check_credential(raw: Any, trust: TrustRegistry, at: datetime, *, path: str = "") -> CredentialReport:
    """Verify one credential (either securing form) at time ``at``; never raises for bad input.

    The report's ``categories`` classify the credential's fields whatever the outcome.
    """
    report = _verify(raw, trust, at, path)
    report.categories = _classify(report)
    return report


def check_sealed_credential(
    raw: Mapping[str, Any],
    trust: TrustRegistry,
    at: datetime,
    *,
    port_id: str,
    private_keys: Mapping[str, X25519PrivateKey],
    path: str = "",
) -> CredentialReport:
    """Open a sealed credential received by ``port_id`` at ``at`` and verify the credential inside; never raises
    for bad input.

    In order (module doc): the envelope and the JWE's protected header against the sealing profile
    (``SEALED_INVALID``, ``SEALED_ALGORITHM_UNSUPPORTED``); its ``kid`` names a ``keyAgreement`` key of
    ``port_id`` in the trust list (else ``SEALED_KEY_UNKNOWN``), usable at ``at`` (else
    ``SEALED_KEY_RETIRED``: exporters seal to the current key only), held in ``private_keys`` (else
    ``SEALED_KEY_UNKNOWN``: never installed, or destroyed); then decrypted (``SEALED_INVALID``). A credential
    that opens is checked by ``check_credential`` and its report gets ``sealed_to``; one that does not is
    reported ``unopened``, with no content.
    """
    try:
        token = read_sealed(raw)
        kid: str = sealed_header(token, path="/id")["kid"]
    except VerificationError as exc:
        return _unopened(raw, path, _at(path, exc))
    key = trust.agreement_keys.get(kid)
    if key is None or key.participant_id != port_id:
        message = Phrase(
            "the sealed credential's kid names no keyAgreement key of {port} in the trust list", port=port_id
        )
        return _unopened(raw, path, [Reason.of(Code.SEALED_KEY_UNKNOWN, f"{path}/id", message)])
    if not key.usable_at(at):
        message = Phrase(
            "the sealed credential is sealed to a keyAgreement key of {port} that is retired (outside its "
            "validity window, or revoked) at receive time: seal to the port's current key",
            port=port_id,
        )
        return _unopened(raw, path, [Reason.of(Code.SEALED_KEY_RETIRED, f"{path}/id", message)])
    private_key = private_keys.get(kid)
    if private_key is None:
        message = Phrase(
            "{port} holds no private key for the keyAgreement key the sealed credential names", port=port_id
        )
        return _unopened(raw, path, [Reason.of(Code.SEALED_KEY_UNKNOWN, f"{path}/id", message)])
    try:
        opened = open_sealed(token, {kid: private_key}, path="/id")
    except VerificationError as exc:
        return _unopened(raw, path, _at(path, exc))
    except ValueError as exc:  # a plaintext RFC 8785 cannot represent (a lone surrogate...)
        message = Phrase("the sealed plaintext cannot be canonicalized (RFC 8785): {error}", error=type(exc).__name__)
        return _unopened(raw, path, [Reason.of(Code.SEALED_INVALID, f"{path}/id", message)])
    report = check_credential(opened.credential, trust, at, path=path)
    report.sealed_to = kid
    return report


def _unopened(raw: Any, path: str, problems: list[Reason]) -> CredentialReport:
    return CredentialReport(path=path, raw=raw, problems=problems, unopened=True)


def _classify(report: CredentialReport) -> list[tuple[str, DataCategory]] | None:
    """The data category of every present field, or None when some field cannot be classified.

    A verified, schema-valid credential is classified from its model; any other one is validated
    quietly (its real problems are already reported) just to learn what its fields are.
    """
    document: Any = report.payload
    if document is None and isinstance(report.raw, Mapping) and not is_enveloped(report.raw):
        document = report.raw
    if not isinstance(document, Mapping):
        return None  # e.g. an envelope whose JWS does not decode: nothing can be classified
    proof = document.get("proof")
    if isinstance(proof, Mapping) and not set(proof) <= PROOF_MEMBERS:
        return None  # members the proof has no business carrying: not classifiable
    model = report.model
    if model is not None:  # verified and validated, and classified with its validation (``_verify``, step 5)
        return report.categories
    if report.signature_verified and any(p.code == Code.SCHEMA_INVALID for p in report.problems):
        return None  # already validated, and it did not fit its model
    model, _ = validate_credential_payload(document)
    if model is None:
        return None
    return field_categories(model)


def _verify(raw: Any, trust: TrustRegistry, at: datetime, path: str) -> CredentialReport:
    report = CredentialReport(path=path, raw=raw)
    if not isinstance(raw, Mapping):
        report.problems.append(
            Reason.of(Code.SCHEMA_INVALID, path or "/", Phrase("a credential must be a JSON object"))
        )
        return report
    try:
        digest, canonical = credential_digest_and_bytes(raw)
        report.digest = digest
    except VerificationError as exc:
        report.problems += _at(path, exc)
        return report
    except ValueError as exc:
        message = Phrase("cannot canonicalize (RFC 8785): {error}", error=type(exc).__name__)
        report.problems.append(Reason.of(Code.SCHEMA_INVALID, path or "/", message))
        return report

    # 1. Securing form, without crypto: which key claims to have signed.
    proof: DataIntegrityProof | None = None
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
        report.problems += [_key_problem(p, vm_path) for p in exc.problems]
        return report
    report.key = key

    # 3. The signature.
    try:
        if report.securing == "jose":
            verify_enveloped(raw, key.public_key)
        else:
            verify_data_integrity(raw, key.public_key, proof, canonical=canonical)
    except VerificationError as exc:
        report.problems += _at(path, exc)
        return report
    report.signature_verified = True

    # 4. The key must be the issuer's own.
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != key.did:
        report.problems.append(
            Reason.of(
                Code.PROOF_INVALID,
                vm_path,
                Phrase(
                    "signed with {key}, a key of {owner}, but the issuer is another party",
                    key=key.verification_method,
                    owner=key.did,
                ),
            )
        )
        return report

    # 5. Schema of the record type (every problem reported): a pure verdict on the bytes whose signature just
    # verified, remembered by their digest (``schemas.validated_records``).
    # Paths inside an enveloped credential point into its decoded payload.
    body_path = path
    validated = validated_record(payload, body_path, digest)
    report.problems += validated.problems
    report.model = validated.model
    report.categories = list(validated.categories) if validated.categories is not None else None

    # 6. Issuer role authorised for the record type.
    if report.record_type is not None:
        roles = AUTHORIZED_ROLES.get(report.record_type, frozenset())
        if key.role not in {str(r) for r in roles}:
            report.problems.append(
                Reason.of(
                    Code.ISSUER_ROLE_NOT_AUTHORIZED,
                    f"{body_path}/issuer",
                    Phrase(
                        "{issuer} has role {role}; a {type} must be issued by {roles}",
                        issuer=key.participant_id,
                        role=key.role,
                        type=report.record_type,
                        roles=" or ".join(sorted(str(r) for r in roles)),
                    ),
                )
            )

    # 7. Validity window at the judged time.
    report.problems += _validity_problems(payload, at, body_path)

    # 8. Semantic checks on the validated model.
    report.problems += validated.semantic
    return report


def _key_problem(problem: Reason, path: str) -> Reason:
    """A key-resolution problem placed at ``path``; an unknown key's id is input, so it is not quoted."""
    if problem.code == Code.ISSUER_UNKNOWN:
        message = Phrase("the verificationMethod is not a key of any participant in the trust list")
        return Reason.of(problem.code, path, message)
    return replace(problem, path=path, severity="error")


def _validity_problems(payload: Mapping[str, Any], at: datetime, path: str) -> list[Reason]:
    problems: list[Reason] = []
    try:
        valid_from = parse_time(payload["validFrom"]) if isinstance(payload.get("validFrom"), str) else None
        valid_until = parse_time(payload["validUntil"]) if isinstance(payload.get("validUntil"), str) else None
    except VerificationError:
        return problems  # already a schema problem
    if valid_from is not None and at < valid_from:
        problems.append(
            Reason.of(
                Code.CREDENTIAL_NOT_YET_VALID,
                f"{path}/validFrom",
                Phrase("the credential's validFrom is later than the time it is judged at"),
            )
        )
    if valid_until is not None and at > valid_until:
        message = Phrase("the credential's validUntil has passed")
        problems.append(Reason.of(Code.CREDENTIAL_EXPIRED, f"{path}/validUntil", message))
    elif valid_until is not None and at + EXPIRY_WARNING > valid_until:
        problems.append(
            Reason.of(
                Code.CREDENTIAL_EXPIRING_SOON,
                f"{path}/validUntil",
                Phrase("the credential expires within {days} days", days=EXPIRY_WARNING.days),
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
