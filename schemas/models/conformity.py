"""The Digital Conformity Credential (UNTP 0.6.1 DCC): a certifier's attestation about a facility.

The credential subject is a UNTP ``ConformityAttestation``: who assessed (``assessorLevel``), how
(``assessmentLevel``, ``attestationType``), for whom (``issuedToParty``), under which scheme (``scope``),
and the ``assessment``s, each with a UNTP ``conformityTopic``, a boolean ``conformance`` and the assessed
facility. The facility record it assessed is pinned by digest as ``auditableEvidence`` (a
``SecureLink``). Pilot extension terms: ``agriTopic`` (the precise topic) and ``laboratoryResults``
on an ``AgriConformityAssessment``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas._internal.scalars import Date, Finite, Rec20Unit, Text, Uri
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field, check_type, field_error
from schemas.models.credential import UntpCredentialBase
from schemas.models.language import Names
from schemas.models.untp import UNTP_TOPIC_OF, AgriTopic, ConformityTopic, Party, SecureLink

__all__ = [
    "AssessedFacility",
    "ConformityAssessment",
    "ConformityAttestation",
    "ConformityScheme",
    "DigitalConformityCredential",
    "FacilityVerification",
    "LaboratoryResult",
    "Measure",
    "Metric",
]


class ConformityScheme(PilotModel):
    """The scheme the attestation is issued under (UNTP ``ConformityScheme``)."""

    type: list[Literal["ConformityScheme"]] = cat_field(DataCategory.PUBLIC, min_length=1, max_length=1)
    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    description: Text = cat_field(DataCategory.PUBLIC)
    version: Text = cat_field(DataCategory.PUBLIC)
    validFrom: Date = cat_field(DataCategory.PUBLIC)
    owner: Party = cat_field(DataCategory.PUBLIC)


class Measure(PilotModel):
    """A value and its UN/CEFACT Rec 20 unit (UNTP ``Measure``)."""

    value: Finite = cat_field(DataCategory.COMMERCIAL)
    unit: Rec20Unit = cat_field(DataCategory.COMMERCIAL)


class Metric(PilotModel):
    """A measured value, e.g. a carbon footprint in kilograms per tonne (UNTP ``Metric``)."""

    metricName: Text = cat_field(DataCategory.COMMERCIAL)
    metricValue: Measure = cat_field(DataCategory.COMMERCIAL)


class LaboratoryResult(PilotModel):
    """One laboratory test and its outcome (pilot extension; laboratory data)."""

    test: Text = cat_field(DataCategory.LABORATORY)
    result: Text = cat_field(DataCategory.LABORATORY)


class AssessedFacility(PilotModel):
    """The facility an assessment is about: its id and name (and ``names``, the pilot extension term)."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    names: Opt[Names] = cat_field(DataCategory.PUBLIC, None)


class FacilityVerification(PilotModel):
    """An assessed facility (UNTP ``FacilityVerification``; untyped: UNTP 0.6.1's DCC context does not define
    the type name, so a typed one would not expand, while ``assessedFacility`` defines its members)."""

    facility: AssessedFacility = cat_field(DataCategory.PUBLIC)
    IDverifiedByCAB: bool = cat_field(DataCategory.PUBLIC)


ASSESSMENT_TYPE = ["ConformityAssessment", "Declaration", "AgriConformityAssessment"]
ATTESTATION_TYPE = ["ConformityAttestation", "Attestation"]


class ConformityAssessment(PilotModel):
    """One assessment (UNTP ``ConformityAssessment`` extended as ``AgriConformityAssessment``)."""

    type: list[Literal["ConformityAssessment", "Declaration", "AgriConformityAssessment"]] = cat_field(
        DataCategory.PUBLIC, min_length=3, max_length=3
    )
    id: Uri = cat_field(DataCategory.PUBLIC)
    assessmentDate: Date = cat_field(DataCategory.PUBLIC)
    conformance: bool = cat_field(DataCategory.PUBLIC)
    conformityTopic: ConformityTopic = cat_field(DataCategory.PUBLIC)
    assessedFacility: Annotated[list[FacilityVerification], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)
    declaredValue: Opt[list[Metric]] = cat_field(DataCategory.COMMERCIAL, None)
    # Pilot extension terms (AgriConformityAssessment).
    agriTopic: AgriTopic = cat_field(DataCategory.PUBLIC)
    laboratoryResults: Opt[list[LaboratoryResult]] = cat_field(DataCategory.LABORATORY, None)

    @model_validator(mode="after")
    def _checks(self) -> ConformityAssessment:
        check_type(self.type, ASSESSMENT_TYPE)
        expected = UNTP_TOPIC_OF[self.agriTopic]
        if self.conformityTopic != expected:
            raise field_error(
                "conformityTopic",
                f"agriTopic {self.agriTopic!r} is reported under UNTP conformityTopic {expected!r}, "
                f"found {self.conformityTopic!r}",
            )
        return self


class ConformityAttestation(PilotModel):
    """The subject of a DCC (UNTP ``ConformityAttestation``)."""

    type: list[Literal["ConformityAttestation", "Attestation"]] = cat_field(
        DataCategory.PUBLIC, min_length=2, max_length=2
    )
    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    assessorLevel: Literal["3rdParty", "Self", "Commercial", "Buyer", "Membership", "Unspecified"] = cat_field(
        DataCategory.PUBLIC
    )
    assessmentLevel: Literal["GovtApproval", "GlobalMRA", "Accredited", "Verified", "Validated", "Unspecified"] = (
        cat_field(DataCategory.PUBLIC)
    )
    attestationType: Literal[
        "certification", "declaration", "inspection", "testing", "verification", "validation", "calibration"
    ] = cat_field(DataCategory.PUBLIC)
    issuedToParty: Party = cat_field(DataCategory.PUBLIC)
    scope: ConformityScheme = cat_field(DataCategory.PUBLIC)
    assessment: Annotated[list[ConformityAssessment], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)
    auditableEvidence: SecureLink = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _type(self) -> ConformityAttestation:
        check_type(self.type, ATTESTATION_TYPE)
        return self

    @property
    def facility_ids(self) -> list[str]:
        """The ids of every assessed facility, in order, without repeats."""
        ids = [v.facility.id for a in self.assessment for v in a.assessedFacility]
        return list(dict.fromkeys(ids))


class DigitalConformityCredential(UntpCredentialBase):
    """A conformity attestation issued by a certification body."""

    record_type = "DigitalConformityCredential"
    credentialSubject: ConformityAttestation = cat_field(DataCategory.PUBLIC)
