"""The W3C Verifiable Credentials 2.0 envelope shared by every pilot record type.

A record type subclasses :class:`CredentialBase`, names itself in ``record_type`` and narrows
``credentialSubject``; the envelope checks ``@context``, ``type`` and the validity period.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, model_validator

from schemas._models.base import DataCategory, Opt, PilotModel, cat_field, field_error
from schemas._models.scalars import DateTime, Did, Text, Uri, format_datetime

__all__ = ["PILOT_CONTEXT", "PILOT_CONTEXTS", "VC_CONTEXT", "CredentialBase", "Issuer"]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PILOT_CONTEXT = "https://pilot.example/ns/agri-export/v1"
#: The ``@context`` every pilot record carries.
PILOT_CONTEXTS: tuple[str, str] = (VC_CONTEXT, PILOT_CONTEXT)


class Issuer(PilotModel):
    """The issuer of a credential: its DID and display name."""

    id: Did = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)


def _envelope_schema(schema: dict[str, Any], cls: type[Any]) -> None:
    record_type = getattr(cls, "record_type", "")
    if record_type:
        schema["properties"]["type"] = {
            "type": "array",
            "prefixItems": [{"const": "VerifiableCredential"}, {"const": record_type}],
            "items": False,
            "minItems": 2,
            "x-data-category": DataCategory.PUBLIC.value,
        }


class CredentialBase(PilotModel):
    """A VC 2.0 credential with an embedded proof (or none yet); every envelope field is public."""

    model_config = ConfigDict(json_schema_extra=_envelope_schema)

    #: The record type named after "VerifiableCredential" in ``type``; set by each subclass.
    record_type: ClassVar[str] = ""

    context: list[Uri] = cat_field(
        DataCategory.PUBLIC,
        alias="@context",
        min_length=1,
        json_schema_extra={"prefixItems": [{"const": VC_CONTEXT}]},
    )
    id: Uri = cat_field(DataCategory.PUBLIC)
    type: list[Text] = cat_field(DataCategory.PUBLIC, min_length=1)
    issuer: Issuer = cat_field(DataCategory.PUBLIC)
    validFrom: DateTime = cat_field(DataCategory.PUBLIC)
    validUntil: Opt[DateTime] = cat_field(DataCategory.PUBLIC, None)
    credentialSubject: Any = cat_field(DataCategory.PUBLIC)
    proof: Opt[dict[str, Any]] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _check_envelope(self) -> CredentialBase:
        if self.context[0] != VC_CONTEXT:
            raise field_error(
                "@context/0", f"the first @context must be {VC_CONTEXT!r}, found {self.context[0]!r}"
            )
        expected = ["VerifiableCredential", self.record_type] if self.record_type else None
        if expected is not None and self.type != expected:
            raise field_error("type", f"expected type {expected}, found {self.type}")
        if expected is None and self.type[0] != "VerifiableCredential":
            raise field_error(
                "type/0", f"the first type must be 'VerifiableCredential', found {self.type[0]!r}"
            )
        if self.validUntil is not None and self.validUntil <= self.validFrom:
            raise field_error(
                "validUntil",
                f"validUntil ({format_datetime(self.validUntil)}) must be later than "
                f"validFrom ({format_datetime(self.validFrom)})",
            )
        return self
