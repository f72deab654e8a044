"""Bounded request bodies: refuse oversized ones before reading them whole, and parse JSON strictly.

DESIGN section 7: ``PAYLOAD_TOO_LARGE`` (413) is decided from ``Content-Length`` before any byte is read,
and, for a chunked body, as soon as the running total passes the limit; at most ``limit`` plus one
chunk is ever held in memory. Strict JSON failures become ``JSON_MALFORMED`` (400).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.errors import JsonMalformedError

__all__ = ["parse_json_body", "read_limited_body"]


def _too_large(limit: int) -> ProblemError:
    return ProblemError(Code.PAYLOAD_TOO_LARGE, f"request body is larger than {limit} bytes", status=413)


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, or ``ProblemError(PAYLOAD_TOO_LARGE)`` as soon as it is known to pass ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ProblemError(Code.REQUEST_INVALID, "Content-Length is not a number", status=400)
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


def parse_json_body(body: bytes) -> Any:
    """Parse ``body`` as strict JSON (``schemas._jsonio``), or raise ``ProblemError(JSON_MALFORMED)``."""
    from schemas._jsonio import parse_json  # written alongside this package; imported on first use

    try:
        return parse_json(body)
    except JsonMalformedError as exc:
        raise ProblemError(Code.JSON_MALFORMED, exc.message, status=400) from exc
