"""Serve a node with uvicorn over h11, answering requests it cannot parse with a problem, not plain text.

uvicorn answers an HTTP/1.1 message that h11 refuses (``Content-Length: -1``, two different
``Content-Length`` values, a malformed request line or header) before any application sees it, with a
``text/plain`` 400 written by ``H11Protocol.send_400_response``. ``ProblemH11Protocol`` overrides that one
method to send the same 400 as an RFC 9457 problem (``REQUEST_INVALID``, ``Connection: close``), so that
every error of a node is ``application/problem+json`` (docs/design.md §4). h11 is chosen explicitly so the
framing rules do not depend on whether ``httptools`` happens to be installed.

``serve_workers`` runs N worker processes on one address (``WorkerSupervisor``): each is a uvicorn server
that builds its app with an import-string factory and listens on its own ``SO_REUSEPORT`` socket. Ctrl-C
or SIGTERM to the parent stops them all (SIGTERM: each finishes its requests, as one process does). A
worker that dies is logged (WARNING ``worker process died``, with its exit code): killed by a signal
(SIGKILL, the OOM killer), it is replaced; ended by itself (a failed start-up, say), it stops the port
and the parent exits with its status (non-zero).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing import context
from multiprocessing.process import BaseProcess
from typing import Any

import h11
import orjson
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol

from node_core.problems import PROBLEM_MEDIA_TYPE, problem_body
from node_core.request_context import REQUEST_ID_HEADER, new_request_id
from schemas.codes import Code

__all__ = ["FRAMING_DETAIL", "ProblemH11Protocol", "WorkerSupervisor", "listening_socket", "serve", "serve_workers"]

_log = logging.getLogger(__name__)

_SETTINGS: dict[str, Any] = {"log_config": None, "access_log": False, "timeout_graceful_shutdown": 5}

FRAMING_DETAIL = "the request is not valid HTTP/1.1 (request line, header fields or message framing)"


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, whose answer to an unparseable request is a ``REQUEST_INVALID`` problem."""

    def send_400_response(self, msg: str) -> None:
        """Write a 400 problem and close (replaces uvicorn's plain-text body; ``msg`` is uvicorn's text)."""
        del msg
        request_id = new_request_id()
        body = problem_body(Code.REQUEST_INVALID, 400, FRAMING_DETAIL) | {"instance": f"urn:pilot:request:{request_id}"}
        payload = orjson.dumps(body)
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
            (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=payload),
            h11.EndOfMessage(),
        ):
            data = self.conn.send(event)
            if data:
                self.transport.write(data)
        self.transport.close()


def serve(app: Any, host: str, port: int, **options: Any) -> None:
    """Run ``app`` until interrupted: uvicorn with ``ProblemH11Protocol``, no uvicorn logging config."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, http=ProblemH11Protocol, **(_SETTINGS | options))


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT``, not yet listening (uvicorn calls ``listen``).

    Each worker listens on its own such socket, and the kernel spreads new connections over them (one
    shared socket would let whichever worker wakes first take nearly every connection). ``SO_REUSEPORT``
    lets only sockets of the same user share the address.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _run_worker(config: Any) -> None:
    """One worker process: its own listening socket, then uvicorn until SIGTERM or SIGINT."""
    import uvicorn

    config.configure_logging()  # in a spawned process, the access log is off only once this ran here
    server = uvicorn.Server(config)
    server.run(sockets=[listening_socket(config.host, config.port)])
    sys.exit(0 if server.started else STARTUP_FAILURE)


class WorkerSupervisor:
    """Starts ``workers`` processes of one uvicorn ``config`` and keeps them running (``serve_workers``)."""

    def __init__(self, config: Any, workers: int, *, poll_s: float = 0.5, grace_s: float = 10.0) -> None:
        self.config = config
        self.workers = workers
        self.poll_s = poll_s
        self.grace_s = grace_s
        self.stopping = threading.Event()
        self.processes: list[BaseProcess] = []
        # Forked from a parent that imported the app and prepared the node, a worker starts in about a
        # second; spawned (where fork is not available), it imports everything again first.
        fork = "fork" in multiprocessing.get_all_start_methods()
        self._kind: type[BaseProcess] = context.ForkProcess if fork else context.SpawnProcess

    def _start(self) -> BaseProcess:
        process = self._kind(target=_run_worker, args=(self.config,), name="port-worker", daemon=False)
        process.start()
        _log.info("worker process started", extra={"pid": process.pid})
        return process

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (0), or until a worker ends by itself (its status, at least 1)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        status = 0
        self.processes = [self._start() for _ in range(self.workers)]
        while not self.stopping.wait(self.poll_s):
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                code = process.exitcode if process.exitcode is not None else 1
                _log.warning("worker process died", extra={"pid": process.pid, "exit_code": code})
                if code >= 0 and not self.stopping.is_set():  # it ended by itself: failed start-up, or worse
                    _log.error("worker process ended by itself: stopping the port", extra={"exit_code": code})
                    status = code or 1
                    self.stopping.set()
                    break
                self.processes[index] = self._start()  # killed by a signal (SIGKILL, OOM): replaced
        self._stop_all()
        return status

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve_workers(factory: str, host: str, port: int, workers: int) -> int:
    """Run ``workers`` processes of the app ``factory`` (``module:function``) on ``host:port`` until interrupted.

    The address is checked (bound, not listened on) here first, so that a port already in use fails at once.
    Returns the parent's exit status: 0 after Ctrl-C or SIGTERM, else the status of the worker that ended.
    """
    from uvicorn import Config

    importlib.import_module(factory.partition(":")[0])  # once, here, for every worker forked from this process
    config = Config(factory, factory=True, host=host, port=port, http=ProblemH11Protocol, **_SETTINGS)
    with listening_socket(host, port):
        _log.info("serving with worker processes", extra={"workers": workers, "listen": f"{host}:{port}"})
        return WorkerSupervisor(config, workers).run()
