"""Stopping the app never leaves a database call of its background loops running against a closed engine.

The status publisher and the delivery worker run their database calls in worker threads
(``asyncio.to_thread``); cancelling the loop mid-call would leave the thread holding a connection after
``engine.dispose()`` (on PostgreSQL: a connection leaked, a ``ResourceWarning`` later). So ``stop`` lets
the round in progress finish first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from exporter_node.app import create_app
from node_core.settings import NodeSettings

pytestmark = [pytest.mark.anyio]


def _slow(inner: Callable[..., Any], entered: threading.Event, finished: list[str]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        time.sleep(0.3)
        try:
            return inner(*args, **kwargs)
        finally:
            finished.append(inner.__name__)

    return call


@pytest.mark.parametrize("loop", ["publisher", "worker"])
async def test_stop_waits_for_the_database_call_in_progress(settings: NodeSettings, loop: str) -> None:
    settings.retry_base_s = 0.01
    app = create_app(settings)
    node = app.state.node
    entered, finished = threading.Event(), []
    try:
        if loop == "publisher":
            target = node.status_issuer.store
            target.pending = _slow(target.pending, entered, finished)
            runner = app.state.status_publisher
        else:
            node.storage.due = _slow(node.storage.due, entered, finished)
            runner = app.state.worker
        await runner.start()
        await asyncio.to_thread(entered.wait, 5)
        await runner.stop()
        assert finished, "stop returned while a database call was still running"
    finally:
        await app.state.status_publisher.stop()
        await app.state.worker.stop()
        node.close()
