"""The W3C Verifiable Credentials 2.0 envelope shared by every pilot record type.

A record type subclasses :class:`CredentialBase`, names itself in ``record_type`` and narrows
``credentialSubject``; the envelope checks ``@context``, ``type``, the issuer and the validity period.

Two families (docs/design.md §4):

- UNTP 0.6.1 types (DigitalFacilityRecord, DigitalTraceabilityEvent, DigitalConformityCredential) take
  UNTP's order: ``type`` = ``[<record type>, "VerifiableCredential"]`` and ``@context`` = W3C credentials
  v2, the UNTP 0.6.1 context of the type, then the pilot's extension context; the issuer is a UNTP
  ``CredentialIssuer``.
- The pilot's own types (VeterinaryAttestation, ConsignmentManifest, SubmissionReceipt) have
  ``type`` = ``["VerifiableCredential", <record type>]`` and ``@context`` = W3C credentials v2, then the
  pilot's context, which defines every one of their terms.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, model_validator

from schemas._internal.scalars import DateTime, Did, Text, Uri
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field, check_type, field_error

__all__ = [
    "PILOT_CONTEXT",
    "PILOT_CONTEXTS",
    "PILOT_VOCAB",
    "UNTP_CONTEXTS",
    "UNTP_VERSION",
    "VC_CONTEXT",
    "CredentialBase",
    "CredentialIssuer",
    "Issuer",
    "StatusListEntry",
    "StatusPurpose",
    "UntpCredentialBase",
    "record_contexts",
    "record_types",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PILOT_CONTEXT = "https://pilot.example/ns/agri-export/v1"
#: The IRI prefix of the pilot's extension vocabulary (terms of ``PILOT_CONTEXT``).
PILOT_VOCAB = PILOT_CONTEXT + "#"
#: The ``@context`` of the pilot's own record types.
PILOT_CONTEXTS: tuple[str, str] = (VC_CONTEXT, PILOT_CONTEXT)
#: The UNTP release the records follow.
UNTP_VERSION = "0.6.1"
#: The UNTP context URL of each UNTP record type (the URL a 0.6.1 credential names).
UNTP_CONTEXTS: dict[str, str] = {
    "DigitalFacilityRecord": f"https://test.uncefact.org/vocabulary/untp/dfr/{UNTP_VERSION}/",
    "DigitalTraceabilityEvent": f"https://test.uncefact.org/vocabulary/untp/dte/{UNTP_VERSION}/",
    "DigitalConformityCredential": f"https://test.uncefact.org/vocabulary/untp/dcc/{UNTP_VERSION}/",
}


def record_contexts(record_type: str) -> list[str]:
    """The exact ``@context`` a record of ``record_type`` carries."""
    untp = UNTP_CONTEXTS.get(record_type)
    return [VC_CONTEXT, untp, PILOT_CONTEXT] if untp else list(PILOT_CONTEXTS)


def record_types(record_type: str) -> list[str]:
    """The exact ``type`` a record of ``record_type`` carries (UNTP's order for UNTP types)."""
    if record_type in UNTP_CONTEXTS:
        return [record_type, "VerifiableCredential"]
    return ["VerifiableCredential", record_type]


#: The purposes the pilot uses (the specification allows others; the pilot's lists have one each).
StatusPurpose = Literal["revocation", "suspension"]

#: ``statusListIndex``: an integer >= 0 written in base 10, as the specification requires (no sign, no
#: leading zero).
_INDEX_PATTERN = r"^(0|[1-9][0-9]{0,9})$"


class StatusListEntry(PilotModel):
    """One ``credentialStatus`` entry: where this credential's bit for one purpose lives."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    type: Literal["BitstringStatusListEntry"] = cat_field(DataCategory.PUBLIC)
    statusPurpose: StatusPurpose = cat_field(DataCategory.PUBLIC)
    statusListIndex: str = cat_field(DataCategory.PUBLIC, pattern=_INDEX_PATTERN)
    statusListCredential: Uri = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _check_id(self) -> StatusListEntry:
        # The specification: the entry's id "MUST NOT be the URL for the status list".
        if self.id == self.statusListCredential:
            raise field_error("id", "the entry's id must not be the status list credential's URL")
        return self


class Issuer(PilotModel):
    """The issuer of a pilot credential: its DID and display name."""

    id: Did = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)


class CredentialIssuer(PilotModel):
    """The issuer of a UNTP credential (UNTP ``CredentialIssuer``): its DID and display name."""

    type: list[Literal["CredentialIssuer"]] = cat_field(DataCategory.PUBLIC, min_length=1, max_length=1)
    id: Did = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)


def _envelope_schema(schema: dict[str, Any], cls: type[Any]) -> None:
    record_type = getattr(cls, "record_type", "")
    if record_type:
        types = record_types(record_type)
        schema["properties"]["type"] = {
            "type": "array",
            "prefixItems": [{"const": name} for name in types],
            "items": False,
            "minItems": len(types),
            "x-data-category": DataCategory.PUBLIC.value,
        }
        contexts = record_contexts(record_type)
        schema["properties"]["@context"] = {
            "type": "array",
            "prefixItems": [{"const": url} for url in contexts],
            "items": False,
            "minItems": len(contexts),
            "x-data-category": DataCategory.PUBLIC.value,
        }


class CredentialBase(PilotModel):
    """A VC 2.0 credential with an embedded proof (or none yet); every envelope field is public."""

    model_config = ConfigDict(json_schema_extra=_envelope_schema)

    #: The record type named in ``type``; set by each subclass.
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
    credentialStatus: Opt[list[StatusListEntry]] = cat_field(DataCategory.PUBLIC, None, min_length=1, max_length=2)
    proof: Opt[dict[str, Any]] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _check_envelope(self) -> CredentialBase:
        if self.context[0] != VC_CONTEXT:
            raise field_error("@context/0", f"the first @context must be {VC_CONTEXT!r}, found {self.context[0]!r}")
        if self.record_type:
            _check_record_envelope(self)
        elif self.type[0] != "VerifiableCredential":
            raise field_error("type/0", f"the first type must be 'VerifiableCredential', found {self.type[0]!r}")
        if self.validUntil is not None and self.validUntil <= self.validFrom:
            raise field_error("validUntil", "validUntil must be later than validFrom")
        if self.credentialStatus is not None:
            purposes = [entry.statusPurpose for entry in self.credentialStatus]
            if len(set(purposes)) != len(purposes):
                raise field_error("credentialStatus", "at most one status entry per statusPurpose")
        return self


def _check_record_envelope(credential: CredentialBase) -> None:
    record_type = credential.record_type
    check_type(credential.type, record_types(record_type))
    expected_contexts = record_contexts(record_type)
    for index, url in enumerate(expected_contexts):
        found = credential.context[index] if index < len(credential.context) else None
        if found != url:
            what = "the UNTP 0.6.1 context of the type" if url in UNTP_CONTEXTS.values() else "this context"
            raise field_error(
                f"@context/{index}",
                f"@context[{index}] must be {url!r} ({what}), found {found!r}"
                if found is not None
                else f"@context[{index}] must be {url!r} ({what}); it is missing",
            )
    if len(credential.context) > len(expected_contexts):
        raise field_error(
            f"@context/{len(expected_contexts)}",
            f"a {record_type} carries exactly {len(expected_contexts)} contexts; remove the extra ones",
        )


class UntpCredentialBase(CredentialBase):
    """A credential of a UNTP 0.6.1 type: its issuer is a ``CredentialIssuer``."""

    issuer: CredentialIssuer = cat_field(DataCategory.PUBLIC)  # type: ignore[assignment]
