"""Pydantic shapes of the exporter's request and response bodies, for the OpenAPI document and responses.

Request bodies are parsed strictly (``schemas.jsonio``) and validated in the modules that own them
(farms against the UNTP ``Facility``, lots against the manifest's ``Lot``), so that bad input is refused
with the wire contract's codes; these models document them. Times are RFC 3339 strings in UTC.

A response model is filled from a stored row by ``from_row``: each field from the column of the same
name in snake_case (``submissionDigest`` from ``submission_digest``), times as RFC 3339 text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from schemas.models.facility import Facility
from schemas.models.manifest import Lot
from schemas.time import format_time

__all__ = [
    "AttemptView",
    "ConsignmentSummary",
    "ConsignmentView",
    "CredentialView",
    "DeliveryState",
    "Facility",
    "FacilityView",
    "Lot",
    "OutboxItem",
    "SealedCredentialView",
    "time_or_none",
]

DeliveryState = Literal["pending", "delivered", "delivered_with_warnings", "failed"]


def time_or_none(value: datetime | None) -> str | None:
    """RFC 3339 UTC text of ``value``."""
    return format_time(value) if value is not None else None


_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def _column_of(field: str) -> str:
    """The stored column a response field shows: its name in snake_case (``httpStatus``: ``http_status``)."""
    return _WORD_START.sub("_", field).lower()


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_row(cls, row: Mapping[str, Any], **values: Any) -> Self:
        """The view of a stored row: ``values`` as given, every other field from its column, times as text."""
        shown: dict[str, Any] = {}
        for name in cls.model_fields:
            column = _column_of(name)
            if name not in values and column in row:
                value = row[column]
                shown[name] = format_time(value) if isinstance(value, datetime) else value
        return cls(**shown, **values)


class FacilityView(_View):
    """A registered farm or plant and the signed DigitalFacilityRecord issued for it."""

    id: str
    facilityType: str
    establishmentNumber: str
    region: str
    credentialId: str
    digest: str
    credential: dict[str, Any]
    sealedTo: str | None = Field(
        default=None,
        description="held only sealed: the keyAgreement key id of the port it was sent sealed to (the plaintext "
        "is discarded once that consignment is delivered; credential is then the sealed form)",
    )
    sealedIn: str | None = Field(default=None, description="held only sealed: the consignment that sent it sealed")
    sealedAt: str | None = Field(default=None, description="held only sealed: when the plaintext was discarded")


class CredentialView(_View):
    """An imported credential (verified on import)."""

    id: str
    type: str
    issuer: str = Field(description="the issuer's short id")
    digest: str
    assessedFacility: str | None
    establishmentNumber: str | None
    validUntil: str | None
    credential: dict[str, Any]
    sealedTo: str | None = Field(
        default=None,
        description="held only sealed: the keyAgreement key id of the port it was sent sealed to (the plaintext "
        "is discarded once that consignment is delivered; credential is then the sealed form)",
    )
    sealedIn: str | None = Field(default=None, description="held only sealed: the consignment that sent it sealed")
    sealedAt: str | None = Field(default=None, description="held only sealed: when the plaintext was discarded")
    warnings: list[dict[str, str]] = Field(default_factory=list, description="warning-level findings on import")


class AttemptView(_View):
    """One delivery attempt."""

    number: int
    startedAt: str
    finishedAt: str
    outcome: str = Field(description="retry, failed, receipt_failed, gave_up, delivered, delivered_with_warnings")
    httpStatus: int | None
    code: str | None
    detail: str | None


class ConsignmentSummary(_View):
    """A consignment's delivery state and the port's decision."""

    id: str
    destination: str
    state: DeliveryState
    submissionDigest: str
    raw: bool = Field(description="queued as-is through POST /v1/consignments:raw")
    decision: str | None
    reasons: list[dict[str, Any]] | None
    failureCode: str | None
    failureDetail: str | None
    attempts: int
    createdAt: str
    updatedAt: str
    finishedAt: str | None


class SealedCredentialView(_View):
    """A credential a consignment sends sealed to its destination (docs/design.md §6)."""

    position: int = Field(description="its index in the submission's credentials")
    credentialId: str
    digest: str = Field(description="the plaintext credential's digest, the one the manifest pins")
    kid: str = Field(description="the destination's keyAgreement key id it is sealed to")


class ConsignmentView(ConsignmentSummary):
    """A consignment with its receipt, every delivery attempt and the credentials it sends sealed."""

    receipt: dict[str, Any] | None
    attemptLog: list[AttemptView]
    sealedCredentials: list[SealedCredentialView] = Field(default_factory=list)


class OutboxItem(_View):
    """A consignment still to deliver."""

    consignmentId: str
    destination: str
    attempts: int
    nextAttemptAt: str
    createdAt: str
    lastError: str | None
