"""The Digital Traceability Event (UNTP), in EPCIS 2.0 vocabulary: what, when, where and why of a lot.

Lineage from farm lots to export lots is told by TransformationEvents (inputs -> outputs); the other
event types record lots being commissioned, observed, packed, shipped.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import model_validator

from schemas._models.base import DataCategory, Opt, PilotModel, cat_field, field_error
from schemas._models.credential import CredentialBase
from schemas._models.scalars import DateTime, HsCode, PositiveNumber, Rec20Unit, Text, Uri

__all__ = [
    "BIZ_STEPS",
    "DISPOSITIONS",
    "BizLocation",
    "DigitalTraceabilityEvent",
    "QuantityElement",
    "ReadPoint",
    "TraceabilityEventSubject",
]

BizStep = Literal[
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
    "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
    "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
    "repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
    "sensor_reporting", "shipping", "slaughtering", "staging_outbound", "stock_taking", "stocking",
    "storing", "transforming", "transporting", "unloading", "unpacking", "void_shipping",
]  # fmt: skip
Disposition = Literal[
    "active", "available", "completeness_inferred", "completeness_verified", "conformant",
    "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
    "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_instance",
    "mismatch_class", "mismatch_quantity", "needs_replacement", "non_conformant",
    "non_sellable_other", "partially_dispensed", "recalled", "reserved", "retail_sold", "returned",
    "sellable_accessible", "sellable_not_accessible", "stolen", "unavailable", "unknown",
]  # fmt: skip

#: CBV 2.0 business steps the pilot accepts, by their short names.
BIZ_STEPS: tuple[str, ...] = get_args(BizStep)
#: CBV 2.0 dispositions the pilot accepts, by their short names.
DISPOSITIONS: tuple[str, ...] = get_args(Disposition)


class QuantityElement(PilotModel):
    """An EPCIS quantity element: an amount of a class of goods (a lot without serialised items)."""

    epcClass: Text = cat_field(DataCategory.COMMERCIAL)
    quantity: PositiveNumber = cat_field(DataCategory.COMMERCIAL)
    uom: Rec20Unit = cat_field(DataCategory.COMMERCIAL)


class ReadPoint(PilotModel):
    """Where the event was observed (EPCIS readPoint)."""

    id: Uri = cat_field(DataCategory.PUBLIC)


class BizLocation(PilotModel):
    """Where the goods are after the event (EPCIS bizLocation), typically a facility id."""

    id: Uri = cat_field(DataCategory.PUBLIC)


class TraceabilityEventSubject(PilotModel):
    """One EPCIS 2.0 event about the exporter's lots."""

    eventID: Uri = cat_field(DataCategory.PUBLIC)
    eventType: Literal["ObjectEvent", "TransformationEvent", "AggregationEvent"] = cat_field(
        DataCategory.PUBLIC
    )
    eventTime: DateTime = cat_field(DataCategory.PUBLIC)
    action: Opt[Literal["ADD", "OBSERVE", "DELETE"]] = cat_field(DataCategory.PUBLIC, None)
    bizStep: BizStep = cat_field(DataCategory.PUBLIC)
    disposition: Opt[Disposition] = cat_field(DataCategory.PUBLIC, None)
    readPoint: ReadPoint = cat_field(DataCategory.PUBLIC)
    bizLocation: Opt[BizLocation] = cat_field(DataCategory.PUBLIC, None)
    inputEPCList: Opt[list[Uri]] = cat_field(DataCategory.COMMERCIAL, None)
    outputEPCList: Opt[list[Uri]] = cat_field(DataCategory.COMMERCIAL, None)
    epcList: Opt[list[Uri]] = cat_field(DataCategory.COMMERCIAL, None)
    inputQuantityList: Opt[list[QuantityElement]] = cat_field(DataCategory.COMMERCIAL, None)
    outputQuantityList: Opt[list[QuantityElement]] = cat_field(DataCategory.COMMERCIAL, None)
    quantityList: Opt[list[QuantityElement]] = cat_field(DataCategory.COMMERCIAL, None)
    hsCode: HsCode = cat_field(DataCategory.PUBLIC)
    sourceFacility: Opt[Uri] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _event_rules(self) -> TraceabilityEventSubject:
        if self.eventType == "TransformationEvent":
            if self.action is not None:
                raise field_error("action", "a TransformationEvent has no action; remove the member")
            if not (self.inputEPCList or self.inputQuantityList):
                raise field_error(
                    "inputEPCList",
                    "a TransformationEvent needs inputs: a non-empty inputEPCList or inputQuantityList",
                )
            if not (self.outputEPCList or self.outputQuantityList):
                raise field_error(
                    "outputEPCList",
                    "a TransformationEvent needs outputs: a non-empty outputEPCList or outputQuantityList",
                )
            return self
        if self.action is None:
            raise field_error("action", f"an {self.eventType} needs an action: 'ADD', 'OBSERVE' or 'DELETE'")
        if self.eventType == "ObjectEvent" and not (self.epcList or self.quantityList):
            raise field_error("epcList", "an ObjectEvent needs a non-empty epcList or quantityList")
        return self


class DigitalTraceabilityEvent(CredentialBase):
    """An EPCIS event signed by the exporter whose lots it describes."""

    record_type = "DigitalTraceabilityEvent"
    credentialSubject: TraceabilityEventSubject = cat_field(DataCategory.PUBLIC)
