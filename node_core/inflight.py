"""A cap on requests in flight: over ``max_inflight`` the node answers 429 at once instead of queueing.

The answer is a ``RATE_LIMITED`` problem with ``Retry-After: 1``. ``/health`` and ``/metrics`` are
exempt, so that an overloaded node can still be watched.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from node_core.problems import problem_response
from schemas.codes import Code

__all__ = ["DEFAULT_EXEMPT_PATHS", "InflightLimitMiddleware"]

DEFAULT_EXEMPT_PATHS = frozenset({"/health", "/metrics"})


class InflightLimitMiddleware:
    """ASGI middleware counting HTTP requests in flight (one event loop, so a plain counter is enough)."""

    def __init__(
        self, app: ASGIApp, max_inflight: int, exempt_paths: Iterable[str] = DEFAULT_EXEMPT_PATHS
    ) -> None:
        if max_inflight < 1:
            raise ValueError("max_inflight must be at least 1")
        self.app = app
        self.max_inflight = max_inflight
        self.exempt_paths = frozenset(exempt_paths)
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        if self.inflight >= self.max_inflight:
            response = problem_response(
                None,
                Code.RATE_LIMITED,
                429,
                f"more than {self.max_inflight} requests in flight; retry shortly",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1
