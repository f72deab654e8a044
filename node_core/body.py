"""Request bodies: framing checked, read within a size limit and a deadline, JSON only when declared so.

docs/design.md §7: ``PAYLOAD_TOO_LARGE`` (413) is decided from ``Content-Length`` before any byte is read,
and, for a chunked body, as soon as the running total passes the limit; at most ``limit`` plus one
chunk is ever held in memory. Strict JSON failures become ``JSON_MALFORMED`` (400); a JSON route refuses
any other ``Content-Type`` (415 ``UNSUPPORTED_MEDIA_TYPE``).

``RequestBodyMiddleware`` guards every request before a route sees it:

- a request with both ``Content-Length`` and ``Transfer-Encoding`` is refused (400 ``REQUEST_INVALID``;
  RFC 9112 section 6.3: such a message may be an attempt at request smuggling);
- a body must arrive whole within ``timeout_s`` of the request's headers, else 408 ``REQUEST_TIMEOUT``
  (with ``Connection: close``), so a client trickling a body holds a connection for a bounded time.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_core.asgi import HttpMiddleware
from node_core.problems import ProblemError, problem_response
from schemas.codes import Code
from schemas.phrase import Phrase

__all__ = [
    "JSON_MEDIA_TYPE",
    "RequestBodyMiddleware",
    "parse_json_body",
    "read_limited_body",
    "require_json_media_type",
]

JSON_MEDIA_TYPE = "application/json"
_CLOSE = {"Connection": "close"}


def _too_large(limit: int) -> ProblemError:
    return ProblemError(Code.PAYLOAD_TOO_LARGE, Phrase("request body is larger than {limit} bytes", limit=limit))


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, or ``ProblemError(PAYLOAD_TOO_LARGE)`` as soon as it is known to pass ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ProblemError(Code.REQUEST_INVALID, Phrase("Content-Length is not a number"))
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def require_json_media_type(headers: Headers) -> None:
    """``Content-Type`` must be ``application/json``, optionally with ``charset=utf-8``; 415 otherwise.

    RFC 8259 section 11 defines no parameters for ``application/json``; a ``charset`` of UTF-8 is
    tolerated because common clients send it.
    """
    value = headers.get("content-type")
    if value is None:
        raise ProblemError(
            Code.UNSUPPORTED_MEDIA_TYPE,
            Phrase("a JSON body needs Content-Type: {media_type}", media_type=JSON_MEDIA_TYPE),
        )
    media_type, *parameters = (part.strip() for part in value.split(";"))
    unexpected = []
    for parameter in parameters:
        name, _, parameter_value = parameter.partition("=")
        if name.strip().lower() != "charset" or parameter_value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            unexpected.append(parameter)
    if media_type.lower() != JSON_MEDIA_TYPE or unexpected:
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise ProblemError(
            Code.UNSUPPORTED_MEDIA_TYPE,
            Phrase(
                "Content-Type {shown} is not accepted: send {media_type} (optionally charset=utf-8)",
                shown=repr(shown),
                media_type=JSON_MEDIA_TYPE,
            ),
        )


def parse_json_body(body: bytes) -> Any:
    """Parse ``body`` as strict JSON (``schemas.jsonio``).

    A body that is not strict JSON raises ``schemas.errors.JsonMalformedError``, which the handler
    ``install_problem_handlers`` registers answers as 400 ``JSON_MALFORMED`` with the parser's message.
    """
    from schemas.jsonio import parse_json  # written alongside this package; imported on first use

    return parse_json(body)


def _framing_problem(scope: Scope) -> Phrase | None:
    names = [name for name, _ in scope.get("headers", ())]
    if b"transfer-encoding" in names and b"content-length" in names:
        return Phrase("a request may not carry both Content-Length and Transfer-Encoding (RFC 9112 section 6.3)")
    if names.count(b"content-length") > 1:
        return Phrase("a request may carry one Content-Length header")
    return None


class RequestBodyMiddleware(HttpMiddleware):
    """ASGI middleware: refuse ambiguous framing, and time out bodies that do not arrive whole in time."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        super().__init__(app)
        self.timeout_s = timeout_s

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = _framing_problem(scope)
        if problem is not None:
            response = problem_response(None, Code.REQUEST_INVALID, 400, problem, headers=_CLOSE)
            await response(scope, receive, send)
            return
        deadline = anyio.current_time() + self.timeout_s
        body_done = False

        async def receive_in_time() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                return message
            raise ProblemError(
                Code.REQUEST_TIMEOUT,
                Phrase("the request body did not arrive whole within {seconds:g} s", seconds=self.timeout_s),
                headers=_CLOSE,
            )

        await self.app(scope, receive_in_time, send)
