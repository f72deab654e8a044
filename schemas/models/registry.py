"""The record types of the wire contract: their credential models and the roles allowed to issue them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.models.base import Role
from schemas.models.conformity import DigitalConformityCredential
from schemas.models.credential import CredentialBase
from schemas.models.event import DigitalTraceabilityEvent
from schemas.models.facility import DigitalFacilityRecord
from schemas.models.manifest import ConsignmentManifest
from schemas.models.receipt import SubmissionReceipt
from schemas.models.status import BitstringStatusListCredential
from schemas.models.veterinary import VeterinaryAttestation

__all__ = ["AUTHORIZED_ROLES", "CREDENTIAL_TYPES", "credential_type_of"]

#: Record type name (the second ``type`` element) -> its full credential model.
CREDENTIAL_TYPES: dict[str, type[CredentialBase]] = {
    model.record_type: model
    for model in (
        DigitalFacilityRecord,
        DigitalTraceabilityEvent,
        DigitalConformityCredential,
        VeterinaryAttestation,
        ConsignmentManifest,
        SubmissionReceipt,
        BitstringStatusListCredential,
    )
}

#: Record type name -> the roles whose participants may issue it.
AUTHORIZED_ROLES: dict[str, frozenset[Role]] = {
    "DigitalFacilityRecord": frozenset({Role.EXPORTER}),
    "DigitalTraceabilityEvent": frozenset({Role.EXPORTER}),
    "DigitalConformityCredential": frozenset({Role.CERTIFIER}),
    "VeterinaryAttestation": frozenset({Role.COMPETENT_AUTHORITY}),
    "ConsignmentManifest": frozenset({Role.EXPORTER}),
    "SubmissionReceipt": frozenset({Role.PORT_AUTHORITY}),
    # Every issuer of credentials publishes the status lists of what it issued (docs/design.md §12).
    "BitstringStatusListCredential": frozenset({Role.EXPORTER, Role.CERTIFIER, Role.COMPETENT_AUTHORITY}),
}


def credential_type_of(doc: Mapping[str, Any]) -> str | None:
    """The pilot record type named in ``doc["type"]`` (a list or a single string), or None."""
    declared = doc.get("type")
    names = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    for name in names:
        if isinstance(name, str) and name in CREDENTIAL_TYPES:
            return name
    return None
