"""A fault-injecting TCP proxy on loopback, for tests: it drops, delays and resets a share of connections.

Each accepted connection is, with probability ``rate`` while faults are on, given one fault:

- ``drop``: closed at once, before anything reaches the target (the client sees the connection close);
- ``reset-before``: reset at once (RST, SO_LINGER 0), before anything reaches the target;
- ``delay``: forwarded only after a pause drawn from ``delay_s``;
- ``reset-after``: the request is forwarded, and the client connection is reset as soon as the first
  bytes of the answer come back, so the target did the work and the client never hears of it.

Otherwise the bytes are relayed both ways untouched. It listens on 127.0.0.1 only and exists for the
hardening tests (``tests/hardening``); it is not part of any node.

Since the bytes (the ``Host`` header included) pass untouched, a client signs its requests for the
proxy's origin (RFC 9421 ``@target-uri``), and the target port must list that origin among its own
(``PILOT_PUBLIC_ORIGINS``), or it refuses them as made for another node. Pass ``port=`` to know the
proxy's address before the target starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["FAULTS", "FaultProxy"]

FAULTS = ("drop", "reset-before", "delay", "reset-after")
_CHUNK = 65536


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN (SO_LINGER on, timeout 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class FaultProxy:
    """Relays 127.0.0.1:<port> to ``target_port`` on loopback, injecting faults while ``faults_on``."""

    target_port: int
    rate: float = 0.3
    delay_s: tuple[float, float] = (0.2, 1.0)
    seed: int = 0
    faults_on: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.base_events.Server | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _choose(self) -> str:
        if self.faults_on and self._rng.random() < self.rate:
            return self._rng.choice(FAULTS)
        return "none"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def _reset_after_answer(self, upstream: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await upstream.read(1)  # the target has answered: it did the work
        _reset(client)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self._choose()
        self.counts[fault] += 1
        self.counts["connections"] += 1
        if fault == "drop":
            writer.close()
            return
        if fault == "reset-before":
            _reset(writer)
            return
        if fault == "delay":
            await asyncio.sleep(self._rng.uniform(*self.delay_s))
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            self.counts["target-unreachable"] += 1
            _reset(writer)
            return
        upstream = (
            self._reset_after_answer(up_reader, writer) if fault == "reset-after" else self._pipe(up_reader, writer)
        )
        await asyncio.gather(self._pipe(reader, up_writer), upstream)
        if not up_writer.is_closing():
            up_writer.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> int:
        """Start serving in a background thread; the local port."""
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fault-proxy")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self.port

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self._loop is None or self._thread is None:
            return
        loop = self._loop

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            loop.stop()

        asyncio.run_coroutine_threadsafe(close(), loop)
        self._thread.join(10)
        loop.close()
