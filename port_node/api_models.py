"""Pydantic shapes of the port's request and response bodies, for validation and the OpenAPI document.

Receipts, log entries and submissions reuse the wire models of ``schemas.models``; the routes that
stream stored bytes (receipts, entries) declare these models for documentation only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from node_core.problems import ProblemDetails
from schemas.models.log import LogEntry
from schemas.models.receipt import Decision, Reason, SubmissionReceipt
from schemas.models.submission import Submission

__all__ = [
    "MAX_BATCH",
    "MAX_ENTRIES",
    "BatchRequest",
    "BatchResponse",
    "BatchResult",
    "ConsistencyProof",
    "InclusionProof",
    "LogEntries",
    "LogEntryItem",
    "Submission",
    "SubmissionReceipt",
    "SubmissionRecord",
]

#: docs/design.md §6: at most 1,000 submissions per batch and 1,000 entries per page.
MAX_BATCH = 1000
MAX_ENTRIES = 1000


class InclusionProof(BaseModel):
    """``GET /v1/log/proof/inclusion``: RFC 9162 audit path, leaf level first, base64 hashes."""

    index: int
    size: int
    proof: list[str]


class ConsistencyProof(BaseModel):
    """``GET /v1/log/proof/consistency``: RFC 9162 consistency proof, base64 hashes."""

    first: int
    second: int
    proof: list[str]


class LogEntryItem(BaseModel):
    """One leaf: its index and the entry whose RFC 8785 bytes are the leaf input."""

    index: int
    entry: LogEntry


class LogEntries(BaseModel):
    """``GET /v1/log/entries``."""

    entries: list[LogEntryItem]


class BatchRequest(BaseModel):
    """``POST /v1/submissions:batch``: up to 1,000 submissions, each decided on its own, committed in groups."""

    model_config = ConfigDict(extra="forbid")

    submissions: list[Any] = Field(max_length=MAX_BATCH, description="Submissions, each shaped as ``Submission``")


class BatchResult(BaseModel):
    """One item's answer: the status it would have had alone and its receipt, or a problem."""

    status: int
    receipt: SubmissionReceipt | None = None
    problem: ProblemDetails | None = None


class BatchResponse(BaseModel):
    """``POST /v1/submissions:batch`` results, in request order."""

    results: list[BatchResult]


class SubmissionRecord(BaseModel):
    """``GET /v1/submissions/{id}``: what the port stored about a submission."""

    submissionId: str
    exporter: str
    submissionDigest: str
    decision: Decision
    reasonCodes: list[str]
    reasons: list[Reason]
    receivedAt: str
    logIndex: int
    contentStored: bool = Field(description="False when the port may not keep the content (docs/design.md §8)")
    submission: dict[str, Any] | None = Field(description="The submission as received, when it is kept")
