"""The delivery worker: sends queued consignments to their ports, at least once, and checks every receipt.

It runs as one asyncio task of the app (started by the lifespan) and works from the ``outbox`` table,
so it resumes after a restart with whatever was not finished. Rules (DESIGN section 6, issue 4):

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
- What is read from a port is bounded (issue 12, item 11): at most ``MAX_ANSWER_BYTES`` (4 MiB; a
  receipt is a few KiB) of an answer's body, streamed and never decoded (``Accept-Encoding:
  identity``), within ``ANSWER_DEADLINE_S`` for the whole answer. The status decides as above; a body
  beyond the bound is not read further (an announced ``Content-Length`` beyond it is not read at all):
  for ``201``/``200`` it is a receipt that cannot be verified, so ``failed`` with ``RECEIPT_INVALID``;
  for a 4xx ``failed`` with ``HTTP_<status>`` (its problem code unread); for ``429``/5xx retried. A
  consistency proof beyond the bound is ``CHECKPOINT_INCONSISTENT``, like a malformed one. An answer not
  complete within the deadline is a timeout: retried.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from exporter_node.errors import CheckpointInconsistentError, ReceiptCheckError, ReceiptInvalidError
from exporter_node.identity import NodeIdentity
from exporter_node.node import ExporterNode
from exporter_node.receipt_check import ExpectedReceipt, VerifiedReceipt, check_consistency, check_receipt
from exporter_node.storage import Attempt, DueItem
from node_core.http_signatures import RequestSigner
from node_core.metrics import Metrics
from node_core.network import NetworkFileError, UnknownPeerError
from node_core.problems import ProblemError
from schemas._jsonio import parse_json
from schemas._trust import TrustRegistry
from schemas.codes import Code
from schemas.errors import PilotSchemaError, VerificationError

__all__ = ["ANSWER_DEADLINE_S", "DEFAULT_PER_PORT", "MAX_ANSWER_BYTES", "DeliveryWorker", "backoff_delay"]

log = logging.getLogger("exporter_node.delivery")

DEFAULT_PER_PORT = 8
REQUEST_TIMEOUT = httpx.Timeout(15.0, connect=3.0)
MAX_BACKOFF_FACTOR = 64
#: The most bytes of one answer's body read from a port (a receipt is a few KiB, a proof less).
MAX_ANSWER_BYTES = 4 * 1024 * 1024
#: Seconds for a whole answer (status, headers and body), however slowly the port sends it.
ANSWER_DEADLINE_S = 60.0
_IDENTITY = {"accept-encoding": "identity"}


def backoff_delay(base_s: float, attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with "equal jitter": half of ``base * 2**(n-1)`` fixed, half random, capped."""
    ceiling = base_s * float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_FACTOR))
    return ceiling / 2 + ceiling / 2 * rng()


class _Retry(Exception):
    """This attempt failed in a way worth retrying."""

    def __init__(self, detail: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.status, self.code = detail, status, code


class _Final(Exception):
    """The port's answer is final: the consignment fails with ``code``."""

    def __init__(self, detail: str, *, status: int | None, code: str) -> None:
        super().__init__(detail)
        self.detail, self.status, self.code = detail, status, code


@dataclass(frozen=True)
class _Delivered:
    receipt: VerifiedReceipt
    body: bytes
    status: int


@dataclass(frozen=True)
class _Answer:
    """A port's answer: its status and its body, or ``None`` when the body exceeds ``MAX_ANSWER_BYTES``."""

    status: int
    content: bytes | None

    @property
    def too_large(self) -> str:
        return f"the port's answer (HTTP {self.status}) is larger than {MAX_ANSWER_BYTES} bytes: not read further"


async def _fetch(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> _Answer:
    """One request; its answer's body streamed raw, up to ``MAX_ANSWER_BYTES``, within ``ANSWER_DEADLINE_S``.

    Raises ``httpx.TransportError`` or ``TimeoutError``. Leaving the stream early closes the connection.
    """
    async with asyncio.timeout(ANSWER_DEADLINE_S), client.stream(method, url, **kwargs) as response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
            return _Answer(response.status_code, None)
        body = bytearray()
        async for chunk in _raw_chunks(response):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                return _Answer(response.status_code, None)
        return _Answer(response.status_code, bytes(body))


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as received (not decoded); an in-memory answer (``httpx.MockTransport``) is already read."""
    if response.is_stream_consumed:
        yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _problem_code(content: bytes | None) -> str | None:
    if content is None:
        return None
    try:
        body = parse_json(content)
    except PilotSchemaError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


class DeliveryWorker:
    """Delivers the outbox of one exporter node."""

    def __init__(
        self,
        node: ExporterNode,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: Metrics | None = None,
        per_port: int = DEFAULT_PER_PORT,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.node = node
        self.per_port = per_port
        self._transport = transport
        self._rng = rng
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._checkpoint_locks: dict[str, asyncio.Lock] = {}
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._outcomes = (
            metrics.counter("exporter_delivery_attempts", "Delivery attempts by outcome.", ["outcome"])
            if metrics is not None
            else None
        )

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background loop on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="exporter-delivery")

    async def stop(self) -> None:
        """Stop the loop, cancel attempts in flight (they are retried after a restart), close clients."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._inflight.values()):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def wake(self) -> None:
        """Look at the outbox now (thread-safe: routes call it from the thread pool)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        assert self._wake is not None
        poll_s = min(1.0, self.node.settings.retry_base_s)
        while not self._stopping:
            try:
                await self.dispatch_due()
            except Exception:  # a database hiccup must not end the worker
                log.exception("delivery dispatch failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll_s)

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
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
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
                if not await asyncio.to_thread(self.node.storage.still_due, item):
                    return  # read before its previous attempt finished: that attempt had the answer
                await self._attempt(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery attempt crashed", extra={"consignment": item.consignment_id})

    def _client(self, port_id: str) -> httpx.AsyncClient:
        client = self._clients.get(port_id)
        if client is None:
            limits = httpx.Limits(max_connections=self.per_port, max_keepalive_connections=self.per_port)
            client = httpx.AsyncClient(transport=self._transport, timeout=REQUEST_TIMEOUT, limits=limits)
            self._clients[port_id] = client
        return client

    async def _attempt(self, item: DueItem) -> None:
        number = item.attempts + 1
        started = self.node.now()
        try:
            delivered = await self._send(item)
        except _Retry as retry:
            await self._after_retryable(item, number, started, retry)
            return
        except _Final as final:
            attempt = Attempt(number, started, self.node.now(), "failed", final.status, final.code, final.detail)
            await asyncio.to_thread(
                self.node.storage.finish,
                item.consignment_id,
                attempt,
                state="failed",
                failure_code=final.code,
                failure_detail=final.detail,
            )
            self._count("failed")
            log.warning(
                "consignment refused by the port",
                extra={
                    "consignment": item.consignment_id,
                    "port": item.destination,
                    "code": final.code,
                    "status": final.status,
                    "detail": final.detail,
                },
            )
            return
        except ReceiptCheckError as bad:
            attempt = Attempt(number, started, self.node.now(), "receipt_failed", None, str(bad.code), bad.detail)
            await asyncio.to_thread(
                self.node.storage.finish,
                item.consignment_id,
                attempt,
                state="failed",
                failure_code=str(bad.code),
                failure_detail=bad.detail,
            )
            self._count("receipt_failed")
            log.error(
                "RECEIPT CHECK FAILED: consignment not delivered",
                extra={
                    "consignment": item.consignment_id,
                    "port": item.destination,
                    "code": str(bad.code),
                    "detail": bad.detail,
                },
            )
            return
        receipt = delivered.receipt
        state = "delivered_with_warnings" if receipt.warnings else "delivered"
        attempt = Attempt(number, started, self.node.now(), state, delivered.status, None, receipt.decision)
        await asyncio.to_thread(
            self.node.storage.finish,
            item.consignment_id,
            attempt,
            state=state,
            decision=receipt.decision,
            reasons=receipt.reasons,
            receipt=delivered.body.decode("utf-8"),
        )
        self._count(state)
        log.info(
            "consignment delivered",
            extra={
                "consignment": item.consignment_id,
                "port": item.destination,
                "decision": receipt.decision,
                "log_index": receipt.log_index,
            },
        )

    async def _after_retryable(self, item: DueItem, number: int, started: datetime, retry: _Retry) -> None:
        now = self.node.now()
        give_up_at = item.created_at + timedelta(seconds=self.node.settings.give_up_s)
        if now >= give_up_at:
            detail = f"gave up after {number} attempts; last: {retry.detail}"
            attempt = Attempt(number, started, now, "gave_up", retry.status, Code.DELIVERY_GAVE_UP.value, detail)
            await asyncio.to_thread(
                self.node.storage.finish,
                item.consignment_id,
                attempt,
                state="failed",
                failure_code=Code.DELIVERY_GAVE_UP.value,
                failure_detail=detail,
            )
            self._count("gave_up")
            log.error("delivery gave up", extra={"consignment": item.consignment_id, "detail": detail})
            return
        delay = backoff_delay(self.node.settings.retry_base_s, number, self._rng)
        next_at = min(now + timedelta(seconds=delay), give_up_at)
        attempt = Attempt(number, started, now, "retry", retry.status, retry.code, retry.detail)
        await asyncio.to_thread(self.node.storage.reschedule, item.consignment_id, attempt, next_at)
        self._count("retry")
        log.info(
            "delivery will be retried",
            extra={
                "consignment": item.consignment_id,
                "port": item.destination,
                "attempt": number,
                "delay_s": round(delay, 3),
                "detail": retry.detail,
            },
        )

    def _count(self, outcome: str) -> None:
        if self._outcomes is not None:
            self._outcomes.labels(outcome=outcome).inc()

    async def _send(self, item: DueItem) -> _Delivered:
        """One POST and the checks of its answer; raises _Retry, _Final or ReceiptCheckError."""
        node = self.node
        try:
            trust = node.trust.current()
            base_url = node.peers.url_for(item.destination)
        except (ProblemError, UnknownPeerError, NetworkFileError) as exc:
            raise _Retry(str(exc)) from exc
        row = await asyncio.to_thread(node.storage.consignment, item.consignment_id)
        if row is None:
            raise _Final("the consignment row is missing", status=None, code=Code.NOT_FOUND.value)
        text, digest = str(row["submission"]), str(row["submission_digest"])
        signer = _signer(node.identity, trust, node.now())
        client = self._client(item.destination)
        try:
            answer = await _fetch(
                client,
                "POST",
                f"{base_url}/v1/submissions",
                content=text.encode("utf-8"),
                headers={"content-type": "application/json", "accept": "application/json", **_IDENTITY},
                auth=signer,
            )
        except httpx.TransportError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        except TimeoutError as exc:
            raise _Retry(f"the port's answer took longer than {ANSWER_DEADLINE_S:.0f} s") from exc
        status, content = answer.status, answer.content
        if status in (200, 201) and content is None:
            raise ReceiptInvalidError(answer.too_large)
        if status in (200, 201) and content is not None:
            expected = ExpectedReceipt(
                port_id=item.destination,
                exporter_id=node.node_id,
                exporter_did=node.identity.did,
                submission_id=item.consignment_id,
                submission_digest=digest,
            )
            skew = timedelta(seconds=node.settings.clock_skew_s)
            receipt = await asyncio.to_thread(check_receipt, content, expected, trust, node.now(), clock_skew=skew)
            await self._check_log(item.destination, base_url, receipt, client, signer)
            return _Delivered(receipt, content, status)
        code = _problem_code(content)
        if status == 429 or status >= 500:
            detail = f"HTTP {status} {code or ''}".strip() if content is not None else answer.too_large
            raise _Retry(detail, status=status, code=code)
        if 400 <= status < 500:
            shown = content[:500].decode("utf-8", "replace") if content is not None else answer.too_large
            raise _Final(f"HTTP {status}: {shown}", status=status, code=code or f"HTTP_{status}")
        raise _Retry(f"unexpected HTTP {status}", status=status, code=code)

    async def _check_log(
        self, port_id: str, base_url: str, receipt: VerifiedReceipt, client: httpx.AsyncClient, signer: RequestSigner
    ) -> None:
        """Consistency of the receipt's checkpoint with the largest seen from the port; remember the larger."""
        lock = self._checkpoint_locks.setdefault(port_id, asyncio.Lock())
        async with lock:
            known = await asyncio.to_thread(self.node.storage.known_checkpoint, port_id)
            new = receipt.checkpoint
            if known is not None:
                proof: list[bytes] = []
                if known.size != new.size and known.size != 0 and new.size != 0:
                    first, second = sorted((known.size, new.size))
                    proof = await self._fetch_consistency(base_url, first, second, client, signer)
                check_consistency(known, new, proof)
            if known is None or new.size > known.size:
                await asyncio.to_thread(
                    self.node.storage.remember_checkpoint, receipt.known_checkpoint(port_id), self.node.now()
                )

    async def _fetch_consistency(
        self, base_url: str, first: int, second: int, client: httpx.AsyncClient, signer: RequestSigner
    ) -> list[bytes]:
        try:
            answer = await _fetch(
                client,
                "GET",
                f"{base_url}/v1/log/proof/consistency",
                params={"first": first, "second": second},
                headers=_IDENTITY,
                auth=signer,
            )
        except httpx.TransportError as exc:
            raise _Retry(f"consistency proof: {type(exc).__name__}: {exc}") from exc
        except TimeoutError as exc:
            raise _Retry(f"consistency proof: the answer took longer than {ANSWER_DEADLINE_S:.0f} s") from exc
        if answer.status == 429 or answer.status >= 500:
            raise _Retry(f"consistency proof: HTTP {answer.status}", status=answer.status)
        if answer.status != 200:
            raise CheckpointInconsistentError(
                f"the port refused a consistency proof from {first} to {second}: HTTP {answer.status}"
            )
        if answer.content is None:
            raise CheckpointInconsistentError(f"consistency proof from {first} to {second}: {answer.too_large}")
        return _proof_hashes(answer.content, first, second)


def _proof_hashes(body: bytes, first: int, second: int) -> list[bytes]:
    try:
        document: Any = parse_json(body)
        if document.get("first") != first or document.get("second") != second:
            raise ValueError(f"proof is for {document.get('first')}..{document.get('second')}")
        return [base64.b64decode(h, validate=True) for h in document["proof"]]
    except (
        PilotSchemaError,
        VerificationError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        binascii.Error,
    ) as exc:
        raise CheckpointInconsistentError(
            f"the port's consistency proof from {first} to {second} is malformed: {exc}"
        ) from exc


def _signer(identity: NodeIdentity, trust: TrustRegistry, at: datetime) -> RequestSigner:
    try:
        entry = identity.key_for("authentication", trust, at)
    except VerificationError as exc:
        raise _Retry(f"no usable authentication key: {exc}") from exc
    return RequestSigner(entry.private_key, entry.verification_method)
