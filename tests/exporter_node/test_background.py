"""``exporter_node.background.WakeableLoop``: the loop the delivery worker and the status publisher run on."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import pytest

from exporter_node.background import WakeableLoop

pytestmark = pytest.mark.anyio

LOG = logging.getLogger("tests.exporter_node.background")


async def _until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def test_a_round_runs_at_start_and_again_when_woken_from_another_thread() -> None:
    rounds: list[int] = []

    async def count() -> None:
        rounds.append(len(rounds))

    loop = WakeableLoop(count, poll_s=60.0, name="test-loop", failure="round failed", log=LOG)
    loop.wake()  # before start: nothing to wake, and no error
    loop.start()
    await _until(lambda: len(rounds) == 1)
    waker = threading.Thread(target=loop.wake)
    waker.start()
    waker.join()
    await _until(lambda: len(rounds) == 2)
    await loop.stop(1.0)
    assert rounds == [0, 1]


async def test_a_round_that_raises_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database hiccup")

    loop = WakeableLoop(flaky, poll_s=0.01, name="test-loop", failure="round failed; retrying", log=LOG)
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        loop.start()
        await _until(lambda: calls >= 3)
        await loop.stop(1.0)
    assert [r.getMessage() for r in caplog.records] == ["round failed; retrying"]


async def test_stop_lets_the_round_finish_within_the_grace_and_cancels_what_runs_longer() -> None:
    finished: list[str] = []
    release = asyncio.Event()

    async def short_round() -> None:
        await release.wait()
        finished.append("round")

    loop = WakeableLoop(short_round, poll_s=60.0, name="test-loop", failure="round failed", log=LOG)
    loop.start()
    await asyncio.sleep(0.01)
    clock = asyncio.get_running_loop()
    clock.call_later(0.05, release.set)
    started = clock.time()
    await loop.stop(5.0)
    assert finished == ["round"]  # it ended its round rather than being cancelled
    assert clock.time() - started < 1.0  # and the loop ended with it, not at the end of the grace

    never = asyncio.Event()

    async def hanging_round() -> None:
        await never.wait()

    other = asyncio.ensure_future(never.wait())  # an owner's round run outside the loop
    hanging = WakeableLoop(hanging_round, poll_s=60.0, name="test-loop", failure="round failed", log=LOG)
    hanging.start()
    await asyncio.sleep(0.01)
    started = clock.time()
    await hanging.stop(0.1, other)
    assert clock.time() - started < 1.0
    assert other.cancelled()
