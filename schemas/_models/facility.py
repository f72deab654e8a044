"""The Digital Facility Record (UNTP): a farm or processing establishment, with its GeoJSON boundary."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from schemas._models.base import DataCategory, Opt, PilotModel, cat_field, field_error
from schemas._models.credential import CredentialBase
from schemas._models.geometry import Polygon
from schemas._models.scalars import (
    CountryCode,
    Date,
    EstablishmentNumber,
    HsCode,
    NonNegativeInt,
    PositiveNumber,
    SubdivisionCode,
    Text,
    Uri,
)

__all__ = ["DigitalFacilityRecord", "FacilitySubject", "OperatorContact", "ProductionPeriod"]


class ProductionPeriod(PilotModel):
    """The period the facility produced the declared products in."""

    start: Date = cat_field(DataCategory.COMMERCIAL)
    end: Date = cat_field(DataCategory.COMMERCIAL)

    @model_validator(mode="after")
    def _ordered(self) -> ProductionPeriod:
        if self.start > self.end:
            raise field_error("end", f"end ({self.end}) must not be before start ({self.start})")
        return self


class OperatorContact(PilotModel):
    """A person to contact at the facility (personal data)."""

    name: Text = cat_field(DataCategory.PERSONAL)
    phone: str = cat_field(DataCategory.PERSONAL, pattern=r"^\+?[0-9][0-9 ()-]{4,31}$")


class FacilitySubject(PilotModel):
    """What a facility record says about the facility."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    facilityType: Literal["farm", "processing_plant"] = cat_field(DataCategory.PUBLIC)
    countryOfOperation: CountryCode = cat_field(DataCategory.PUBLIC)
    region: SubdivisionCode = cat_field(DataCategory.PUBLIC)
    establishmentNumber: EstablishmentNumber = cat_field(DataCategory.PUBLIC)
    geometry: Polygon = cat_field(DataCategory.PRECISE_LOCATION)
    areaHectares: Opt[PositiveNumber] = cat_field(DataCategory.COMMERCIAL, None)
    herdSize: Opt[NonNegativeInt] = cat_field(DataCategory.COMMERCIAL, None)
    products: list[HsCode] = cat_field(DataCategory.PUBLIC, min_length=1)
    productionPeriod: Opt[ProductionPeriod] = cat_field(DataCategory.COMMERCIAL, None)
    operatorContact: Opt[OperatorContact] = cat_field(DataCategory.PERSONAL, None)

    @model_validator(mode="after")
    def _region_in_country(self) -> FacilitySubject:
        if self.region.split("-", 1)[0] != self.countryOfOperation:
            raise field_error(
                "region",
                f"region {self.region!r} is not a subdivision of "
                f"countryOfOperation {self.countryOfOperation!r}",
            )
        return self


class DigitalFacilityRecord(CredentialBase):
    """A farm or processing establishment, issued by its exporter."""

    record_type = "DigitalFacilityRecord"
    credentialSubject: FacilitySubject = cat_field(DataCategory.PUBLIC)
