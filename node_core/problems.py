"""RFC 9457 problem details: the one place where errors become HTTP responses (docs/design.md §4, 7).

Every error body is ``application/problem+json``::

    {"type": "https://pilot.example/problems/payload-too-large", "title": "Payload too large",
     "status": 413, "detail": "...", "code": "PAYLOAD_TOO_LARGE", "instance": "urn:pilot:request:<id>"}

plus optional extension members (``errors`` for validation failures). ``title`` and ``detail`` are in the
language the request's ``Accept-Language`` asks for (``node_core.request_language``; English by default),
named by a ``Content-Language`` header; a detail given as a ``Phrase`` is translated with its values, a plain
string is looked up as it is. ``code``, ``type`` and the other members never change with the language.
Routes raise ``ProblemError``;
``install_problem_handlers`` maps it, FastAPI's validation errors (400, not 422), Starlette's
``HTTPException``, strict-JSON failures and any unexpected exception (500 ``INTERNAL_ERROR``, details
logged with the request id, never sent) to this shape. A client that hangs up before its request was
read whole (Starlette's ``ClientDisconnect``) is no fault of the node: it gets one info log line, no
answer, and status 499 in the access log and metrics (``node_core.request_context``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from node_core.asgi import HttpMiddleware, StatusWatch
from node_core.i18n import code_title, english_title, translate
from node_core.request_context import current_request_id, mark_client_disconnected, new_request_id
from node_core.request_language import request_language
from schemas.codes import HTTP_STATUS, Code
from schemas.errors import JsonMalformedError
from schemas.phrase import Phrase

__all__ = [
    "INTERNAL_ERROR",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "ProblemDetails",
    "ProblemError",
    "ProblemGuardMiddleware",
    "ProblemResponse",
    "install_problem_handlers",
    "problem_body",
    "problem_response",
    "problem_responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://pilot.example/problems/"
#: Code of a 500 answer: a fault of the node itself, never of the request.
INTERNAL_ERROR = Code.INTERNAL_ERROR

_log = logging.getLogger("pilot.problems")

# Starlette HTTPException status -> stable code (404 from the router, 405 for a wrong method...).
_STATUS_CODES: dict[int, str] = {
    400: Code.REQUEST_INVALID,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    408: Code.REQUEST_TIMEOUT,
    409: Code.DUPLICATE_CONFLICT,
    413: Code.PAYLOAD_TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    429: Code.RATE_LIMITED,
}


class ProblemDetails(BaseModel):
    """The documented schema of every error response (RFC 9457 plus the pilot's stable ``code``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str


class ProblemError(Exception):
    """An error a route reports to its caller: a stable code, an HTTP status and a human detail.

    ``detail`` is English text, or a ``Phrase`` that the answer translates into the caller's language;
    ``.detail`` is always the English text.

    The status is the code's in ``schemas.codes.HTTP_STATUS`` unless ``status`` is given. Pass it only for
    an answer that differs from the table on purpose (the exporter's 422 pre-check refusal) or for a code
    the table has no status for (a receipt reason as a 400); a code in neither case is a 500.
    """

    def __init__(
        self,
        code: Code | str,
        detail: str | Phrase,
        *,
        status: int | None = None,
        title: str | Phrase | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.code = code
        self.detail = str(detail)
        #: The detail as given: a ``Phrase`` is translated when the answer is written.
        self.wording: str | Phrase = detail
        self.status = status if status is not None else _default_status(code)
        self.title = str(title) if title else english_title(code)
        #: The title given, if any (translated when the answer is written); None: the code's title.
        self.title_given = title
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The problem object, in the language of the request being handled."""
        return problem_body(self.code, self.status, self.wording, title=self.title_given, extra=self.extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.code)!r}, {self.detail!r}, status={self.status})"


class ProblemResponse(JSONResponse):
    """A JSON response with the RFC 9457 media type."""

    media_type = PROBLEM_MEDIA_TYPE


def _default_status(code: Code | str) -> int:
    try:
        return HTTP_STATUS.get(Code(code), 500)
    except ValueError:
        return 500


def problem_body(
    code: Code | str,
    status: int,
    detail: str | Phrase,
    *,
    title: str | Phrase | None = None,
    extra: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The problem object for ``code``, with the current request id as ``instance``.

    ``title`` (default: the code's) and ``detail`` are in ``language``, by default the request's.
    """
    request_id = current_request_id() or new_request_id()
    language = language or request_language()
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + str(code).lower().replace("_", "-"),
        "title": translate(title, language) if title else code_title(code, language),
        "status": status,
        "detail": translate(detail, language),
        "code": str(code),
        "instance": f"urn:pilot:request:{request_id}",
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(
    request: Request | None,
    code: Code | str,
    status: int,
    detail: str | Phrase,
    extra: Mapping[str, Any] | None = None,
    *,
    title: str | Phrase | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """An ``application/problem+json`` response in the request's language (``Content-Language``).

    ``request`` is accepted for symmetry with handlers: the request id and language come from the context.
    """
    del request
    language = request_language()
    body = problem_body(code, status, detail, title=title, extra=extra, language=language)
    answer_headers = {"Content-Language": language, "Vary": "Accept-Language", **dict(headers or {})}
    return ProblemResponse(body, status_code=status, headers=answer_headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting ``statuses`` as problem details."""
    return {
        status: {
            "model": ProblemDetails,
            "description": "Problem details (RFC 9457)",
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in statuses
    }


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request, exc.code, exc.status, exc.wording, exc.extra, title=exc.title_given, headers=exc.headers
    )


async def _on_json_malformed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JsonMalformedError)
    return problem_response(request, Code.JSON_MALFORMED, 400, exc.message)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Locations and messages only: the offending input may be large or sensitive.
    errors = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]
    where = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors[:5])
    detail = Phrase("request does not match the API: {where}", where=where)
    return problem_response(request, Code.REQUEST_INVALID, 400, detail, {"errors": errors})


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    # FastAPI wraps whatever interrupts its own body reading in a 400 "error parsing the body": a hang-up,
    # or a problem raised while receiving (the body deadline, the in-flight cap). Answer for the cause.
    if isinstance(exc.__cause__, ClientDisconnect):
        raise exc.__cause__
    if isinstance(exc.__cause__, ProblemError):
        return await _on_problem(request, exc.__cause__)
    status = exc.status_code
    code = _STATUS_CODES.get(status, Code.REQUEST_INVALID if status < 500 else INTERNAL_ERROR)
    detail = exc.detail if isinstance(exc.detail, str) else english_title(code)
    return problem_response(request, code, status, detail, headers=exc.headers)


def _log_unexpected(exc: BaseException, scope: Scope) -> None:
    _log.error(
        "unhandled exception",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"method": scope.get("method"), "path": scope.get("path")},
    )


class ProblemGuardMiddleware(HttpMiddleware):
    """ASGI middleware turning any exception that escaped the handlers into a 500 problem.

    It sits inside the request-id middleware, so the answer carries the id, and it does not re-raise
    (Starlette's ServerErrorMiddleware would otherwise print a traceback page or propagate).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        except ClientDisconnect:
            mark_client_disconnected(scope)
            _log.info(
                "client disconnected before its request was read",
                extra={"method": scope.get("method"), "path": scope.get("path")},
            )
        except Exception as exc:
            _log_unexpected(exc, scope)
            if watch.status is not None:  # the answer has started: too late to send a problem
                raise
            response = problem_response(None, INTERNAL_ERROR, 500, Phrase("internal error; see the node's log"))
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem handlers on ``app`` and add the 500 guard middleware."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(JsonMalformedError, _on_json_malformed)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_middleware(ProblemGuardMiddleware)
