"""``WorkerSupervisor`` (node_core/serving.py): a worker that ends by itself stops the node with its status;
one killed by a signal is replaced. Real worker processes (forked, each its own uvicorn server)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from uvicorn import Config

from node_core.serving import ProblemH11Protocol, WorkerSupervisor
from pilot.processes import free_port


def failing_app() -> Any:
    """An app factory that fails, as a worker whose node cannot start (its database gone, say)."""
    raise RuntimeError("this worker cannot start")


async def _answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-pid", str(os.getpid()).encode())]})
    await send({"type": "http.response.body", "body": b"ok"})


def working_app() -> Any:
    return _answer


def _config(factory: str, port: int) -> Config:
    return Config(factory, factory=True, host="127.0.0.1", port=port, http=ProblemH11Protocol, log_config=None)


@pytest.fixture
def restored_signals() -> Iterator[None]:
    """``run`` installs SIGINT and SIGTERM handlers in this (the test's) process: put the old ones back."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.e2e
@pytest.mark.timeout(60)
def test_a_worker_that_fails_at_start_up_stops_the_node_with_its_status(restored_signals: None) -> None:
    supervisor = WorkerSupervisor(_config(f"{__name__}:failing_app", free_port()), 2, poll_s=0.1, grace_s=5)
    started = time.monotonic()
    status = supervisor.run()
    assert status != 0  # uvicorn's start-up failure, not a clean stop
    assert time.monotonic() - started < 30  # stopped, not restarted over and over
    assert all(not process.is_alive() for process in supervisor.processes)


@pytest.mark.e2e
@pytest.mark.timeout(60)
def test_a_worker_killed_by_a_signal_is_replaced_and_a_stop_ends_them_all(restored_signals: None) -> None:
    """The supervisor runs here (it installs signal handlers: the main thread); a thread kills and stops."""
    port = free_port()
    supervisor = WorkerSupervisor(_config(f"{__name__}:working_app", port), 2, poll_s=0.1, grace_s=5)
    seen: dict[str, Any] = {}

    def kill_one_then_stop() -> None:
        try:
            first = _serving_pids(port, supervisor, 2)
            os.kill(first[0], signal.SIGKILL)
            seen.update(first=first, replaced=_serving_pids(port, supervisor, 2, without=first[0]))
        except BaseException as exc:
            seen["error"] = exc
        finally:
            supervisor.stopping.set()

    driver = threading.Thread(target=kill_one_then_stop)
    driver.start()
    status = supervisor.run()
    driver.join(30)
    assert "error" not in seen, seen.get("error")
    first, replaced = seen["first"], seen["replaced"]
    assert first[0] not in replaced and first[1] in replaced  # the killed one replaced, the other kept
    assert status == 0  # a stop, not a failure
    assert all(not process.is_alive() for process in supervisor.processes)


def _serving_pids(port: int, supervisor: WorkerSupervisor, count: int, *, without: int | None = None) -> list[int]:
    """The pids of ``count`` live workers once each answers (a request names the worker that took it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = [p.pid for p in supervisor.processes if p.is_alive() and p.pid is not None and p.pid != without]
        if len(pids) == count:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2).raise_for_status()
            except httpx.HTTPError:
                pass
            else:
                return pids
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not come up")
