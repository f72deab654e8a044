"""Importing a credential issued by someone else (a certifier, ``ru-vet``), verified before it is stored.

The check is the port's own (``schemas.verify.check_credential`` at the node's current time): a bad
signature, an issuer whose role may not issue that record type, an expired or not-yet-valid credential,
a schema problem are refused with that code (400) and every problem listed. Its status is checked too,
against its issuer's status lists in the registry (docs/design.md §12): a credential its issuer has
already revoked or suspended is refused (``CREDENTIAL_REVOKED``, ``CREDENTIAL_SUSPENDED``); a status
that cannot be established now (``STATUS_UNAVAILABLE``) is a warning of the import, not a refusal,
since the consignment pre-check and the port check it again. Only the record types an exporter gathers
from others are accepted: DigitalConformityCredential and VeterinaryAttestation. Importing the same
credential twice is harmless; another credential under a known id is a 409. Importing again a credential
the exporter holds only sealed (it sent it sealed to a port, docs/design.md §6) puts its plaintext back,
so that it can travel in another consignment: 201, as for a new import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exporter_node.api_models import CredentialView
from exporter_node.errors import ConflictError, InputRefusedError
from exporter_node.state import ExporterNode
from exporter_node.storage import DuplicateError
from schemas.codes import Code
from schemas.models.conformity import DigitalConformityCredential
from schemas.phrase import Phrase
from schemas.status_list import StatusCheck, check_status
from schemas.time import parse_time
from schemas.verify import check_credential

__all__ = ["IMPORTABLE_TYPES", "credential_view", "import_credential"]

#: Record types an exporter imports from other issuers.
IMPORTABLE_TYPES = frozenset({"DigitalConformityCredential", "VeterinaryAttestation"})


def import_credential(node: ExporterNode, document: Any) -> tuple[CredentialView, bool]:
    """Verify and store ``document``; returns its view and whether it was new."""
    now = node.now()
    trust = node.trust.current()
    report = check_credential(document, trust, now)
    if not report.verified:
        problems = report.errors or report.problems
        raise InputRefusedError(problems)
    status = StatusCheck()
    check_status(report, node.status, trust, now, status)
    if any(p.severity == "error" for p in status.reasons):
        raise InputRefusedError(status.reasons)
    warnings = [*report.problems, *status.reasons]
    assert report.payload is not None and report.key is not None and report.digest is not None
    if report.record_type not in IMPORTABLE_TYPES:
        raise InputRefusedError.single(
            Code.SCHEMA_INVALID,
            "/type",
            f"only {' and '.join(sorted(IMPORTABLE_TYPES))} credentials are imported, not {report.record_type}",
        )
    payload = report.payload
    subject = payload.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    row = {
        "id": str(payload["id"]),
        "record_type": report.record_type,
        "issuer": report.key.participant_id,
        "digest": report.digest,
        "credential": document,
        "assessed_facility": _assessed_facility(report.model),
        "establishment_number": subject.get("establishmentNumber")
        if report.record_type == "VeterinaryAttestation"
        else None,
        "valid_from": parse_time(payload["validFrom"]),
        "valid_until": parse_time(payload["validUntil"]) if payload.get("validUntil") else None,
        "imported_at": now,
    }
    existing = node.storage.imported_credential(row["id"])
    if existing is not None:
        if existing["digest"] != row["digest"]:
            raise ConflictError(Phrase("another credential with id {id} was imported before", id=row["id"]))
        if existing["sealed_to"] is not None and node.storage.restore_imported_credential(
            row["id"], row["digest"], document
        ):
            restored = {**existing, "credential": document, "sealed_to": None, "sealed_in": None, "sealed_at": None}
            return credential_view(restored, warnings), True
        return credential_view(existing, warnings), False
    try:
        node.storage.add_imported_credential(row)
    except DuplicateError as exc:
        raise ConflictError(Phrase("credential {id} was imported concurrently", id=row["id"])) from exc
    return credential_view(row, warnings), True


def _assessed_facility(model: object) -> str | None:
    """The (first) facility a verified conformity credential assessed; None for other types."""
    if not isinstance(model, DigitalConformityCredential):
        return None
    ids = model.credentialSubject.facility_ids
    return ids[0] if ids else None


def credential_view(row: Mapping[str, Any], warnings: Any = ()) -> CredentialView:
    """The API form of an imported credential (its record type is its ``type``), with the import's warnings."""
    return CredentialView.from_row(row, type=row["record_type"], warnings=[p.as_dict() for p in warnings])
