"""Attacks on the shared HTTP layer (docs/reliability.md, attacks 3, 6, 9, 13, 14, 21), in process, without sockets.

Each case drives a real port app (``tests/port_node/port_harness.py``) or the base app through raw ASGI,
so that a body can stall, a client can hang up mid-body, or a request can carry framing no HTTP client
library would send. Named cases assert the status and the stable code.

- 3: the signature headers are checked before the body is read; bodies have a deadline; a stalled body
  holds no in-flight slot.
- 6: a request signed for another origin (another node, another host) is refused.
- 9: metrics labels stay within fixed sets whatever the method, path or status.
- 13: a client that hangs up mid-body is a 499 in the metrics and an info log line, not a 500.
- 14: uvicorn's answer to unparseable framing is a problem (``node_core.serving``), fed bytes directly.
- 21: JSON routes require ``application/json``; ``Content-Length`` with ``Transfer-Encoding`` is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel

from node_core.http_signatures import (
    RequestSignatureError,
    declares_body,
    sign_request,
    verify_request_body,
    verify_request_headers,
)
from node_core.nonces import MemoryNonceStore
from node_core.settings import NodeSettings
from pilot.synthetic import Signer
from tests.port_node.port_harness import (
    PORT_ID,
    PortHarness,
    as_body,
    fresh_submission,
    make_harness,
    sandbox,
    signer_for,
)
from tests.support.nodes import base_app

ORIGIN = "http://127.0.0.1:8101"  # the port under test
OTHER_PORT = "http://127.0.0.1:8102"  # where cn-port-02 would listen
JSON = {"content-type": "application/json"}
#: The bound on every answer that must not wait for a body.
PROMPT_S = 5.0
BODY_TIMEOUT_S = 0.5


# --- raw ASGI ----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    body_reads: int = 0  # how many times the app asked for (more of) the body

    def problem(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == "application/problem+json", (self.status, self.body[:300])
        document: dict[str, Any] = json.loads(self.body)
        return document


Then = Literal["end", "stall", "disconnect"]


async def call(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    parts: list[bytes],
    then: Then = "end",
    *,
    timeout_s: float = PROMPT_S,
) -> Answer:
    """Drive ``app`` with one request: ``parts`` of the body, then its end, a stall, or a hang-up."""
    answer = Answer()
    queue = list(parts)
    done = asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.split("?")[0],
        "raw_path": path.split("?")[0].encode(),
        "query_string": path.partition("?")[2].encode(),
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8101),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        answer.body_reads += 1
        if queue:
            return {"type": "http.request", "body": queue.pop(0), "more_body": True}
        if then == "end":
            return {"type": "http.request", "body": b"", "more_body": False}
        if then == "disconnect":
            return {"type": "http.disconnect"}
        await done.wait()  # a stalled body: nothing more ever comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    started = time.monotonic()
    try:
        await asyncio.wait_for(app(scope, receive, send), timeout_s)
    except TimeoutError:
        pytest.fail(f"{method} {path}: no answer within {timeout_s} s (status so far {answer.status})")
    finally:
        done.set()
    answer.seconds = time.monotonic() - started
    return answer


def signed_headers(
    exporter: str, method: str, url: str, body: bytes, extra: dict[str, str] | None = None
) -> list[tuple[bytes, bytes]]:
    """The header lines of ``method url`` with ``body``, RFC 9421-signed by ``exporter``'s key-1."""
    request = httpx.Request(method, url, content=body, headers={**(JSON if body else {}), **(extra or {})})
    entry = Signer(sandbox().keyrings).key(exporter, "key-1")
    sign_request(request, entry.private_key, entry.verification_method)
    return [(name.lower(), value) for name, value in request.headers.raw]


def unsigned_headers(url: str, length: int) -> list[tuple[bytes, bytes]]:
    host = url.split("://", 1)[1].split("/", 1)[0]
    return [(b"host", host.encode()), (b"content-type", b"application/json"), (b"content-length", b"%d" % length)]


# --- a port -------------------------------------------------------------------------------------------


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    """The port under test answers at ``ORIGIN`` and gives a body ``BODY_TIMEOUT_S`` to arrive."""
    return {"public_origins": [ORIGIN], "body_timeout_s": BODY_TIMEOUT_S}


def submission_body(name: str, exporter: str = "ru-exp-01") -> bytes:
    body: bytes = as_body(fresh_submission(exporter, name))
    return body


# --- 3: no body is read before the signature headers verified; bodies have a deadline -------------------


@pytest.mark.db
@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "length"),
    [("/v1/submissions", 1000), ("/v1/submissions:batch", 16 * 1024 * 1024)],
    ids=["single, stalled after '{'", "batch declaring 16 MiB, stalled after '{'"],
)
async def test_unsigned_stalled_body_is_refused_without_reading_it(
    harness: PortHarness, path: str, length: int
) -> None:
    answer = await call(harness.app, "POST", path, unsigned_headers(ORIGIN + path, length), [b"{"], "stall")
    assert answer.status == 401 and answer.problem()["code"] == "REQUEST_SIGNATURE_INVALID"
    assert answer.body_reads == 0, "the body of an unauthenticated request was read"


@pytest.mark.db
@pytest.mark.anyio
async def test_signed_stalled_body_times_out_with_408(harness: PortHarness) -> None:
    body = submission_body("stalled")
    headers = signed_headers("ru-exp-01", "POST", ORIGIN + "/v1/submissions", body)
    answer = await call(harness.app, "POST", "/v1/submissions", headers, [body[:1]], "stall")
    assert answer.status == 408 and answer.problem()["code"] == "REQUEST_TIMEOUT"
    assert answer.headers.get("connection") == "close"
    assert BODY_TIMEOUT_S <= answer.seconds < BODY_TIMEOUT_S + 2.0


@pytest.mark.db
@pytest.mark.anyio
async def test_stalled_bodies_hold_no_inflight_slot(tmp_path: Path, database_url: str) -> None:
    """Cap 2, six signed bodies stalled after one byte: a real submission still gets its receipt."""
    harness = make_harness(tmp_path, database_url, public_origins=[ORIGIN], max_inflight=2, body_timeout_s=30.0)
    try:
        stalled = []
        for n in range(6):
            body = submission_body(f"stall-{n}")
            headers = signed_headers("ru-exp-01", "POST", ORIGIN + "/v1/submissions", body)
            stalled.append(
                asyncio.create_task(
                    call(harness.app, "POST", "/v1/submissions", headers, [body[:1]], "stall", timeout_s=60)
                )
            )
        await asyncio.sleep(0.5)
        assert not any(task.done() for task in stalled)
        body = submission_body("real", "ru-exp-02")
        headers = signed_headers("ru-exp-02", "POST", ORIGIN + "/v1/submissions", body)
        answer = await call(harness.app, "POST", "/v1/submissions", headers, [body])
        assert answer.status == 201, answer.body[:300]
        for task in stalled:
            task.cancel()
        await asyncio.gather(*stalled, return_exceptions=True)
    finally:
        harness.close()


# --- 6: a signature is valid only at the node it was made for ----------------------------------------------


def _post_signed_for(origin: str, *, host: str | None = None) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = submission_body("elsewhere")
    headers = signed_headers("ru-exp-01", "POST", origin + "/v1/submissions", body)
    if host is not None:
        headers = [(b"host", host.encode()) if name == b"host" else (name, value) for name, value in headers]
    return headers, body


ORIGIN_CASES = {
    # cn-port-01's request replayed to this port (cn-port-02) as it was, Host: cn-port-01 included.
    "signed for another port, replayed with its Host": (OTHER_PORT, None),
    "signed for http://evil.example": ("http://evil.example", None),
    "signed for https:// of this host and port": ("https://127.0.0.1:8101", None),
    "signed for this port's host on another port": ("http://127.0.0.1:9999", None),
}


@pytest.mark.db
@pytest.mark.anyio
@pytest.mark.parametrize("case", list(ORIGIN_CASES), ids=list(ORIGIN_CASES))
async def test_request_signed_for_another_origin_is_refused(harness: PortHarness, case: str) -> None:
    origin, host = ORIGIN_CASES[case]
    headers, body = _post_signed_for(origin, host=host)
    scheme = origin.split("://")[0]
    answer = await call(harness.app, "POST", "/v1/submissions", headers, [body])
    if scheme == "https":  # the port was reached over http: the rebuilt @target-uri does not verify either
        assert answer.status == 401
        return
    assert answer.status == 401, answer.body[:300]
    problem = answer.problem()
    assert problem["code"] == "REQUEST_SIGNATURE_INVALID"
    assert "not this node" in problem["detail"] and ORIGIN in problem["detail"]
    assert harness.port.log.size == 0


@pytest.mark.db
@pytest.mark.anyio
async def test_request_signed_for_this_origin_is_accepted(harness: PortHarness) -> None:
    headers, body = _post_signed_for(ORIGIN)
    answer = await call(harness.app, "POST", "/v1/submissions", headers, [body])
    assert answer.status == 201, answer.body[:300]


@pytest.mark.db
@pytest.mark.anyio
async def test_signed_get_for_another_origin_is_refused(harness: PortHarness) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.app), base_url=OTHER_PORT, auth=signer_for("ru-exp-01")
    ) as client:
        response = await client.get("/v1/receipts/t-ru-exp-01-anything")
    assert response.status_code == 401 and response.json()["code"] == "REQUEST_SIGNATURE_INVALID"


def test_default_public_origins_follow_the_listen_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PILOT_PUBLIC_ORIGINS", raising=False)
    settings = NodeSettings(node_id=PORT_ID, data_dir=tmp_path, listen_host="127.0.0.1", listen_port=8102)
    assert settings.public_origins == ["http://127.0.0.1:8102", "http://localhost:8102"]
    monkeypatch.setenv("PILOT_PUBLIC_ORIGINS", "http://cn-port-02:8000, HTTP://LocalHost:8102/ ,https://p.example:443")
    settings = NodeSettings(node_id=PORT_ID, data_dir=tmp_path, listen_port=8102)
    assert settings.public_origins == ["http://cn-port-02:8000", "http://localhost:8102", "https://p.example"]
    monkeypatch.setenv("PILOT_PUBLIC_ORIGINS", "http://cn-port-02:8000/v1")
    with pytest.raises(ValueError, match="not an origin"):
        NodeSettings(node_id=PORT_ID, data_dir=tmp_path)


# --- 21: Content-Type is enforced; ambiguous framing is refused -----------------------------------------


MEDIA_TYPES = {
    "text/plain": ("text/plain", 415),
    "no charset other than utf-8": ("application/json; charset=latin-1", 415),
    "another parameter": ("application/json; profile=x", 415),
    "application/json": ("application/json", 201),
    "application/json; charset=utf-8": ("application/json; charset=utf-8", 201),
    "upper case": ("Application/JSON; Charset=UTF-8", 201),
}


@pytest.mark.db
@pytest.mark.anyio
@pytest.mark.parametrize("case", list(MEDIA_TYPES), ids=list(MEDIA_TYPES))
async def test_content_type_must_be_json(harness: PortHarness, case: str) -> None:
    media_type, status = MEDIA_TYPES[case]
    body = submission_body(f"media-{len(case)}-{status}")
    headers = signed_headers("ru-exp-01", "POST", ORIGIN + "/v1/submissions", body, {"content-type": media_type})
    answer = await call(harness.app, "POST", "/v1/submissions", headers, [body])
    assert answer.status == status, answer.body[:300]
    if status == 415:
        assert answer.problem()["code"] == "UNSUPPORTED_MEDIA_TYPE"
        assert harness.port.log.size == 0


@pytest.mark.db
@pytest.mark.anyio
async def test_content_length_with_transfer_encoding_is_refused(harness: PortHarness) -> None:
    body = submission_body("smuggled")
    headers = signed_headers("ru-exp-01", "POST", ORIGIN + "/v1/submissions", body)
    headers.append((b"transfer-encoding", b"chunked"))
    answer = await call(harness.app, "POST", "/v1/submissions", headers, [body])
    assert answer.status == 400 and answer.problem()["code"] == "REQUEST_INVALID"
    assert "Transfer-Encoding" in answer.problem()["detail"]
    assert answer.headers.get("connection") == "close"
    assert answer.body_reads == 0 and harness.port.log.size == 0


# --- 9: bounded metrics labels -------------------------------------------------------------------------


KNOWN = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other"}


class Item(BaseModel):
    a: int


def echo_app(tmp_path: Path) -> FastAPI:
    """The base app with routes that read a body (raw or parsed by FastAPI) and answer any status."""
    app = base_app(tmp_path, body_timeout_s=BODY_TIMEOUT_S)

    @app.post("/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/v1/parsed")
    async def parsed(item: Item) -> dict[str, int]:  # FastAPI reads and parses this body itself
        return {"a": item.a}

    @app.get("/v1/status/{code}")
    async def status(code: int) -> Any:
        from starlette.responses import Response

        return Response(status_code=code)

    return app


def series(app: FastAPI) -> list[tuple[str, dict[str, str]]]:
    text = app.state.metrics.render().decode()
    return [(s.name, dict(s.labels)) for family in text_string_to_metric_families(text) for s in family.samples]


@pytest.mark.anyio
async def test_metrics_labels_are_bounded(tmp_path: Path) -> None:
    app = echo_app(tmp_path)
    routes = {getattr(route, "path", "") for route in app.routes} | {"<unmatched>"}

    async def hostile(count: int, salt: str) -> None:
        for n in range(count):
            await call(app, f"X{salt}{n}", f"/v1/{salt}{n}", [(b"host", b"127.0.0.1:8101")], [])
        for code in (299, 599, 799, 204):
            await call(app, "GET", f"/v1/status/{code}", [(b"host", b"n")], [])

    await hostile(50, "a")
    before = len(series(app))
    await hostile(500, "b")
    assert len(series(app)) == before, "invented methods, paths or statuses made new time series"
    for name, labels in series(app):
        if "method" in labels:
            assert labels["method"] in KNOWN, (name, labels)
        if "route" in labels:
            assert labels["route"] in routes, (name, labels)
        if "status" in labels:
            assert labels["status"] == "other" or 100 <= int(labels["status"]) <= 599, (name, labels)
    statuses = {labels["status"] for name, labels in series(app) if name.endswith("requests_total")}
    assert "799" not in statuses and "other" in statuses


# --- 13: a client hanging up mid-body --------------------------------------------------------------------


@pytest.mark.anyio
async def test_client_hanging_up_mid_body_is_not_a_server_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = echo_app(tmp_path)
    headers = [(b"host", b"127.0.0.1:8100"), (b"content-type", b"application/json"), (b"content-length", b"100")]
    with caplog.at_level(logging.INFO):
        answer = await call(app, "POST", "/v1/echo", headers, [b'{"a":'], "disconnect")
    assert answer.status is None  # nobody is left to answer
    statuses = {labels["status"] for name, labels in series(app) if name.endswith("requests_total")}
    assert statuses == {"499"}, statuses
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert any("client disconnected" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)
    access = [r for r in caplog.records if r.name == "pilot.access"]
    assert [getattr(r, "status", None) for r in access] == [499]


@pytest.mark.anyio
async def test_bodies_fastapi_reads_itself_get_the_same_answers(tmp_path: Path) -> None:
    """A route whose body FastAPI parses: a stall is a 408 and a hang-up a 499, not FastAPI's 400."""
    app = echo_app(tmp_path)
    headers = [(b"host", b"127.0.0.1:8100"), (b"content-type", b"application/json"), (b"content-length", b"8")]
    stalled = await call(app, "POST", "/v1/parsed", headers, [b'{"a":'], "stall")
    assert stalled.status == 408 and stalled.problem()["code"] == "REQUEST_TIMEOUT"
    gone = await call(app, "POST", "/v1/parsed", headers, [b'{"a":'], "disconnect")
    assert gone.status is None
    statuses = {labels["status"] for name, labels in series(app) if name.endswith("requests_total")}
    assert statuses == {"408", "499"}, statuses


@pytest.mark.db
@pytest.mark.anyio
async def test_port_client_hanging_up_mid_submission(harness: PortHarness) -> None:
    body = submission_body("hangup")
    headers = signed_headers("ru-exp-01", "POST", ORIGIN + "/v1/submissions", body)
    answer = await call(harness.app, "POST", "/v1/submissions", headers, [body[:10]], "disconnect")
    assert answer.status is None
    assert 'status="500"' not in harness.metrics and 'status="499"' in harness.metrics


# --- 14: uvicorn's own 400 for framing h11 refuses ------------------------------------------------------


class _Transport:
    """Enough of an asyncio transport for uvicorn's protocol: collects what is written."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8101)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: Any) -> None:
        pass


FRAMING = {
    "Content-Length: -1": b"POST /v1/submissions HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    "two different Content-Length": (
        b"POST /v1/submissions HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"
    ),
    "Transfer-Encoding other than chunked": (
        b"POST /v1/submissions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"
    ),
    "malformed request line": b"POST  /v1/submissions HTTP/1.1 extra\r\nHost: a\r\n\r\n",
}


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(FRAMING), ids=list(FRAMING))
async def test_unparseable_framing_gets_a_problem(case: str) -> None:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from node_core.serving import ProblemH11Protocol

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the application must not be called")

    config = Config(app, http=ProblemH11Protocol, log_config=None)
    config.load()
    protocol = ProblemH11Protocol(config=config, server_state=ServerState(), app_state={})
    transport = _Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(FRAMING[case])
    head, _, body = transport.written.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), transport.written[:200]
    assert b"content-type: application/problem+json" in head.lower()
    assert b"connection: close" in head.lower() and transport.closed
    problem = json.loads(body)
    assert problem["code"] == "REQUEST_INVALID" and problem["status"] == 400
    assert problem["instance"].startswith("urn:pilot:request:")


# --- the two-step verifier on its own -------------------------------------------------------------------


def _key_of(exporter: str) -> Any:
    from schemas.trust import TrustRegistry

    del exporter
    registry = TrustRegistry.from_document(sandbox().trust_list)
    return lambda keyid: registry.resolve_key(keyid, "authentication", datetime.now(UTC))


def test_origins_are_compared_as_rfc_6454_origins() -> None:
    """Scheme and host in any case, the default port written or not: one origin."""
    body = b'{"a":1}'
    request = httpx.Request("POST", "http://port.test/v1/submissions", content=body, headers=JSON)
    request.headers["host"] = "Port.TEST:80"
    entry = Signer(sandbox().keyrings).key("ru-exp-01", "key-1")
    sign_request(request, entry.private_key, entry.verification_method)
    url = "http://Port.TEST:80/v1/submissions"  # as the server rebuilds it from the Host header
    common: dict[str, Any] = {"has_body": True, "resolve_key": _key_of("ru-exp-01"), "now": time.time()}
    for origins in (["http://port.test"], ["HTTP://PORT.TEST:80/"]):
        signed = verify_request_headers("POST", url, request.headers, origins=origins, **common)
        assert signed.content_digest is not None
    for origins in (["http://port.test:8080"], ["https://port.test"], []):
        with pytest.raises(RequestSignatureError, match="not this node"):
            verify_request_headers("POST", url, request.headers, origins=origins, **common)


def test_a_body_the_signature_does_not_cover_is_refused() -> None:
    request = httpx.Request("POST", "http://port.test/v1/submissions")
    entry = Signer(sandbox().keyrings).key("ru-exp-01", "key-1")
    sign_request(request, entry.private_key, entry.verification_method)
    signed = verify_request_headers(
        "POST",
        "http://port.test/v1/submissions",
        request.headers,
        has_body=False,
        resolve_key=_key_of("ru-exp-01"),
        now=time.time(),
    )
    with pytest.raises(RequestSignatureError, match="does not cover"):
        verify_request_body(signed, b"{}", nonce_store=MemoryNonceStore(), now=time.time())
    assert verify_request_body(signed, b"", nonce_store=MemoryNonceStore(), now=time.time()).keyid == signed.keyid


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, False),
        ({"Content-Length": "0"}, False),
        ({"Content-Length": "12"}, True),
        ({"transfer-encoding": "chunked"}, True),
    ],
)
def test_declares_body(headers: dict[str, str], expected: bool) -> None:
    assert declares_body(headers) is expected
