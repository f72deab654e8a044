"""The public log entry (docs/design.md §6): digests and codes only; its RFC 8785 bytes are the leaf."""

from __future__ import annotations

from typing import Literal

from schemas._internal.scalars import DateTime, Digest, ShortId, SubmissionId
from schemas.models.base import DataCategory, PilotModel, cat_field
from schemas.models.receipt import Decision

__all__ = ["LogEntry"]


class LogEntry(PilotModel):
    """One entry of a port's transparency log; nothing in it is confidential."""

    v: Literal[1] = cat_field(DataCategory.PUBLIC)
    exporter: ShortId = cat_field(DataCategory.PUBLIC)
    submissionId: SubmissionId = cat_field(DataCategory.PUBLIC)
    submissionDigest: Digest = cat_field(DataCategory.PUBLIC)
    decision: Decision = cat_field(DataCategory.PUBLIC)
    reasonCodes: list[str] = cat_field(DataCategory.PUBLIC)
    receivedAt: DateTime = cat_field(DataCategory.PUBLIC)
