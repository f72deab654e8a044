"""The Digital Conformity Credential (UNTP): a certifier's assessment of a facility against a scheme."""

from __future__ import annotations

from typing import Literal

from schemas._models.base import DataCategory, Opt, PilotModel, cat_field
from schemas._models.credential import CredentialBase
from schemas._models.scalars import Date, Did, Digest, Finite, Rec20Unit, Text, Uri

__all__ = [
    "Assessor",
    "ConformitySubject",
    "DigitalConformityCredential",
    "EvidenceRef",
    "LaboratoryResult",
    "Measurement",
    "Scheme",
]


class Scheme(PilotModel):
    """The conformity scheme the assessment was made under."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)


class Assessor(PilotModel):
    """The body that made the assessment."""

    id: Did = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)


class Measurement(PilotModel):
    """A measured value, e.g. a carbon footprint in kilograms per tonne."""

    metric: Text = cat_field(DataCategory.COMMERCIAL)
    value: Finite = cat_field(DataCategory.COMMERCIAL)
    unit: Rec20Unit | Text = cat_field(DataCategory.COMMERCIAL)


class LaboratoryResult(PilotModel):
    """One laboratory test and its outcome."""

    test: Text = cat_field(DataCategory.LABORATORY)
    result: Text = cat_field(DataCategory.LABORATORY)


class EvidenceRef(PilotModel):
    """Another credential pinned as evidence by its SHA-256 digest."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    digest: Digest = cat_field(DataCategory.PUBLIC)
    description: Opt[Text] = cat_field(DataCategory.PUBLIC, None)


class ConformitySubject(PilotModel):
    """What was assessed, under which scheme, by whom, and the result."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    topic: Literal["deforestation_free", "antibiotic_use", "animal_welfare", "carbon_footprint"] = cat_field(
        DataCategory.PUBLIC
    )
    scheme: Scheme = cat_field(DataCategory.PUBLIC)
    assessor: Assessor = cat_field(DataCategory.PUBLIC)
    assessedFacility: Uri = cat_field(DataCategory.PUBLIC)
    assessmentDate: Date = cat_field(DataCategory.PUBLIC)
    result: Literal["pass", "fail"] = cat_field(DataCategory.PUBLIC)
    measurements: Opt[list[Measurement]] = cat_field(DataCategory.COMMERCIAL, None)
    laboratoryResults: Opt[list[LaboratoryResult]] = cat_field(DataCategory.LABORATORY, None)
    evidence: list[EvidenceRef] = cat_field(DataCategory.PUBLIC)


class DigitalConformityCredential(CredentialBase):
    """A conformity assessment issued by a certification body."""

    record_type = "DigitalConformityCredential"
    credentialSubject: ConformitySubject = cat_field(DataCategory.PUBLIC)
