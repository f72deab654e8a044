"""RFC 9457 problem responses and bounded bodies: shape, media type, 400 not 422, no leaked internals, 413."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from node_core.body import parse_json_body, read_limited_body
from node_core.problems import (
    PROBLEM_MEDIA_TYPE,
    ProblemDetails,
    ProblemError,
    install_problem_handlers,
    problem_responses,
)
from node_core.request_context import RequestContextMiddleware
from schemas.codes import HTTP_STATUS, Code
from schemas.errors import JsonMalformedError

LIMIT = 1000


class Item(BaseModel):
    name: str
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)

    @app.post("/body")
    async def body(request: Request) -> dict[str, int]:
        data = await read_limited_body(request, LIMIT)
        return {"bytes": len(data)}

    @app.post("/json")
    async def json_route(request: Request) -> Any:
        return parse_json_body(await read_limited_body(request, LIMIT))

    @app.post("/json-translated")
    async def json_translated(request: Request) -> Any:
        # What routes used to do by hand before leaving JsonMalformedError to its registered handler.
        try:
            return parse_json_body(await read_limited_body(request, LIMIT))
        except JsonMalformedError as exc:
            raise ProblemError(Code.JSON_MALFORMED, exc.message, status=400) from exc

    @app.get("/problem/{code}")
    def problem(code: str) -> None:
        raise ProblemError(Code(code), "as the table says")

    @app.post("/items", responses=problem_responses(400, 409))
    def items(item: Item) -> Item:
        return item

    @app.get("/conflict")
    def conflict() -> None:
        raise ProblemError(Code.DUPLICATE_CONFLICT, "same id, other content", extra={"submissionId": "s-1"})

    @app.get("/malformed")
    def malformed() -> None:
        raise JsonMalformedError("duplicate key 'a'")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 in /srv/secret.py")

    @app.get("/boom-async")
    async def boom_async() -> None:
        raise KeyError("internal")

    return app


APP = make_app()


def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://node") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(run())


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    ProblemDetails.model_validate(body)
    assert body["status"] == status and body["code"] == code
    assert body["type"] == "https://pilot.example/problems/" + code.lower().replace("_", "-")
    assert body["instance"] == f"urn:pilot:request:{response.headers['x-request-id']}"
    return body


def test_problem_error_shape_and_extension_members() -> None:
    body = assert_problem(call("GET", "/conflict"), 409, "DUPLICATE_CONFLICT")
    assert body["detail"] == "same id, other content" and body["submissionId"] == "s-1"
    assert body["title"] == "Duplicate conflict"


def test_incoming_request_id_is_echoed_and_used_as_instance() -> None:
    response = call("GET", "/conflict", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["instance"] == "urn:pilot:request:abc-123"
    insane = call("GET", "/conflict", headers={"X-Request-ID": "<script>"})
    assert insane.headers["x-request-id"] != "<script>"


def test_validation_errors_are_400_with_locations() -> None:
    body = assert_problem(call("POST", "/items", json={"name": "x", "count": "many"}), 400, "REQUEST_INVALID")
    assert body["errors"][0]["loc"] == ["body", "count"]
    assert "many" not in json.dumps(body)  # the offending input is not echoed


def test_not_found_and_method_not_allowed() -> None:
    assert_problem(call("GET", "/nowhere"), 404, "NOT_FOUND")
    response = call("DELETE", "/conflict")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET"


def test_json_malformed_from_schemas_is_400() -> None:
    body = assert_problem(call("GET", "/malformed"), 400, "JSON_MALFORMED")
    assert body["detail"] == "duplicate key 'a'"


@pytest.mark.parametrize("path", ["/boom", "/boom-async"])
def test_unexpected_exception_is_a_500_problem_without_internals(path: str) -> None:
    response = call("GET", path)
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    text = response.text
    assert "hunter2" not in text and "Traceback" not in text and "secret.py" not in text
    assert set(body) == {"type", "title", "status", "detail", "code", "instance"}


def test_openapi_documents_problem_responses() -> None:
    responses = APP.openapi()["paths"]["/items"]["post"]["responses"]
    assert PROBLEM_MEDIA_TYPE in responses["409"]["content"]


# --- bodies ------------------------------------------------------------------------------------------


def test_body_within_the_limit() -> None:
    assert call("POST", "/body", content=b"x" * LIMIT).json() == {"bytes": LIMIT}


def test_content_length_over_the_limit_is_refused_before_reading() -> None:
    received: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        message = {"type": "http.request", "body": b"x" * 10, "more_body": True}
        received.append(message)
        return message

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/body",
        "raw_path": b"/body",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"node"), (b"content-length", str(LIMIT + 1).encode())],
        "server": ("node", 80),
        "client": ("127.0.0.1", 1),
    }
    asyncio.run(APP(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
    assert received == []
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["code"] == "PAYLOAD_TOO_LARGE"


def test_chunked_body_over_the_limit_stops_early() -> None:
    produced = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal produced
        for _ in range(100):
            produced += 1
            yield b"y" * 300

    response = call("POST", "/body", content=chunks())
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert produced <= 5  # 4 chunks pass 1000 bytes; the other 96 were never read


def test_bad_content_length_is_400() -> None:
    response = call("POST", "/body", content=b"abc", headers={"Content-Length": "-1"})
    assert_problem(response, 400, "REQUEST_INVALID")


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"a": NaN}', b'{"a": 1, "a": 2}', b"\xff", b"[" * 65 + b"]" * 65, b"9007199254740993"],
    ids=["truncated", "nan", "duplicate-key", "bad-utf8", "too-deep", "big-int"],
)
def test_json_malformed_bodies(raw: bytes) -> None:
    assert_problem(call("POST", "/json", content=raw), 400, "JSON_MALFORMED")


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"a": NaN}', b'{"a": 1, "a": 2}', b"\xff", b"[" * 65 + b"]" * 65, b"9007199254740993"],
    ids=["truncated", "nan", "duplicate-key", "bad-utf8", "too-deep", "big-int"],
)
def test_the_registered_handler_answers_malformed_json_as_a_manual_translation_did(raw: bytes) -> None:
    handled = call("POST", "/json", content=raw, headers={"X-Request-ID": "same-id"})
    translated = call("POST", "/json-translated", content=raw, headers={"X-Request-ID": "same-id"})
    assert handled.status_code == translated.status_code == 400
    assert handled.headers["content-type"] == translated.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert handled.json() == translated.json()
    assert handled.json()["code"] == "JSON_MALFORMED"


@pytest.mark.parametrize("code", sorted(HTTP_STATUS), ids=str)
def test_problem_error_takes_its_status_from_the_table(code: Code) -> None:
    assert ProblemError(code, "detail").status == HTTP_STATUS[code]
    assert_problem(call("GET", f"/problem/{code.value}"), HTTP_STATUS[code], code.value)


def test_an_explicit_status_wins_and_a_code_without_one_is_a_500() -> None:
    assert ProblemError(Code.SCHEMA_INVALID, "refused by the pre-check", status=422).status == 422
    assert ProblemError(Code.GEOMETRY_INVALID, "bad farm polygon", status=400).status == 400
    assert Code.RECEIPT_INVALID not in HTTP_STATUS
    assert ProblemError(Code.RECEIPT_INVALID, "no status in the table").status == 500


def test_strict_json_body_parses() -> None:
    assert call("POST", "/json", content=b'{"a": [1, 2.5, "x"]}').json() == {"a": [1, 2.5, "x"]}
