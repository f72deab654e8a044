"""Intake of one parsed submission from an authenticated exporter: idempotency, assessment, storage.

Order (docs/design.md §6), each step reading only what the step before verified; the HTTP
layer has already applied the size limit, checked the request signature and parsed the body strictly:

1. canonical bytes, digest and submission id, computed once (a value RFC 8785 refuses is
   ``JSON_MALFORMED``);
2. an identical earlier submission answers with its stored receipt (200), another one with the same
   ``(exporter, submissionId)`` is ``409 DUPLICATE_CONFLICT``;
3. ``schemas.assess.assess_submission``: the whole verification and policy decision, pure;
4. the row, the log leaf, the checkpoint and the signed receipt in one write (``port_node.storage``),
   committed with the other submissions waiting at that moment (group commit). ``submit_many`` (a batch)
   decides every item first and hands the new ones to the store together.

Whatever the decision, the submission gets a receipt and a log entry: rejections are part of the trail.
The receipt's subject is made once (``schemas.receipt.receipt_subject``), and the log entry is derived
from it by the very function verifiers use to rebuild it (``log_entry_of``). Content is kept only when
every field of every credential could be classified and every category is permitted, whatever the
verification outcome (``Assessment.may_store_content``, docs/design.md §8): a field the schema does not
know cannot be classified, so it is not kept either. The receipt carries the capped reasons
(``Assessment.receipt_reasons``) and the log entry their codes, so one request bounds what it makes the
port sign and write. Inspection sampling uses the port's key of the receive day (``port_node.sampling``),
which only the port knows until the day is over. Every credential's status is checked at the receive time
through the ``status`` lookup (docs/design.md §12): a revoked or suspended credential rejects, a status that
cannot be established holds (``STATUS_UNAVAILABLE``), and the receipt names the status list versions the
decision relied on (``statusLists``), nothing else about them being stored.

Sealed credentials (docs/design.md §§4, 8) are opened with the port's ``keyAgreement`` keys as held now
(``agreement_keys``, ``port_node.agreement_keys``: a key destroyed a moment ago opens nothing; the keys are
fetched only when a sealed credential asks for one, ``KeysOnDemand``) and judged like clear ones. The port
stores what it received: the row's content is the canonical bytes of the submission as sent, the sealed
credentials in their sealed form, and never the plaintext; the receipt, the log entry and the log lines
carry digests, codes and JSON pointers only.

The service depends on a ``SubmissionStore`` protocol and a ``TrustSource``, not on the database: the
port wires in its SQL store and ``TrustHolder``; the stand-ins of the tests and the conformance kit wire
in ``port_node.memory_store`` and a ``StaticTrust``, and so decide exactly as the port does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from node_core.catalogues import DOMAIN
from node_core.i18n import messages, reason_in
from node_core.languages import DEFAULT_LANGUAGE, Language
from node_core.problems import ProblemError
from port_node.agreement_keys import AgreementKeySource, KeysOnDemand
from port_node.keys import PortKeys
from port_node.sampling import SamplingKeys
from port_node.storage import PendingWrite, SubmissionRow, SubmissionStore
from schemas.assess import Assessment, assess_submission, submission_id_of
from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import sha256_digest
from schemas.errors import CanonicalizationError
from schemas.phrase import Phrase
from schemas.receipt import LogPosition, build_receipt, leaf_input_of, log_entry_of, receipt_subject
from schemas.status_list import StatusLookup
from schemas.trust import TrustRegistry

__all__ = ["Assessor", "IntakeOutcome", "IntakeService", "StaticTrust", "TrustSource"]

log = logging.getLogger(__name__)

#: Decides one submission; ``schemas.assess.assess_submission`` unless a stand-in is faulty on purpose.
Assessor = Callable[..., Assessment]


class TrustSource(Protocol):
    """Where intake gets the trust list it judges with (``node_core.trust_holder.TrustHolder`` in a port)."""

    def current(self) -> TrustRegistry:
        """The trust list held now; ``ProblemError`` when there is none to judge with."""
        ...


@dataclass(frozen=True)
class StaticTrust:
    """A trust list that never changes, for ports stood up by tests and the conformance kit."""

    registry: TrustRegistry

    def current(self) -> TrustRegistry:
        """The one trust list."""
        return self.registry


@dataclass(frozen=True)
class IntakeOutcome:
    """The answer to one submission: 201 (new) or 200 (identical resubmission) and the receipt bytes."""

    status: int
    receipt: bytes
    stored: SubmissionRow


def duplicate_conflict(exporter: str, submission_id: str) -> ProblemError:
    """409 for the same ``(exporter, submissionId)`` with other content."""
    return ProblemError(
        Code.DUPLICATE_CONFLICT,
        Phrase(
            "{exporter} already submitted {submission} with other content", exporter=exporter, submission=submission_id
        ),
        status=409,
        extra={"submissionId": submission_id},
    )


@dataclass(eq=False, repr=False)
class IntakeService:
    """Decides and records submissions for one port."""

    port_id: str
    keys: PortKeys
    trust: TrustSource
    store: SubmissionStore
    #: The port's sampling day keys; None only in tests and stand-ins that never sample.
    sampling: SamplingKeys | None = None
    _: KW_ONLY
    #: Where credentials' status lists come from; None only for a stand-in that ignores status on purpose.
    status: StatusLookup | None
    assess: Assessor = assess_submission
    #: The private keys that open credentials sealed to this port; None: it holds none (a sealed
    #: credential is then ``SEALED_KEY_UNKNOWN``).
    agreement_keys: AgreementKeySource | None = None
    #: The port's language (``PILOT_LANGUAGE``): a receipt's reasons carry their message and hint in it
    #: (``localized``) beside the English message; English adds nothing (docs/design.md §6, "Languages").
    language: Language = DEFAULT_LANGUAGE
    #: Called with every answered submission (metrics).
    observers: list[Callable[[IntakeOutcome], None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        messages(DOMAIN, self.language)  # read the catalogue now, not on the first rejection

    def submit(self, document: Any, exporter: str, received_at: datetime) -> IntakeOutcome:
        """Decide and record one parsed submission sent by ``exporter`` at ``received_at``.

        Raises ``ProblemError``: JSON_MALFORMED (400) for a value RFC 8785 cannot represent,
        DUPLICATE_CONFLICT (409), TRUST_LIST_STALE (503) when no trust list is held.
        """
        decided = self._decide(document, exporter, received_at)
        if isinstance(decided, IntakeOutcome):
            return decided
        return self._answer(
            self.store.store(decided.row, decided.leaf_input, decided.build_receipt), decided.row.digest
        )

    def submit_many(
        self, documents: Sequence[Any], exporter: str, received_at: datetime
    ) -> list[IntakeOutcome | ProblemError]:
        """``submit`` for each document, in order: all decided first, the new ones then logged in groups.

        A document refused with a 4xx gets its ``ProblemError`` in its place, and so does one whose write
        failed (503). A 5xx while deciding (no trust list) is raised at once, before anything is written.
        """
        decided: list[IntakeOutcome | ProblemError | PendingWrite] = []
        for document in documents:
            try:
                decided.append(self._decide(document, exporter, received_at))
            except ProblemError as exc:
                if exc.status >= 500:
                    raise
                decided.append(exc)
        stored = iter(self.store.store_many([item for item in decided if isinstance(item, PendingWrite)]))
        answers: list[IntakeOutcome | ProblemError] = []
        for item in decided:
            if not isinstance(item, PendingWrite):
                answers.append(item)
                continue
            row = next(stored)
            try:
                answers.append(row if isinstance(row, ProblemError) else self._answer(row, item.row.digest))
            except ProblemError as exc:
                answers.append(exc)
        return answers

    def _decide(self, document: Any, exporter: str, received_at: datetime) -> IntakeOutcome | PendingWrite:
        """The answer when the submission is known already; else the write that logs it (steps 1 to 3)."""
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
        assessment = self.assess(
            document,
            trust,
            port_id=self.port_id,
            at=received_at,
            exporter_id=exporter,
            sampling_key=self.sampling.key_for(received_at) if self.sampling is not None else None,
            submission_digest=digest,
            status=self.status,
            agreement_keys=KeysOnDemand(self.agreement_keys) if self.agreement_keys is not None else None,
        )
        subject = receipt_subject(
            submission_id=assessment.submission_id,
            submission_digest=assessment.submission_digest,
            exporter_id=exporter,
            decision=assessment.decision,
            reasons=[reason_in(p, self.language) for p in assessment.receipt_reasons],
            received_at=received_at,
            status_lists=assessment.status_lists,
        )
        entry = log_entry_of(exporter, subject)
        row = SubmissionRow.pending(entry, received_at, content if assessment.may_store_content else None)
        participant = trust.participant(self.port_id)
        port_name = participant.name if participant is not None else self.port_id

        def receipt_at(position: LogPosition) -> bytes:
            return build_receipt(subject, position, key=self.keys.assertion, port_id=self.port_id, port_name=port_name)

        return PendingWrite(row, leaf_input_of(entry), receipt_at)

    def _answer(self, stored: SubmissionRow, digest: str) -> IntakeOutcome:
        """201 for the row just logged; an earlier one's receipt (200) or DUPLICATE_CONFLICT otherwise."""
        if not stored.created:
            return self._answer_existing(stored, digest)
        log.info(
            "submission logged",
            extra={
                "exporter": stored.exporter,
                "submission_id": stored.submission_id,
                "decision": stored.decision,
                "reason_codes": stored.reason_codes,
                "leaf_index": stored.leaf_index,
            },
        )
        return self._notify(IntakeOutcome(201, stored.receipt, stored))

    def _answer_existing(self, stored: SubmissionRow, digest: str) -> IntakeOutcome:
        if stored.digest != digest:
            raise duplicate_conflict(stored.exporter, stored.submission_id)
        return self._notify(IntakeOutcome(200, stored.receipt, stored))

    def _notify(self, outcome: IntakeOutcome) -> IntakeOutcome:
        for observer in self.observers:
            observer(outcome)
        return outcome
