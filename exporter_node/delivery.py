"""The delivery worker: sends queued consignments to their ports, at least once, and checks every receipt.

It runs as one asyncio task of the app (``exporter_node.background.WakeableLoop``, started by the
lifespan) and works from the ``outbox`` table, so it resumes after a restart with whatever was not
finished. Rules (docs/design.md §6):

- Every request is RFC 9421-signed afresh with the exporter's newest published ``authentication`` key;
  the body is the exact submission text stored at queueing time, so a resend is an identical
  resubmission (the port answers ``200`` with the same receipt and adds no log entry).
- At most ``per_port`` requests in flight per port.
- ``201``/``200``: the receipt is verified (``receipt_check``), then the checkpoint's consistency with
  the largest one seen from that port (fetching ``GET /v1/log/proof/consistency``). Verified ->
  ``delivered`` or ``delivered_with_warnings``, the decision and reasons kept beside. Failed ->
  ``failed`` with ``RECEIPT_INVALID`` or ``CHECKPOINT_INCONSISTENT``, logged at ERROR, never delivered.
- ``400 401 403 409 413 422`` and other 4xx: final, ``failed`` with the problem's ``code``.
- ``429``, 5xx, transport errors, timeouts, an unknown peer URL, no trust list, a proof the port could
  not serve: retried with exponential backoff and jitter from ``retry_base_s``; once ``give_up_s`` has
  passed since queueing, ``failed`` with ``DELIVERY_GAVE_UP``.
- Every attempt is recorded with its time, outcome, HTTP status and code.
- Once a receipt verified, the exporter keeps only the sealed form of the credentials the consignment sent
  sealed: ``storage.finish`` replaces their plaintext in its records in the same transaction
  (``exporter_node.storage``, docs/design.md §6). Until then (retries, a final refusal, a receipt that
  failed its checks) the plaintext stays, so that the consignment can be built again.
- The port is reached through ``node_core.port_client.PortClient``, which maps every answer at the
  boundary: ``PeerUnavailable`` is retried, ``PeerRefused`` is final, and what it reads is bounded
  (docs/reliability.md, attack 11): at most ``MAX_ANSWER_BYTES`` of an answer's body, streamed and never decoded,
  within ``ANSWER_DEADLINE_S`` for the whole answer (a timeout: retried). A ``201``/``200`` body beyond
  the bound is a receipt that cannot be verified, so ``failed`` with ``RECEIPT_INVALID``; a 4xx beyond it
  is ``failed`` with ``HTTP_<status>`` (its problem code unread); a ``429``/5xx is retried. A consistency
  proof beyond the bound, malformed, refused (4xx) or answered with an unexpected status is
  ``CHECKPOINT_INCONSISTENT``.

The worker only schedules and records. What it does with an answer is passed in, never patched in:
``receipt_verifier`` (``receipt_check.check_receipt``), ``consistency_checker``
(``receipt_check.check_consistency``) and ``backoff`` (``backoff_delay``); the conformance kit's faulty
stand-ins pass deliberately unsafe ones (``pilot.conformance.standins``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypedDict

import httpx

from exporter_node.background import WakeableLoop
from exporter_node.errors import CheckpointInconsistentError, ReceiptCheckError, ReceiptInvalidError
from exporter_node.identity import NodeIdentity
from exporter_node.receipt_check import ExpectedReceipt, check_consistency, check_receipt
from exporter_node.state import ExporterNode
from exporter_node.storage import PENDING, Attempt, DueItem, KnownCheckpoint
from node_core.http_signatures import RequestSigner
from node_core.metrics import Metrics
from node_core.network import NetworkFileError, UnknownPeerError
from node_core.port_client import (
    DEFAULT_TIMEOUT,
    PeerAnswerInvalid,
    PeerRefused,
    PeerUnavailable,
    PortClient,
)
from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.receipt import VerifiedReceipt
from schemas.signed_note import Checkpoint
from schemas.trust import TrustRegistry

__all__ = [
    "DEFAULT_PER_PORT",
    "Backoff",
    "ConsistencyChecker",
    "DeliveryWorker",
    "ReceiptVerifier",
    "WorkerOptions",
    "backoff_delay",
]

log = logging.getLogger("exporter_node.delivery")

DEFAULT_PER_PORT = 8
MAX_BACKOFF_FACTOR = 64
#: How long ``stop`` lets the loop's round in progress go on before cancelling it.
STOP_GRACE_S = 2.0


def backoff_delay(base_s: float, attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with "equal jitter": half of ``base * 2**(n-1)`` fixed, half random, capped."""
    ceiling = base_s * float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_FACTOR))
    return ceiling / 2 + ceiling / 2 * rng()


class ReceiptVerifier(Protocol):
    """Checks a port's receipt (``receipt_check.check_receipt``); ReceiptCheckError when it does not count."""

    def __call__(
        self, body: bytes, expected: ExpectedReceipt, trust: TrustRegistry, at: datetime, *, clock_skew: timedelta
    ) -> VerifiedReceipt: ...


#: Checks a new checkpoint against the largest seen, with the port's proof (``receipt_check.check_consistency``).
ConsistencyChecker = Callable[[KnownCheckpoint, Checkpoint, Sequence[bytes]], None]
#: Seconds to wait after the ``attempts``-th failed attempt: ``(retry_base_s, attempts, rng)`` (``backoff_delay``).
Backoff = Callable[[float, int, Callable[[], float]], float]


class WorkerOptions(TypedDict, total=False):
    """The worker's replaceable policies, as ``create_app`` passes them on (the kit's faulty stand-ins)."""

    receipt_verifier: ReceiptVerifier
    consistency_checker: ConsistencyChecker
    backoff: Backoff
    rng: Callable[[], float]


@dataclass(frozen=True)
class _Delivered:
    receipt: VerifiedReceipt
    body: bytes
    status: int


class _NotNow(Exception):
    """The attempt cannot be made now (no trust list, no URL for the port, no usable key): retried."""


class DeliveryWorker:
    """Delivers the outbox of one exporter node.

    ``receipt_verifier``, ``consistency_checker`` and ``backoff`` are its policies (module docstring);
    ``transport`` replaces the network and ``rng`` the jitter (tests).
    """

    def __init__(
        self,
        node: ExporterNode,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: Metrics | None = None,
        per_port: int = DEFAULT_PER_PORT,
        rng: Callable[[], float] = random.random,
        receipt_verifier: ReceiptVerifier = check_receipt,
        consistency_checker: ConsistencyChecker = check_consistency,
        backoff: Backoff = backoff_delay,
    ) -> None:
        self.node = node
        self.per_port = per_port
        self._transport = transport
        self._rng = rng
        self._verify_receipt = receipt_verifier
        self._check_consistency = consistency_checker
        self._backoff = backoff
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._checkpoint_locks: dict[str, asyncio.Lock] = {}
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._background = WakeableLoop(
            self.dispatch_due,
            poll_s=min(1.0, node.settings.retry_base_s),
            name="exporter-delivery",
            failure="delivery dispatch failed; retrying",
            log=log,
        )
        self._outcomes = (
            metrics.counter("exporter_delivery_attempts", "Delivery attempts by outcome.", ["outcome"])
            if metrics is not None
            else None
        )

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background loop on the running event loop (``exporter_node.background``)."""
        self._background.start()

    async def stop(self) -> None:
        """Stop the loop, cancel attempts in flight (they are retried after a restart), close clients.

        The loop may end its round first (at most ``STOP_GRACE_S``).
        """
        await self._background.stop(STOP_GRACE_S)
        for task in list(self._inflight.values()):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def wake(self) -> None:
        """Look at the outbox now (thread-safe: routes call it from the thread pool)."""
        self._background.wake()

    async def dispatch_due(self) -> int:
        """Start an attempt for every due outbox row not already in flight; returns how many started."""
        now = self.node.now()
        due = await asyncio.to_thread(self.node.storage.due, now)
        started = 0
        for item in due:
            if item.consignment_id in self._inflight:
                continue
            task = asyncio.create_task(self._guarded(item), name=f"deliver-{item.consignment_id}")
            self._inflight[item.consignment_id] = task
            task.add_done_callback(functools.partial(self._forget, item.consignment_id))
            started += 1
        return started

    def _forget(self, consignment_id: str, _task: asyncio.Task[None]) -> None:
        self._inflight.pop(consignment_id, None)

    async def run_until_idle(self, timeout_s: float = 30.0) -> None:
        """Deliver until the outbox is empty (tests and tools); TimeoutError after ``timeout_s``."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            await self.dispatch_due()
            if self._inflight:
                await asyncio.gather(*list(self._inflight.values()), return_exceptions=True)
                continue
            next_at = await asyncio.to_thread(self.node.storage.next_due_at)
            if next_at is None:
                return
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("the outbox did not drain in time")
            wait = (next_at - self.node.now()).total_seconds()
            await asyncio.sleep(min(max(wait, 0.0), remaining) + 0.001)

    # --- one attempt -------------------------------------------------------------------------------

    async def _guarded(self, item: DueItem) -> None:
        semaphore = self._semaphores.setdefault(item.destination, asyncio.Semaphore(self.per_port))
        async with semaphore:
            try:
                await self._attempt(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery attempt crashed", extra={"consignment": item.consignment_id})

    def _client(self, port_id: str) -> httpx.AsyncClient:
        """The pooled HTTP client for ``port_id`` (at most ``per_port`` connections)."""
        client = self._clients.get(port_id)
        if client is None:
            limits = httpx.Limits(max_connections=self.per_port, max_keepalive_connections=self.per_port)
            client = httpx.AsyncClient(transport=self._transport, timeout=DEFAULT_TIMEOUT, limits=limits)
            self._clients[port_id] = client
        return client

    async def _attempt(self, item: DueItem) -> None:
        number, started = item.attempts + 1, self.node.now()

        def ended(outcome: str, status: int | None, code: str | None, detail: str | None) -> Attempt:
            return Attempt(number, started, self.node.now(), outcome, status, code, detail)

        row = await asyncio.to_thread(self.node.storage.consignment, item.consignment_id)
        if row is None:  # the outbox row outlived its consignment: nothing to send, ever
            attempt = ended("failed", None, Code.NOT_FOUND.value, "the consignment row is missing")
            await self._record(item, attempt, "failed", "consignment not sent", logging.WARNING)
            return
        if row["state"] != PENDING or row["attempts"] != item.attempts:
            # ``due`` is read while attempts are in flight: this item was read just before an attempt
            # finished or rescheduled it, and that attempt had the answer. Never send it again.
            return
        try:
            delivered = await self._send(item, row)
        except PeerUnavailable as busy:
            await self._after_retryable(item, ended("retry", busy.status, busy.code, busy.detail))
        except _NotNow as exc:
            await self._after_retryable(item, ended("retry", None, None, str(exc)))
        except PeerRefused as refused:
            attempt = ended("failed", refused.status, refused.code, refused.detail)
            await self._record(item, attempt, "failed", "consignment refused by the port", logging.WARNING)
        except ReceiptCheckError as bad:
            attempt = ended("receipt_failed", None, str(bad.code), bad.detail)
            await self._record(
                item, attempt, "failed", "RECEIPT CHECK FAILED: consignment not delivered", logging.ERROR
            )
        else:
            receipt = delivered.receipt
            state = "delivered_with_warnings" if receipt.warnings else "delivered"
            attempt = ended(state, delivered.status, None, receipt.decision)
            await self._record(
                item,
                attempt,
                state,
                "consignment delivered",
                logging.INFO,
                shown={"decision": receipt.decision, "log_index": receipt.log_index},
                decision=receipt.decision,
                reasons=receipt.reasons,
                receipt=delivered.body.decode("utf-8"),
                sent=True,
            )

    async def _after_retryable(self, item: DueItem, attempt: Attempt) -> None:
        """Give up once ``give_up_s`` has passed since queueing; otherwise reschedule with backoff."""
        give_up_at = item.created_at + timedelta(seconds=self.node.settings.give_up_s)
        if attempt.finished_at >= give_up_at:
            detail = f"gave up after {attempt.number} attempts; last: {attempt.detail}"
            gave_up = replace(attempt, outcome="gave_up", code=Code.DELIVERY_GAVE_UP.value, detail=detail)
            await self._record(item, gave_up, "failed", "delivery gave up", logging.ERROR)
            return
        delay = self._backoff(self.node.settings.retry_base_s, attempt.number, self._rng)
        next_at = min(attempt.finished_at + timedelta(seconds=delay), give_up_at)
        await asyncio.to_thread(self.node.storage.reschedule, item.consignment_id, attempt, next_at)
        self._count("retry")
        log.info(
            "delivery will be retried",
            extra={
                "consignment": item.consignment_id,
                "port": item.destination,
                "attempt": attempt.number,
                "delay_s": round(delay, 3),
                "detail": attempt.detail,
            },
        )

    async def _record(
        self,
        item: DueItem,
        attempt: Attempt,
        state: str,
        message: str,
        level: int,
        *,
        shown: Mapping[str, Any] | None = None,
        **stored: Any,
    ) -> None:
        """Finish the consignment in ``state`` with its last ``attempt``, count the outcome, and log ``message``.

        A ``failed`` consignment keeps the attempt's code and detail as its failure; ``stored`` is the rest
        of what ``storage.finish`` keeps (decision, reasons, receipt, ``sent``); ``shown`` adds to the log record.
        """
        extra: dict[str, Any] = {"consignment": item.consignment_id, "port": item.destination}
        if state == "failed":
            stored.update(failure_code=attempt.code, failure_detail=attempt.detail)
            extra.update(code=attempt.code, status=attempt.http_status, detail=attempt.detail)
        await asyncio.to_thread(self.node.storage.finish, item.consignment_id, attempt, state=state, **stored)
        self._count(attempt.outcome)
        log.log(level, message, extra={**extra, **(shown or {})})

    def _count(self, outcome: str) -> None:
        if self._outcomes is not None:
            self._outcomes.labels(outcome=outcome).inc()

    async def _send(self, item: DueItem, row: Mapping[str, Any]) -> _Delivered:
        """One POST and the checks of its answer; raises PeerError, _NotNow or ReceiptCheckError."""
        node = self.node
        try:
            trust = node.trust.current()
            base_url = node.peers.url_for(item.destination)
        except (ProblemError, UnknownPeerError, NetworkFileError) as exc:
            raise _NotNow(str(exc)) from exc
        port = PortClient(
            base_url, signer=_signer(node.identity, trust, node.now()), client=self._client(item.destination)
        )
        try:
            answer = await port.submit(str(row["submission"]).encode("utf-8"))
        except PeerAnswerInvalid as bad:  # a receipt beyond the bound: it cannot be verified
            raise ReceiptInvalidError(bad.detail) from bad
        expected = ExpectedReceipt(
            port_id=item.destination,
            exporter_id=node.node_id,
            submission_id=item.consignment_id,
            submission_digest=str(row["submission_digest"]),
        )
        skew = timedelta(seconds=node.settings.clock_skew_s)
        receipt = await asyncio.to_thread(
            self._verify_receipt, answer.receipt, expected, trust, node.now(), clock_skew=skew
        )
        await self._check_log(item.destination, receipt, port)
        return _Delivered(receipt, answer.receipt, answer.status)

    async def _check_log(self, port_id: str, receipt: VerifiedReceipt, port: PortClient) -> None:
        """Consistency of the receipt's checkpoint with the largest seen from the port; remember the larger."""
        lock = self._checkpoint_locks.setdefault(port_id, asyncio.Lock())
        async with lock:
            known = await asyncio.to_thread(self.node.storage.known_checkpoint, port_id)
            new = receipt.checkpoint
            if known is not None:
                proof: list[bytes] = []
                if known.size != new.size and known.size != 0 and new.size != 0:
                    proof = await _consistency_proof(port, *sorted((known.size, new.size)))
                self._check_consistency(known, new, proof)
            if known is None or new.size > known.size:
                seen = KnownCheckpoint(port_id, new.origin, new.size, new.root_hash, receipt.checkpoint_text)
                await asyncio.to_thread(self.node.storage.remember_checkpoint, seen, self.node.now())


async def _consistency_proof(port: PortClient, first: int, second: int) -> list[bytes]:
    """The port's proof from ``first`` to ``second``; retried when the port is busy, else CHECKPOINT_INCONSISTENT."""
    try:
        return (await port.consistency_proof(first, second)).hashes()
    except PeerUnavailable as busy:
        raise PeerUnavailable(f"consistency proof: {busy.detail}", busy.status) from busy
    except PeerRefused as refused:
        raise CheckpointInconsistentError(
            f"the port refused a consistency proof from {first} to {second}: HTTP {refused.status}"
        ) from refused
    except PeerAnswerInvalid as bad:
        raise CheckpointInconsistentError(f"consistency proof from {first} to {second}: {bad.detail}") from bad


def _signer(identity: NodeIdentity, trust: TrustRegistry, at: datetime) -> RequestSigner:
    try:
        entry = identity.key_for("authentication", trust, at)
    except VerificationError as exc:
        raise _NotNow(f"no usable authentication key: {exc}") from exc
    return RequestSigner(entry.private_key, entry.verification_method)
