"""Serve a node with uvicorn over h11, answering requests it cannot parse with a problem, not plain text.

uvicorn answers an HTTP/1.1 message that h11 refuses (``Content-Length: -1``, two different
``Content-Length`` values, a malformed request line or header) before any application sees it, with a
``text/plain`` 400 written by ``H11Protocol.send_400_response``. ``ProblemH11Protocol`` overrides that one
method to send the same 400 as an RFC 9457 problem (``REQUEST_INVALID``, ``Connection: close``), so that
every error of a node is ``application/problem+json`` (docs/design.md §4). h11 is chosen explicitly so the
framing rules do not depend on whether ``httptools`` happens to be installed.
"""

from __future__ import annotations

from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from node_core.problems import PROBLEM_MEDIA_TYPE, problem_body
from node_core.request_context import REQUEST_ID_HEADER, new_request_id
from schemas.codes import Code

__all__ = ["FRAMING_DETAIL", "ProblemH11Protocol", "serve"]

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

    settings: dict[str, Any] = {"log_config": None, "access_log": False, "timeout_graceful_shutdown": 5}
    uvicorn.run(app, host=host, port=port, http=ProblemH11Protocol, **(settings | options))
