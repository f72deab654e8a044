"""A small HTTP/1.1 server on a real loopback socket, run in its own thread, for the kit's stand-in nodes.

Why not uvicorn: a stand-in must be able to misbehave at the transport level, above all to drop a
connection after reading a request without answering (how the kit tests an exporter's retries), and
to refuse a body from its ``Content-Length`` alone. The server reads requests with ``Content-Length``
bodies (no chunked uploads: the pilot's clients never send them), keeps connections alive, and hands
each request to a synchronous handler in a worker thread. The handler returns an ``HttpResponse``, or
``DROP`` (or ``TIMEOUT``) to close the connection without a word.

``in_process`` puts the same handler behind ``httpx.MockTransport``, for tests that want no socket:
there ``DROP`` is an ``httpx.RemoteProtocolError`` and ``TIMEOUT`` an ``httpx.ReadTimeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qsl, urlsplit

import httpx

__all__ = ["DROP", "TIMEOUT", "HttpRequest", "HttpResponse", "LoopbackServer", "in_process"]

MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """One request as received: method, target, header lines (names lower-cased, in order), body."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    host_url: str  # scheme://Host header, for rebuilding @target-uri
    received: float = field(default_factory=time.time)

    @property
    def path(self) -> str:
        """The path without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value wins)."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        """One header's value (repeated lines joined with ``, ``), or None."""
        values = [v for k, v in self.headers if k == name.lower()]
        return ", ".join(values) if values else None

    @property
    def url(self) -> str:
        """``@target-uri`` as the pilot's profile rebuilds it: scheme + Host header + path + query."""
        return self.host_url + self.target


@dataclass(frozen=True)
class HttpResponse:
    """What a handler answers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class _Drop:
    """Close the connection without answering."""


DROP: Final = _Drop()
#: No answer in time: over the socket the same as ``DROP`` (a server cannot know its client's timeout).
TIMEOUT: Final = _Drop()
Handler = Callable[[HttpRequest], "HttpResponse | _Drop"]


def in_process(handler: Handler) -> httpx.MockTransport:
    """``handler`` behind ``httpx.MockTransport``, each ``httpx.Request`` handed over as an ``HttpRequest``."""

    def answer(request: httpx.Request) -> httpx.Response:
        url = request.url
        headers = [(name.lower(), value) for name, value in request.headers.multi_items()]
        host = request.headers.get("host") or url.netloc.decode("ascii")
        target = url.raw_path.decode("ascii")
        response = handler(HttpRequest(request.method, target, headers, request.content, f"{url.scheme}://{host}"))
        if response is TIMEOUT:
            raise httpx.ReadTimeout("no answer in time", request=request)
        if isinstance(response, _Drop):
            raise httpx.RemoteProtocolError("the connection closed without an answer", request=request)
        content_type = [("content-type", response.content_type)] if response.content_type else []
        return httpx.Response(response.status, content=response.body, headers=[*content_type, *response.headers])

    return httpx.MockTransport(answer)


class LoopbackServer:
    """Serves ``handler`` on ``host:port`` (0 picks a free port) in a background thread."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int | None = None,
        too_large: Callable[[int], HttpResponse] | None = None,
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.max_body = max_body
        self.too_large = too_large
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """``http://host:port`` once started."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Bind and serve; returns the URL. OSError if the address is taken."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(asyncio.start_server(self._serve, self.host, self.port))
                self.port = int(self._server.sockets[0].getsockname()[1])
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=f"standin-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self.url

    def stop(self) -> None:
        """Stop serving and close every connection."""
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shutdown() -> None:
            server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- one connection ---------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await self._read(reader)
                if request is None:
                    break
                if isinstance(request, HttpResponse):  # refused from its head alone
                    await self._write(writer, request, close=True)
                    break
                loop = asyncio.get_running_loop()
                answer = await loop.run_in_executor(None, self.handler, request)
                if isinstance(answer, _Drop):
                    writer.transport.abort()
                    break
                close = (request.header("connection") or "").lower() == "close"
                await self._write(writer, answer, close=close)
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> HttpRequest | HttpResponse | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        if len(head) > MAX_HEAD:
            raise ValueError("request head too large")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower(), value.strip()))
        values = {k: v for k, v in headers}
        length = int(values.get("content-length", "0") or 0)
        if self.max_body is not None and length > self.max_body and self.too_large is not None:
            return self.too_large(self.max_body)
        body = await reader.readexactly(length) if length else b""
        host = values.get("host", f"{self.host}:{self.port}")
        return HttpRequest(method.upper(), target, headers, body, f"http://{host}")

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, response: HttpResponse, *, close: bool) -> None:
        reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {response.status} {reason}", f"content-length: {len(response.body)}"]
        if response.body or response.content_type:
            lines.append(f"content-type: {response.content_type}")
        lines += [f"{k}: {v}" for k, v in response.headers]
        if close:
            lines.append("connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body)
        await writer.drain()
