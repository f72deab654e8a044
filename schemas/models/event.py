"""The Digital Traceability Event (UNTP 0.6.1 DTE): EPCIS 2.0 events about the exporter's lots.

The credential subject is an array of UNTP events. Values follow GS1 CBV 2.0 only (``bizStep``,
``disposition``, business transaction and source/destination types, by their bare names, which the UNTP
context expands to ``https://ref.gs1.org/cbv/...``). EPCIS members UNTP does not list
(``eventTimeZoneOffset``, ``readPoint``, ``bizTransactionList``, ``sourceList``, ``destinationList``) and
the pilot's own (``hsCode``, ``sourceFacility``) are terms of the pilot context. ``schemas.epcis`` maps
each event to an EPCIS 2.0 event that validates against the GS1 EPCIS JSON Schema.

Lineage from farm lots to export lots is told by TransformationEvents (inputs -> outputs); ObjectEvents
commission farm lots and ship export lots (with the consignment, certificates and parties).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, StringConstraints, model_validator

from schemas._internal.scalars import DateTime, HsCode, PositiveNumber, Rec20Unit, Text, Uri
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field, field_error
from schemas.models.credential import UntpCredentialBase

__all__ = [
    "BIZ_STEPS",
    "BIZ_TRANSACTION_TYPES",
    "DISPOSITIONS",
    "SOURCE_DEST_TYPES",
    "BizTransaction",
    "Destination",
    "DigitalTraceabilityEvent",
    "Item",
    "QuantityElement",
    "ReadPoint",
    "Source",
    "TraceabilityEvent",
]

BizStep = Literal[
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
    "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
    "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
    "repackaging", "repairing", "replacing", "reserving", "retail_selling", "shipping",
    "staging_outbound", "stock_taking", "stocking", "storing", "transporting", "unloading",
    "unpacking", "void_shipping", "sensor_reporting", "sampling",
]  # fmt: skip
Disposition = Literal[
    "active", "container_closed", "damaged", "destroyed", "dispensed", "disposed", "encoded", "expired",
    "in_progress", "in_transit", "inactive", "no_pedigree_match", "non_sellable_other", "partially_dispensed",
    "recalled", "reserved", "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible",
    "stolen", "unknown", "available", "completeness_verified", "completeness_inferred", "conformant",
    "container_open", "mismatch_instance", "mismatch_class", "mismatch_quantity", "needs_replacement",
    "non_conformant", "unavailable",
]  # fmt: skip
BizTransactionType = Literal[
    "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma", "testprd",
    "testres", "upevt",
]  # fmt: skip
SourceDestType = Literal["owning_party", "possessing_party", "location"]

#: GS1 CBV 2.0 business steps, by their bare names, in the order of the GS1 EPCIS 2.0 JSON Schema's enum.
BIZ_STEPS: tuple[str, ...] = get_args(BizStep)
#: GS1 CBV 2.0 dispositions, by their bare names, in the order of the GS1 EPCIS 2.0 JSON Schema's enum.
DISPOSITIONS: tuple[str, ...] = get_args(Disposition)
#: GS1 CBV 2.0 business transaction types.
BIZ_TRANSACTION_TYPES: tuple[str, ...] = get_args(BizTransactionType)
#: GS1 CBV 2.0 source/destination types.
SOURCE_DEST_TYPES: tuple[str, ...] = get_args(SourceDestType)

TimeZoneOffset = Annotated[str, StringConstraints(pattern=r"^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$")]


class Item(PilotModel):
    """An identified lot (UNTP ``Item``): its id and a human-readable name."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)


class QuantityElement(PilotModel):
    """An amount of a class of goods (UNTP ``QuantityElement``; EPCIS ``epcClass`` is ``productId``)."""

    productId: Uri = cat_field(DataCategory.COMMERCIAL)
    productName: Text = cat_field(DataCategory.COMMERCIAL)
    quantity: PositiveNumber = cat_field(DataCategory.COMMERCIAL)
    uom: Rec20Unit = cat_field(DataCategory.COMMERCIAL)


class ReadPoint(PilotModel):
    """Where the event was observed (EPCIS ``readPoint``)."""

    id: Uri = cat_field(DataCategory.PUBLIC)


class BizTransaction(PilotModel):
    """A business transaction the event belongs to (EPCIS ``bizTransactionList`` entry, CBV 2.0 type)."""

    type: BizTransactionType = cat_field(DataCategory.PUBLIC)
    bizTransaction: Uri = cat_field(DataCategory.PUBLIC)


class Source(PilotModel):
    """Where goods come from (EPCIS ``sourceList`` entry, CBV 2.0 type)."""

    type: SourceDestType = cat_field(DataCategory.PUBLIC)
    source: Uri = cat_field(DataCategory.PUBLIC)


class Destination(PilotModel):
    """Where goods go (EPCIS ``destinationList`` entry, CBV 2.0 type)."""

    type: SourceDestType = cat_field(DataCategory.PUBLIC)
    destination: Uri = cat_field(DataCategory.PUBLIC)


ItemList = Annotated[list[Item], Field(min_length=1)]
QuantityList = Annotated[list[QuantityElement], Field(min_length=1)]


class TraceabilityEvent(PilotModel):
    """One UNTP event (an EPCIS 2.0 ObjectEvent or TransformationEvent) about the exporter's lots."""

    type: list[Literal["ObjectEvent", "TransformationEvent", "Event"]] = cat_field(
        DataCategory.PUBLIC, min_length=2, max_length=2
    )
    id: Uri = cat_field(DataCategory.PUBLIC)
    processType: Opt[Text] = cat_field(DataCategory.PUBLIC, None)
    eventTime: DateTime = cat_field(DataCategory.PUBLIC)
    eventTimeZoneOffset: TimeZoneOffset = cat_field(DataCategory.PUBLIC)
    action: Opt[Literal["add", "observe", "delete"]] = cat_field(DataCategory.PUBLIC, None)
    bizStep: BizStep = cat_field(DataCategory.PUBLIC)
    disposition: Opt[Disposition] = cat_field(DataCategory.PUBLIC, None)
    readPoint: Opt[ReadPoint] = cat_field(DataCategory.PUBLIC, None)
    bizLocation: Opt[Uri] = cat_field(DataCategory.PUBLIC, None)
    epcList: Opt[ItemList] = cat_field(DataCategory.COMMERCIAL, None)
    quantityList: Opt[QuantityList] = cat_field(DataCategory.COMMERCIAL, None)
    inputEPCList: Opt[ItemList] = cat_field(DataCategory.COMMERCIAL, None)
    outputEPCList: Opt[ItemList] = cat_field(DataCategory.COMMERCIAL, None)
    inputQuantityList: Opt[QuantityList] = cat_field(DataCategory.COMMERCIAL, None)
    outputQuantityList: Opt[QuantityList] = cat_field(DataCategory.COMMERCIAL, None)
    bizTransactionList: Opt[Annotated[list[BizTransaction], Field(min_length=1)]] = cat_field(
        DataCategory.COMMERCIAL, None
    )
    sourceList: Opt[Annotated[list[Source], Field(min_length=1)]] = cat_field(DataCategory.COMMERCIAL, None)
    destinationList: Opt[Annotated[list[Destination], Field(min_length=1)]] = cat_field(DataCategory.COMMERCIAL, None)
    # Pilot extension terms.
    hsCode: HsCode = cat_field(DataCategory.PUBLIC)
    sourceFacility: Opt[Uri] = cat_field(DataCategory.PUBLIC, None)

    @property
    def event_type(self) -> str:
        """``ObjectEvent`` or ``TransformationEvent``."""
        return self.type[0]

    @model_validator(mode="after")
    def _event_rules(self) -> TraceabilityEvent:
        if self.type not in (["ObjectEvent", "Event"], ["TransformationEvent", "Event"]):
            raise field_error(
                "type", f"expected ['ObjectEvent', 'Event'] or ['TransformationEvent', 'Event'], found {self.type}"
            )
        object_members = {"action": self.action, "epcList": self.epcList, "quantityList": self.quantityList}
        transformation_members = {
            "inputEPCList": self.inputEPCList,
            "outputEPCList": self.outputEPCList,
            "inputQuantityList": self.inputQuantityList,
            "outputQuantityList": self.outputQuantityList,
        }
        if self.event_type == "TransformationEvent":
            for name, value in object_members.items():
                if value is not None:
                    raise field_error(name, f"a TransformationEvent has no {name} (EPCIS 2.0); remove the member")
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
        for name, value in transformation_members.items():
            if value is not None:
                raise field_error(name, f"an ObjectEvent has no {name} (EPCIS 2.0); remove the member")
        if self.action is None:
            raise field_error("action", "an ObjectEvent needs an action: 'add', 'observe' or 'delete'")
        if not (self.epcList or self.quantityList):
            raise field_error("epcList", "an ObjectEvent needs a non-empty epcList or quantityList")
        return self


class DigitalTraceabilityEvent(UntpCredentialBase):
    """EPCIS events signed by the exporter whose lots they describe."""

    record_type = "DigitalTraceabilityEvent"
    credentialSubject: Annotated[list[TraceabilityEvent], Field(min_length=1, max_length=100)] = cat_field(
        DataCategory.PUBLIC
    )
