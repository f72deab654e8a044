"""The Digital Facility Record (UNTP 0.6.1 DFR): a farm or processing establishment and its boundary.

The credential subject is a UNTP ``FacilityRecord`` holding its ``facility`` (a UNTP ``Facility``, typed
``["Facility", "AgriFacility"]``: the farm polygon under ``locationInformation.geoBoundary``,
``countryOfOperation``, ``processCategory`` as HS classifications, ``operatedByParty``) and optional
``conformityClaim``s. The pilot's extension terms (``names``, ``facilityType``, ``region``,
``establishmentNumber``, ``areaHectares``, ``herdSize``, ``productionPeriod``, ``operatorContact``) belong
to ``AgriFacility``; ``names`` lists the facility's name in each of its languages (``schemas.models.language``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas._internal.scalars import (
    CountryCode,
    Date,
    EstablishmentNumber,
    NonNegativeInt,
    PositiveNumber,
    SubdivisionCode,
    Text,
    Uri,
)
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field, check_type, field_error
from schemas.models.credential import UntpCredentialBase
from schemas.models.geometry import Polygon
from schemas.models.language import Names
from schemas.models.untp import (
    AgriTopic,
    ConformityTopic,
    HsClassification,
    Party,
    SecureLink,
)

__all__ = [
    "Claim",
    "DigitalFacilityRecord",
    "Facility",
    "FacilityRecord",
    "Location",
    "OperatorContact",
    "ProductionPeriod",
]

#: The ``type`` of every facility: a UNTP ``Facility`` extended as ``AgriFacility``.
FACILITY_TYPE = ["Facility", "AgriFacility"]


class ProductionPeriod(PilotModel):
    """The period the facility produced the declared products in (pilot extension)."""

    start: Date = cat_field(DataCategory.COMMERCIAL)
    end: Date = cat_field(DataCategory.COMMERCIAL)

    @model_validator(mode="after")
    def _ordered(self) -> ProductionPeriod:
        if self.start > self.end:
            raise field_error("end", "end must not be before start")
        return self


class OperatorContact(PilotModel):
    """A person to contact at the facility (pilot extension; personal data)."""

    name: Text = cat_field(DataCategory.PERSONAL)
    phone: str = cat_field(DataCategory.PERSONAL, pattern=r"^\+?[0-9][0-9 ()-]{4,31}$")


class Location(PilotModel):
    """Where the facility is (UNTP ``Location``): its boundary as a GeoJSON polygon."""

    geoBoundary: Polygon = cat_field(DataCategory.PRECISE_LOCATION)


class Facility(PilotModel):
    """A farm or plant (UNTP ``Facility`` extended as ``AgriFacility``)."""

    type: list[Literal["Facility", "AgriFacility"]] = cat_field(
        DataCategory.PUBLIC, min_length=2, max_length=2, json_schema_extra={
            "prefixItems": [{"const": name} for name in FACILITY_TYPE], "items": False
        }
    )  # fmt: skip
    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    description: Opt[Text] = cat_field(DataCategory.PUBLIC, None)
    countryOfOperation: CountryCode = cat_field(DataCategory.PUBLIC)
    processCategory: Annotated[list[HsClassification], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)
    operatedByParty: Party = cat_field(DataCategory.PUBLIC)
    locationInformation: Location = cat_field(DataCategory.PRECISE_LOCATION)
    # Pilot extension terms (AgriFacility).
    names: Opt[Names] = cat_field(DataCategory.PUBLIC, None)
    facilityType: Literal["farm", "processing_plant"] = cat_field(DataCategory.PUBLIC)
    region: SubdivisionCode = cat_field(DataCategory.PUBLIC)
    establishmentNumber: EstablishmentNumber = cat_field(DataCategory.PUBLIC)
    areaHectares: Opt[PositiveNumber] = cat_field(DataCategory.COMMERCIAL, None)
    herdSize: Opt[NonNegativeInt] = cat_field(DataCategory.COMMERCIAL, None)
    productionPeriod: Opt[ProductionPeriod] = cat_field(DataCategory.COMMERCIAL, None)
    operatorContact: Opt[OperatorContact] = cat_field(DataCategory.PERSONAL, None)

    @model_validator(mode="after")
    def _checks(self) -> Facility:
        check_type(self.type, FACILITY_TYPE)
        if self.region.split("-", 1)[0] != self.countryOfOperation:
            raise field_error("region", "region is not a subdivision of countryOfOperation")
        return self


class Claim(PilotModel):
    """A conformity claim the facility's operator makes (UNTP ``Claim``), optionally pinned to evidence."""

    type: list[Literal["Claim", "Declaration"]] = cat_field(DataCategory.PUBLIC, min_length=2, max_length=2)
    id: Uri = cat_field(DataCategory.PUBLIC)
    description: Opt[Text] = cat_field(DataCategory.PUBLIC, None)
    assessmentDate: Opt[Date] = cat_field(DataCategory.PUBLIC, None)
    conformance: bool = cat_field(DataCategory.PUBLIC)
    conformityTopic: ConformityTopic = cat_field(DataCategory.PUBLIC)
    conformityEvidence: Opt[SecureLink] = cat_field(DataCategory.PUBLIC, None)
    # Pilot extension: the precise topic.
    agriTopic: Opt[AgriTopic] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _type(self) -> Claim:
        check_type(self.type, ["Claim", "Declaration"])
        return self


class FacilityRecord(PilotModel):
    """The subject of a DFR (UNTP ``FacilityRecord``): the facility and its conformity claims."""

    type: list[Literal["FacilityRecord"]] = cat_field(DataCategory.PUBLIC, min_length=1, max_length=1)
    facility: Facility = cat_field(DataCategory.PUBLIC)
    conformityClaim: Opt[list[Claim]] = cat_field(DataCategory.PUBLIC, None)


class DigitalFacilityRecord(UntpCredentialBase):
    """A farm or processing establishment, issued by the exporter that operates it."""

    record_type = "DigitalFacilityRecord"
    credentialSubject: FacilityRecord = cat_field(DataCategory.PUBLIC)
