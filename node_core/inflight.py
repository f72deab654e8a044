"""A cap on requests in flight: over ``max_inflight`` the node answers 429 at once instead of queueing.

The answer is a ``RATE_LIMITED`` problem with ``Retry-After: 1``. ``/health`` and ``/metrics`` are
exempt, so that an overloaded node can still be watched.

A request without a body counts from its arrival. A request with a body counts only from the moment its
body has arrived whole: a client that sends headers and then trickles (or stalls) its body holds no
slot, so slow or stalled bodies cannot lock everyone else out (the body deadline of
``node_core.body.RequestBodyMiddleware`` bounds how long they last). Routes that authenticate a request
read its body only once its signature headers verified, so for them a slot is taken by an authenticated
request with its body in hand. Over the cap at that moment, reading the body raises the 429
``ProblemError``, which the route lets propagate.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_core.asgi import HttpMiddleware
from node_core.problems import ProblemError, problem_response
from schemas.codes import Code
from schemas.phrase import Phrase

__all__ = ["DEFAULT_EXEMPT_PATHS", "InflightLimitMiddleware"]

DEFAULT_EXEMPT_PATHS = frozenset({"/health", "/metrics"})
_RETRY = {"Retry-After": "1"}


def _declares_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class InflightLimitMiddleware(HttpMiddleware):
    """ASGI middleware counting HTTP requests in flight (one event loop, so a plain counter is enough)."""

    def __init__(self, app: ASGIApp, max_inflight: int, exempt_paths: Iterable[str] = DEFAULT_EXEMPT_PATHS) -> None:
        if max_inflight < 1:
            raise ValueError("max_inflight must be at least 1")
        super().__init__(app)
        self.max_inflight = max_inflight
        self.exempt_paths = frozenset(exempt_paths)
        self.inflight = 0

    def _detail(self) -> Phrase:
        return Phrase("more than {limit} requests in flight; retry shortly", limit=self.max_inflight)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        admitted = False

        def admit() -> bool:
            nonlocal admitted
            if self.inflight >= self.max_inflight:
                return False
            self.inflight += 1
            admitted = True
            return True

        async def receive_counted() -> Message:
            message = await receive()
            whole = message["type"] == "http.request" and not message.get("more_body", False)
            if whole and not admitted and not admit():
                raise ProblemError(Code.RATE_LIMITED, self._detail(), headers=_RETRY)
            return message

        has_body = _declares_body(scope)
        if not has_body and not admit():
            response = problem_response(None, Code.RATE_LIMITED, 429, self._detail(), headers=_RETRY)
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive_counted if has_body else receive, send)
        finally:
            if admitted:
                self.inflight -= 1
