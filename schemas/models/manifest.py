"""The consignment manifest: the lots an exporter ships to one port and the credentials that back them."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from schemas._internal.scalars import (
    Date,
    Did,
    Digest,
    EstablishmentNumber,
    HsCode,
    PositiveNumber,
    Rec20Unit,
    ShortId,
    SubmissionId,
    Text,
    Uri,
)
from schemas.models.base import DataCategory, PilotModel, cat_field
from schemas.models.credential import CredentialBase

__all__ = [
    "REFERENCEABLE_TYPES",
    "ConsignmentManifest",
    "CredentialRef",
    "Lot",
    "ManifestSubject",
    "NetWeight",
]

ReferenceableType = Literal[
    "DigitalFacilityRecord",
    "DigitalTraceabilityEvent",
    "DigitalConformityCredential",
    "VeterinaryAttestation",
]
#: The record types a manifest may reference.
REFERENCEABLE_TYPES: tuple[str, ...] = get_args(ReferenceableType)


class NetWeight(PilotModel):
    """A lot's net weight."""

    value: PositiveNumber = cat_field(DataCategory.COMMERCIAL)
    unit: Rec20Unit = cat_field(DataCategory.COMMERCIAL)


class Lot(PilotModel):
    """One export lot: what it is, how much, where it was made, which farms it came from."""

    lotId: Uri = cat_field(DataCategory.PUBLIC)
    hsCode: HsCode = cat_field(DataCategory.PUBLIC)
    description: Text = cat_field(DataCategory.PUBLIC)
    netWeight: NetWeight = cat_field(DataCategory.COMMERCIAL)
    establishmentNumber: EstablishmentNumber = cat_field(DataCategory.PUBLIC)
    originFacilities: Annotated[list[Uri], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)


class CredentialRef(PilotModel):
    """A credential of the submission, pinned by id, record type and digest."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    type: ReferenceableType = cat_field(DataCategory.PUBLIC)
    digest: Digest = cat_field(DataCategory.PUBLIC)


class ManifestSubject(PilotModel):
    """The consignment: its id (the submissionId), exporter, destination port, lots and credentials."""

    consignmentId: SubmissionId = cat_field(DataCategory.PUBLIC)
    exporter: Did = cat_field(DataCategory.PUBLIC)
    destination: ShortId = cat_field(DataCategory.PUBLIC)
    shipmentDate: Date = cat_field(DataCategory.PUBLIC)
    transportMode: Literal["rail", "road", "sea"] = cat_field(DataCategory.PUBLIC)
    lots: Annotated[list[Lot], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)
    credentials: Annotated[list[CredentialRef], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)


class ConsignmentManifest(CredentialBase):
    """The manifest of a consignment, issued by the exporter."""

    record_type = "ConsignmentManifest"
    credentialSubject: ManifestSubject = cat_field(DataCategory.PUBLIC)
