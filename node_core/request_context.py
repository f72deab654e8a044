"""Per-request id: accepted from a sane ``X-Request-ID`` or generated, echoed back, kept in a contextvar.

The id appears in every log line written while the request is handled, in the access log line, and as
the ``instance`` of problem responses (``urn:pilot:request:<id>``, docs/design.md §10).

A request whose client hung up before it was answered is logged (and counted in the metrics) with
status ``499`` (``CLIENT_CLOSED_REQUEST``, nginx's convention): no answer was sent, and it is no fault of
the node. Whoever sees the hang-up marks the scope with ``mark_client_disconnected``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from node_core.asgi import HttpMiddleware, StatusWatch

__all__ = [
    "CLIENT_CLOSED_REQUEST",
    "REQUEST_ID_HEADER",
    "RequestContextMiddleware",
    "answered_status",
    "current_request_id",
    "mark_client_disconnected",
    "new_request_id",
]

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("pilot_request_id", default=None)
_access_log = logging.getLogger("pilot.access")
#: The status recorded for a request whose client hung up before it was answered.
CLIENT_CLOSED_REQUEST = 499
_DISCONNECTED = "pilot.client_disconnected"


def mark_client_disconnected(scope: Scope) -> None:
    """Record in ``scope`` that the client hung up before the request was answered."""
    scope[_DISCONNECTED] = True


def answered_status(scope: Scope, status: int | None) -> int:
    """The status to log and count: the one sent, else 499 after a hang-up, else 500."""
    if status is not None:
        return status
    return CLIENT_CLOSED_REQUEST if scope.get(_DISCONNECTED) else 500


def new_request_id() -> str:
    """A fresh request id (UUID4, 32 hex digits)."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being handled in this context, or ``None`` outside a request."""
    return _request_id.get()


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None


class RequestContextMiddleware(HttpMiddleware):
    """ASGI middleware: set the request id, echo it in ``X-Request-ID``, write one access log line."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _incoming_id(scope) or new_request_id()
        token = _request_id.set(request_id)
        started = time.perf_counter()

        def add_id(message: Message) -> None:
            MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id

        watch = StatusWatch(send, add_id)
        try:
            await self.app(scope, receive, watch)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            _access_log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": answered_status(scope, watch.status),
                    "duration_ms": duration_ms,
                },
            )
            _request_id.reset(token)
