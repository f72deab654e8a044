"""Intake of one parsed submission from an authenticated exporter: idempotency, assessment, storage.

Order (DESIGN section 6, issue 3), each step reading only what the step before verified; the HTTP
layer has already applied the size limit, checked the request signature and parsed the body strictly:

1. canonical bytes and digest of the submission (a value RFC 8785 refuses is ``JSON_MALFORMED``);
2. an identical earlier submission answers with its stored receipt (200), another one with the same
   ``(exporter, submissionId)`` is ``409 DUPLICATE_CONFLICT``;
3. ``schemas._assess.assess_submission``: the whole verification and policy decision, pure;
4. the row, the log leaf, the checkpoint and the signed receipt in one transaction (``storage``).

Whatever the decision, the submission gets a receipt and a log entry: rejections are part of the trail.
Content is kept only when every field of every credential could be classified and every category is
permitted, whatever the verification outcome (``Assessment.may_store_content``, DESIGN section 8): a
field the schema does not know cannot be classified, so it is not kept either. The receipt carries the
capped reasons (``Assessment.receipt_reasons``) and the log entry their codes, so one request bounds
what it makes the port sign and write. Inspection sampling uses the port's key of the receive day
(``port_node.sampling``), which only the port knows until the day is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from port_node.keys import PortKeys
from port_node.log import leaf_input_of, log_entry
from port_node.receipts import LogPosition, build_receipt
from port_node.sampling import SamplingKeys
from port_node.storage import PreparedSubmission, StoredSubmission, SubmissionStore
from schemas._assess import assess_submission, submission_id_of
from schemas._canonical import canonicalize
from schemas._digest import sha256_digest
from schemas._time import format_time
from schemas.codes import Code
from schemas.errors import CanonicalizationError

__all__ = ["IntakeOutcome", "IntakeService"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeOutcome:
    """The answer to one submission: 201 (new) or 200 (identical resubmission) and the receipt bytes."""

    status: int
    receipt: bytes
    stored: StoredSubmission


def duplicate_conflict(exporter: str, submission_id: str) -> ProblemError:
    """409 for the same ``(exporter, submissionId)`` with other content."""
    return ProblemError(
        Code.DUPLICATE_CONFLICT,
        f"{exporter} already submitted {submission_id} with other content",
        status=409,
        extra={"submissionId": submission_id},
    )


class IntakeService:
    """Decides and records submissions for one port."""

    def __init__(
        self,
        port_id: str,
        keys: PortKeys,
        trust: TrustHolder,
        store: SubmissionStore,
        sampling: SamplingKeys | None = None,
    ) -> None:
        self.port_id = port_id
        self.keys = keys
        self.trust = trust
        self.store = store
        #: The port's sampling day keys; None only in tests that never sample.
        self.sampling = sampling
        #: Called with every answered submission (metrics).
        self.observers: list[Callable[[IntakeOutcome], None]] = []

    def submit(self, document: Any, exporter: str, received_at: datetime) -> IntakeOutcome:
        """Decide and record one parsed submission sent by ``exporter`` at ``received_at``.

        Raises ``ProblemError``: JSON_MALFORMED (400) for a value RFC 8785 cannot represent,
        DUPLICATE_CONFLICT (409), TRUST_LIST_STALE (503) when no trust list is held.
        """
        try:
            content = canonicalize(document)
        except CanonicalizationError as exc:
            raise ProblemError(Code.JSON_MALFORMED, str(exc), status=400) from exc
        digest = sha256_digest(content)
        submission_id = submission_id_of(document, digest)

        earlier = self.store.find(exporter, submission_id)
        if earlier is not None:
            return self._answer_existing(earlier, digest)

        trust = self.trust.current()
        assessment = assess_submission(
            document,
            trust,
            port_id=self.port_id,
            at=received_at,
            exporter_id=exporter,
            sampling_key=self.sampling.key_for(received_at) if self.sampling is not None else None,
        )
        reasons = [p.as_dict() for p in assessment.receipt_reasons]
        reason_codes = assessment.receipt_reason_codes
        keep = assessment.may_store_content
        received = format_time(received_at)
        entry = log_entry(
            exporter=exporter,
            submission_id=assessment.submission_id,
            submission_digest=assessment.submission_digest,
            decision=assessment.decision,
            reason_codes=reason_codes,
            received_at=received,
        )
        prepared = PreparedSubmission(
            exporter=exporter,
            submission_id=assessment.submission_id,
            digest=assessment.submission_digest,
            decision=assessment.decision,
            reason_codes=reason_codes,
            reasons=reasons,
            received_at=received_at,
            content=content if keep else None,
            leaf_input=leaf_input_of(entry),
        )
        participant = trust.participant(self.port_id) or {}
        port_name = str(participant.get("name", self.port_id))

        def receipt_for(p: PreparedSubmission, position: LogPosition) -> bytes:
            return build_receipt(
                self.keys,
                port_name,
                submission_id=p.submission_id,
                submission_digest=p.digest,
                exporter_id=p.exporter,
                decision=p.decision,
                reasons=p.reasons,
                received_at=p.received_at,
                position=position,
            )

        stored = self.store.store(prepared, receipt_for)
        if not stored.created:
            return self._answer_existing(stored, digest)
        log.info(
            "submission logged",
            extra={
                "exporter": exporter,
                "submission_id": stored.submission_id,
                "decision": stored.decision,
                "reason_codes": stored.reason_codes,
                "leaf_index": stored.leaf_index,
            },
        )
        return self._notify(IntakeOutcome(201, stored.receipt, stored))

    def _answer_existing(self, stored: StoredSubmission, digest: str) -> IntakeOutcome:
        if stored.digest != digest:
            raise duplicate_conflict(stored.exporter, stored.submission_id)
        return self._notify(IntakeOutcome(200, stored.receipt, stored))

    def _notify(self, outcome: IntakeOutcome) -> IntakeOutcome:
        for observer in self.observers:
            observer(outcome)
        return outcome
