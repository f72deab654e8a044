"""The submission receipt (docs/design.md §6): a port's signed decision with the proof of its log entry."""

from __future__ import annotations

from typing import Literal

from schemas._internal.scalars import B64Hash, DateTime, Did, Digest, NonNegativeInt, SubmissionId, Uri
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field
from schemas.models.credential import CredentialBase

__all__ = [
    "Decision",
    "LocalizedReason",
    "LogInclusion",
    "Reason",
    "ReceiptSubject",
    "StatusListReference",
    "SubmissionReceipt",
]

Decision = Literal["accepted", "rejected", "held_for_inspection"]


class LocalizedReason(PilotModel):
    """A reason's message and hint in the port's configured language (docs/design.md §6, "Languages").

    ``message`` is the reason's message translated; where the message has no translation (a schema
    validator's own wording), the title of its code in that language. ``hint`` says what the exporter can do
    (absent for a code without one). The reason's own ``message`` stays English.
    """

    lang: str = cat_field(DataCategory.PUBLIC, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$", max_length=35)
    message: str = cat_field(DataCategory.PUBLIC, max_length=4000)
    hint: Opt[str] = cat_field(DataCategory.PUBLIC, None, max_length=4000)


class Reason(PilotModel):
    """One reason for the decision: a stable code (docs/design.md §7), severity, JSON pointer, message.

    ``message`` is English; a port whose language is another adds ``localized`` (absent in English).
    """

    code: str = cat_field(DataCategory.PUBLIC, pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    severity: Literal["error", "warning"] = cat_field(DataCategory.PUBLIC)
    path: str = cat_field(DataCategory.PUBLIC, max_length=2048)
    message: str = cat_field(DataCategory.PUBLIC, max_length=4000)
    localized: Opt[LocalizedReason] = cat_field(DataCategory.PUBLIC, None)


class LogInclusion(PilotModel):
    """Where the submission's entry sits in the port's log, and a checkpoint-rooted inclusion proof."""

    origin: str = cat_field(DataCategory.PUBLIC, pattern=r"^[^\s]+$", max_length=256)
    index: NonNegativeInt = cat_field(DataCategory.PUBLIC)
    leafHash: B64Hash = cat_field(DataCategory.PUBLIC)
    checkpoint: str = cat_field(DataCategory.PUBLIC, min_length=1, max_length=100_000)
    inclusionProof: list[B64Hash] = cat_field(DataCategory.PUBLIC)


class StatusListReference(PilotModel):
    """A status list version the decision relied on (docs/design.md §12), so an auditor can re-check it."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    sequence: int = cat_field(DataCategory.PUBLIC, ge=1, le=2**53 - 1)
    digest: Digest = cat_field(DataCategory.PUBLIC)


class ReceiptSubject(PilotModel):
    """What the port received from whom, what it decided and why, and where it logged it."""

    submissionId: SubmissionId = cat_field(DataCategory.PUBLIC)
    submissionDigest: Digest = cat_field(DataCategory.PUBLIC)
    exporter: Did = cat_field(DataCategory.PUBLIC)
    decision: Decision = cat_field(DataCategory.PUBLIC)
    reasons: list[Reason] = cat_field(DataCategory.PUBLIC)
    receivedAt: DateTime = cat_field(DataCategory.PUBLIC)
    #: Every status list version the port checked a credential against; absent when none was checked.
    statusLists: Opt[list[StatusListReference]] = cat_field(DataCategory.PUBLIC, None, min_length=1)
    log: LogInclusion = cat_field(DataCategory.PUBLIC)


class SubmissionReceipt(CredentialBase):
    """A port authority's signed receipt for one submission."""

    record_type = "SubmissionReceipt"
    credentialSubject: ReceiptSubject = cat_field(DataCategory.PUBLIC)
