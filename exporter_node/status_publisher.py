"""The status publisher: delivers every status list version the exporter signs to the registry, in order.

docs/design.md §12. It runs as one asyncio task of the app (``exporter_node.background.WakeableLoop``,
started and stopped by the lifespan, like the delivery worker) and works from the ``status_list_version``
table, whose rows without ``published_at`` are its outbox: a version signed while the registry is down,
or just before the node stopped, is published when the registry answers again. Rules:

- At start, and every ``renew_every_s`` after, ``StatusIssuer.ensure_current`` signs version 1 of a list
  that has none and renews one close to expiry. At start a list whose newest version the registry
  refused is signed once more (the refusal may have been a registry's misconfiguration, since fixed).
- Versions are posted oldest first per list (the registry wants rising sequences), each RFC 9421-signed
  afresh with the exporter's ``authentication`` key (``node_core.status_publish``), to the registry known
  as peer ``registry`` (``network.json`` or ``PILOT_PEER_URLS``).
- ``201``/``200``: ``published_at`` is set. ``RegistryUnavailable`` (transport, 5xx, 429), no registry
  known, no usable key or trust list: the version stays pending and the whole outbox is retried with
  exponential backoff from ``retry_base_s`` (capped; reset by a success or ``wake``).
- ``PublishRefused`` (a 4xx) is final for that version: logged at ERROR and marked with its code, never
  offered again. On ``409 STATUS_LIST_OUT_OF_ORDER`` (the registry already holds a higher sequence, as
  when a data directory is reused), unless a higher version of ours is still pending, a new version is
  signed above the registry's highest sequence (``node_core.status_publish.registry_highest_sequence``: the
  one its 409 names, else read from ``GET .../history``) and published in turn.
- ``publish_now`` (the operator's ``POST /v1/status``) publishes at once, ignoring the backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

import httpx

from exporter_node.background import WakeableLoop
from exporter_node.delivery import backoff_delay
from exporter_node.state import ExporterNode
from exporter_node.status_store import ListVersion
from node_core.network import NetworkFileError, UnknownPeerError
from node_core.problems import ProblemError
from node_core.status_cache import REGISTRY_PEER
from node_core.status_publish import (
    PublishRefused,
    RegistryUnavailable,
    publish_status_list_async,
    registry_highest_sequence_async,
)
from schemas.errors import VerificationError
from schemas.keyring import KeyEntry
from schemas.status_list import status_list_url

__all__ = ["DEFAULT_RENEW_EVERY_S", "StatusPublisher"]

log = logging.getLogger("exporter_node.status_publisher")

#: How often the lists' expiry is checked while the node runs.
DEFAULT_RENEW_EVERY_S = 3600.0


class _NotNow(Exception):
    """Nothing can be published now (no registry known, no usable key or trust list): retried later."""


class StatusPublisher:
    """Publishes one exporter node's status list versions (module docstring); ``transport`` replaces the network."""

    def __init__(
        self,
        node: ExporterNode,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        renew_every_s: float = DEFAULT_RENEW_EVERY_S,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.node = node
        self.renew_every_s = renew_every_s
        self._transport = transport
        self._rng = rng
        self._client: httpx.AsyncClient | None = None
        self._lock: asyncio.Lock | None = None
        self._background = WakeableLoop(
            self._round,
            poll_s=min(1.0, node.settings.retry_base_s),
            name="exporter-status-publisher",
            failure="status list publishing failed; retrying",
            log=log,
        )
        self._rounds: set[asyncio.Future[int]] = set()  # publish_now rounds still running
        self._next_renewal = 0.0
        self._failures = 0
        self._retry_at = 0.0
        #: Why the last attempt could not reach the registry (None once it answered), for logs and tests.
        self.last_problem: str | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bring the lists up to date and start the background loop on the running event loop."""
        await self._renew(retry_refused=True)
        self._next_renewal = asyncio.get_running_loop().time() + self.renew_every_s
        self._background.start()

    async def stop(self) -> None:
        """Stop the loop (pending versions stay in the database) and close the HTTP client.

        The round in progress, and any ``publish_now`` round, may finish first (at most about one registry
        timeout; ``exporter_node.background``).
        """
        await self._background.stop(self.node.settings.status_timeout_s * 2 + 1, *self._rounds)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def wake(self) -> None:
        """Publish now, forgetting the backoff (thread-safe)."""
        self._retry_at = 0.0
        self._background.wake()

    async def _round(self) -> None:
        """One turn of the loop: renew the lists when it is time, publish when the backoff allows."""
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_renewal:
            self._next_renewal = loop.time() + self.renew_every_s
            await self._renew(retry_refused=False)
        if loop.time() >= self._retry_at:
            await self.publish_pending()

    async def _renew(self, *, retry_refused: bool) -> None:
        issuer = self.node.status_issuer
        now = self.node.now()
        try:
            signed = await asyncio.to_thread(issuer.ensure_current, now)
            if retry_refused:
                for name in issuer.lists:
                    latest = await asyncio.to_thread(issuer.store.latest, name)
                    if latest is not None and latest.refused_code is not None:
                        signed.append(await asyncio.to_thread(issuer.sign_above, name, 0, now))
        except ProblemError as exc:
            log.warning("status lists cannot be signed now", extra={"code": str(exc.code), "detail": exc.detail})
            return
        for version in signed:
            log.info("status list version signed", extra={"list": version.list_id, "sequence": version.sequence})

    # --- publishing --------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(
                self.node.settings.status_timeout_s * 2, connect=self.node.settings.status_timeout_s
            )
            self._client = httpx.AsyncClient(transport=self._transport, timeout=timeout, trust_env=False)
        return self._client

    def _round_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def publish_now(self, timeout_s: float) -> None:
        """Publish every pending version at once (the operator's change), waiting at most ``timeout_s``.

        A round that takes longer goes on in the background (``stop`` waits for it): it is not cancelled
        half-way through a database call.
        """
        task = asyncio.ensure_future(self.publish_pending())
        self._rounds.add(task)
        task.add_done_callback(self._round_done)
        await asyncio.wait({task}, timeout=timeout_s)

    def _round_done(self, task: asyncio.Future[int]) -> None:
        self._rounds.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("status list publishing failed", exc_info=task.exception())

    async def publish_pending(self) -> int:
        """Post every pending version, oldest first per list; returns how many the registry acknowledged.

        Stops at the first version the registry cannot take now, and schedules the next try with backoff.
        """
        async with self._round_lock():
            try:
                return await self._publish_all()
            except (RegistryUnavailable, _NotNow) as exc:
                self._failed(str(exc))
                return 0

    async def _publish_all(self) -> int:
        store = self.node.status_issuer.store
        pending = await asyncio.to_thread(store.pending)
        if not pending:
            return 0
        registry_url, key = self._where_and_key()
        published = 0
        while pending:
            version = pending.pop(0)
            try:
                if await self._publish(registry_url, version, key):
                    published += 1
            except RegistryUnavailable as exc:
                await asyncio.to_thread(store.note_failure, version.list_id, version.sequence, str(exc))
                raise
            if not pending:  # a refusal may have signed a replacement
                pending = await asyncio.to_thread(store.pending)
        self._failures, self._retry_at, self.last_problem = 0, 0.0, None
        return published

    def _where_and_key(self) -> tuple[str, KeyEntry]:
        node = self.node
        now = node.now()
        try:
            registry_url = node.peers.url_for(REGISTRY_PEER)
            key = node.identity.key_for("authentication", node.trust.current(), now)
        except (UnknownPeerError, NetworkFileError, ProblemError, VerificationError) as exc:
            raise _NotNow(str(exc)) from exc
        return registry_url, key

    async def _publish(self, registry_url: str, version: ListVersion, key: KeyEntry) -> bool:
        """Post one version; True when acknowledged, False when refused (then marked, and replaced on 409)."""
        store = self.node.status_issuer.store
        try:
            answer = await publish_status_list_async(self._http(), registry_url, version.credential, key)
        except PublishRefused as refused:
            code = refused.code or f"HTTP_{refused.status}"
            log.error(
                "STATUS LIST VERSION REFUSED by the registry",
                extra={"list": version.list_id, "sequence": version.sequence, "code": code, "detail": refused.detail},
            )
            if refused.out_of_order:
                await self._sign_above_registry(registry_url, version, refused)
            await asyncio.to_thread(store.mark_refused, version.list_id, version.sequence, code, refused.detail)
            return False
        await asyncio.to_thread(store.mark_published, version.list_id, version.sequence, self.node.now())
        log.info(
            "status list version published",
            extra={"list": version.list_id, "sequence": answer.sequence, "status": answer.status},
        )
        return True

    async def _sign_above_registry(self, registry_url: str, refused: ListVersion, answer: PublishRefused) -> None:
        """After a 409: sign a version above the registry's highest, unless a higher one of ours is pending.

        Signed before ``refused`` is marked, so the outbox is never seen empty in between.
        """
        issuer = self.node.status_issuer
        name = refused.list_id
        list_url = status_list_url(self.node.node_id, name)
        highest = await registry_highest_sequence_async(self._http(), registry_url, list_url, answer)
        latest = await asyncio.to_thread(issuer.store.latest, name)
        if latest is not None and latest.sequence > max(highest, refused.sequence) and latest.pending:
            return
        replacement = await asyncio.to_thread(issuer.sign_above, name, highest, self.node.now())
        log.warning(
            "status list signed again above the registry's sequence",
            extra={"list": name, "registry_sequence": highest, "sequence": replacement.sequence},
        )

    def _failed(self, problem: str) -> None:
        """Count a failed round and schedule the next one with backoff; log the first of a streak only."""
        self._failures += 1
        delay = backoff_delay(self.node.settings.retry_base_s, self._failures, self._rng)
        self._retry_at = asyncio.get_running_loop().time() + delay
        level = logging.WARNING if self.last_problem is None else logging.DEBUG
        self.last_problem = problem
        log.log(
            level,
            "status lists not published; will retry",
            extra={"detail": problem, "attempt": self._failures, "delay_s": round(delay, 3)},
        )
