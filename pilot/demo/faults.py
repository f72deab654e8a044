"""The demo's fault cases: each one submission made wrong in exactly one way, and the outcome expected.

Each case names who sends it where, how it is sent (through the exporter's normal consignment route,
so the exporter's local pre-check sees it, or as an already-signed submission, so the port judges it),
and the expected outcome: the port's decision and reason code, or the exporter's refusal code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pilot.language import N_
from pilot.sandbox import UNAPPROVED_ESTABLISHMENT
from pilot.synthetic import ConsignmentParts, SignedConsignment, Signer, record_type_of, sign_consignment

Route = Literal["raw", "consignment", "import"]
EXPIRED = datetime(2026, 6, 30, tzinfo=UTC)


@dataclass(frozen=True)
class FaultCase:
    """One fault: who, where, how it is sent, and what must come of it."""

    key: str
    title: str
    exporter: str
    port: str
    route: Route
    expected_code: str
    expected_decision: str | None  # the port's decision, or None when the exporter refuses it itself


@dataclass(frozen=True)
class FaultOutcome:
    """A fault case with what was expected and what happened."""

    case: FaultCase
    actual: str
    matched: bool


def _resign_manifest(
    seed: str, signed: SignedConsignment, signer: Signer, parts: ConsignmentParts, key_label: str = "key-1"
) -> dict[str, Any]:
    from schemas.issue import credential_reference
    from schemas.jose import credential_payload

    subject = signed.manifest_subject()
    subject["credentials"] = [credential_reference(c, credential_payload(c)) for c in signed.credentials]
    manifest = signer.issue(
        parts.exporter_id,
        "ConsignmentManifest",
        subject,
        credential_id=credential_payload(signed.manifest)["id"],
        key_label=key_label,
    )
    return {"submissionId": parts.consignment_id, "manifest": manifest, "credentials": signed.credentials}


def _index(signed: SignedConsignment, record_type: str) -> int:
    return next(i for i, c in enumerate(signed.credentials) if record_type_of(c) == record_type)


def tampered(seed: str, parts: ConsignmentParts, signer: Signer) -> dict[str, Any]:
    """A facility record edited after it was signed."""
    document = sign_consignment(seed, parts, signer).submission
    document["credentials"][0]["credentialSubject"]["facility"]["name"] += " (edited after signing)"
    return document


def revoked(seed: str, parts: ConsignmentParts, signer: Signer) -> dict[str, Any]:
    """The manifest signed with ru-exp-02's revoked key-0."""
    signed = sign_consignment(seed, parts, signer)
    return _resign_manifest(seed, signed, signer, parts, key_label="key-0")


def expired_certificate(seed: str, parts: ConsignmentParts, signer: Signer) -> dict[str, Any]:
    """A conformity certificate whose validity ended in June 2026."""
    return _with_certificate_reissued(seed, parts, signer, parts.certifier, valid_until=EXPIRED)


def personal_data(seed: str, parts: ConsignmentParts, signer: Signer) -> dict[str, Any]:
    """A farm record carrying the operator's name and phone (data category ``personal``)."""
    parts.farms[0] = {
        **parts.farms[0],
        "operatorContact": {"name": "I. I. Petrov", "phone": "+7 900 000-00-00"},
    }
    return sign_consignment(seed, parts, signer).submission


def no_role(seed: str, parts: ConsignmentParts, signer: Signer) -> dict[str, Any]:
    """A conformity certificate the exporter signed itself (only certifiers may)."""
    return _with_certificate_reissued(seed, parts, signer, parts.exporter_id)


def _with_certificate_reissued(
    seed: str, parts: ConsignmentParts, signer: Signer, issuer: str, **issue_options: Any
) -> dict[str, Any]:
    """The consignment with its conformity certificate signed again by ``issuer`` (same id and subject)."""
    signed = sign_consignment(seed, parts, signer)
    i = _index(signed, "DigitalConformityCredential")
    old = signed.credentials[i]
    signed.credentials[i] = signer.issue(
        issuer,
        "DigitalConformityCredential",
        copy.deepcopy(old["credentialSubject"]),
        credential_id=old["id"],
        **issue_options,
    )
    return _resign_manifest(seed, signed, signer, parts)


def unapproved_establishment(lots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lots, sent from an establishment that is not on the importer-side register."""
    return [{**lot, "establishmentNumber": UNAPPROVED_ESTABLISHMENT} for lot in lots]


CASES: tuple[FaultCase, ...] = (
    FaultCase(
        "tampered",
        N_("record changed after signing"),
        "ru-exp-01",
        "cn-port-01",
        "raw",
        "PROOF_INVALID",
        "rejected",
    ),
    FaultCase(
        "revoked",
        N_("manifest signed with a revoked key"),
        "ru-exp-02",
        "cn-port-02",
        "raw",
        "KEY_REVOKED",
        "rejected",
    ),
    FaultCase(
        "expired",
        N_("expired conformity certificate"),
        "ru-exp-03",
        "cn-port-03",
        "raw",
        "CREDENTIAL_EXPIRED",
        "rejected",
    ),
    FaultCase(
        "expired-import",
        N_("expired certificate offered for import"),
        "ru-exp-03",
        "-",
        "import",
        "CREDENTIAL_EXPIRED",
        None,
    ),
    FaultCase(
        "establishment",
        N_("establishment not on the register (exporter pre-check)"),
        "ru-exp-04",
        "cn-port-01",
        "consignment",
        "ESTABLISHMENT_NOT_APPROVED",
        None,
    ),
    FaultCase(
        "personal",
        N_("field in a data category the port does not permit"),
        "ru-exp-05",
        "cn-port-02",
        "raw",
        "DATA_CATEGORY_NOT_PERMITTED",
        "rejected",
    ),
    FaultCase(
        "role",
        N_("certificate from an issuer without the certifier role"),
        "ru-exp-06",
        "cn-port-03",
        "raw",
        "ISSUER_ROLE_NOT_AUTHORIZED",
        "rejected",
    ),
)

#: How each raw fault case's submission is made.
BUILDERS: dict[str, Callable[[str, ConsignmentParts, Signer], dict[str, Any]]] = {
    "tampered": tampered,
    "revoked": revoked,
    "expired": expired_certificate,
    "personal": personal_data,
    "role": no_role,
}
