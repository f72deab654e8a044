"""The exporter's background loops: one asyncio task that runs a round when woken, or every ``poll_s``.

The delivery worker (``exporter_node.delivery``) and the status publisher (``exporter_node.status_publisher``)
each run one, started and stopped by the app's lifespan; what a round does, and when it backs off, is
theirs. The loop's rules:

- ``start`` (on the running event loop) creates the task. Each turn runs one round, then waits for
  ``wake`` or ``poll_s``, whichever comes first, until ``stop``.
- A round that raises is logged at ERROR and the loop goes on: a database hiccup must not end a worker.
- ``wake`` is thread-safe: routes call it from FastAPI's thread pool.
- ``stop`` lets the round in progress finish for at most ``grace_s`` before cancelling it: a round
  cancelled while a database call runs in a worker thread would leave that thread's connection to an
  engine that is about to be disposed. The loop ends as soon as that round does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["WakeableLoop"]


class WakeableLoop:
    """Runs ``run_round()`` in one asyncio task named ``name`` (module doc); logs ``failure`` when a round raises."""

    def __init__(
        self,
        run_round: Callable[[], Awaitable[object]],
        *,
        poll_s: float,
        name: str,
        failure: str,
        log: logging.Logger,
    ) -> None:
        self.poll_s = poll_s
        self.name = name
        self._run_round = run_round
        self._failure = failure
        self._log = log
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the task on the running event loop."""
        self._event_loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Run a round now rather than at the next poll (thread-safe; nothing before ``start``)."""
        loop, event = self._event_loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def stop(self, grace_s: float, *others: asyncio.Future[Any]) -> None:
        """End the loop: the round in progress, and ``others`` (the owner's rounds run outside the loop), get
        ``grace_s`` to finish together; what is still running then is cancelled."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        running: list[asyncio.Future[Any]] = [*others, *([self._task] if self._task is not None else [])]
        if running:
            await asyncio.wait(running, timeout=grace_s)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            try:
                await self._run_round()
            except Exception:
                self._log.exception(self._failure)
            if self._stopping:  # asked to stop during the round: its wake-up must not be cleared and waited out
                break
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
