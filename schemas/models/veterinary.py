"""The veterinary attestation: the competent authority's health statement about an establishment."""

from __future__ import annotations

from schemas._internal.scalars import Date, EstablishmentNumber, HsCode, Text, Uri
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field
from schemas.models.conformity import LaboratoryResult
from schemas.models.credential import CredentialBase

__all__ = ["HealthStatus", "Veterinarian", "VeterinaryAttestation", "VeterinarySubject"]


class HealthStatus(PilotModel):
    """Diseases the herd or flock is free of, and vaccinations given."""

    diseaseFree: list[Text] = cat_field(DataCategory.ANIMAL_HEALTH)
    vaccinations: list[Text] = cat_field(DataCategory.ANIMAL_HEALTH)


class Veterinarian(PilotModel):
    """The official veterinarian who inspected (personal data)."""

    name: Text = cat_field(DataCategory.PERSONAL)


class VeterinarySubject(PilotModel):
    """The inspected establishment, the animals and products concerned, and the findings."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    establishmentNumber: EstablishmentNumber = cat_field(DataCategory.PUBLIC)
    species: Text = cat_field(DataCategory.PUBLIC)
    hsCode: HsCode = cat_field(DataCategory.PUBLIC)
    inspectionDate: Date = cat_field(DataCategory.PUBLIC)
    healthStatus: HealthStatus = cat_field(DataCategory.ANIMAL_HEALTH)
    laboratoryResults: Opt[list[LaboratoryResult]] = cat_field(DataCategory.LABORATORY, None)
    veterinarian: Opt[Veterinarian] = cat_field(DataCategory.PERSONAL, None)
    recommendedForRegister: bool = cat_field(DataCategory.PUBLIC)


class VeterinaryAttestation(CredentialBase):
    """A veterinary attestation issued by the competent authority (``ru-vet``)."""

    record_type = "VeterinaryAttestation"
    credentialSubject: VeterinarySubject = cat_field(DataCategory.PUBLIC)
