"""``node_core.port_client``: every answer mapped at the boundary, errors split by blame, reads bounded.

The network is ``httpx.MockTransport`` (a scripted port) or the real port app through
``httpx.ASGITransport``. The sync and async clients are driven through the same cases.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.http_signatures import RequestSigner
from node_core.port_client import (
    PAGE_SIZE,
    WITNESS_SIZE_TYPE,
    PeerAnswerInvalid,
    PeerRefused,
    PeerUnavailable,
    PortClient,
    SizeConflict,
    Submitted,
    SyncPortClient,
    WitnessHeld,
    problem_code,
)
from node_core.settings import NodeSettings
from pilot.sandbox import DEFAULT_SEED, build_sandbox, write_sandbox
from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment
from schemas.identifiers import log_origin

pytestmark = pytest.mark.anyio

URL = "http://port.test"
Handler = Callable[[httpx.Request], httpx.Response]


def answering(status: int, **response: Any) -> Handler:
    """A port answering every request with ``httpx.Response(status, **response)`` (a new one each time)."""
    return lambda request: httpx.Response(status, **response)


def problem(status: int, code: str) -> Handler:
    body = {"type": "about:blank", "title": code, "status": status, "code": code, "detail": "scripted"}
    return answering(status, json=body, headers={"content-type": "application/problem+json"})


def refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def sync_client(handler: Handler, **options: Any) -> SyncPortClient:
    return SyncPortClient(URL, transport=httpx.MockTransport(handler), **options)


def async_client(handler: Handler, **options: Any) -> PortClient:
    return PortClient(URL, transport=httpx.MockTransport(handler), **options)


async def both(handler: Handler, call: Callable[[Any], Any], **options: Any) -> list[Any]:
    """``call`` made with the sync client, then the async one: what each returned or raised."""
    outcomes: list[Any] = []
    with sync_client(handler, **options) as port:
        try:
            outcomes.append(call(port))
        except Exception as exc:
            outcomes.append(exc)
    async with async_client(handler, **options) as aport:
        try:
            outcomes.append(await call(aport))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent in chunks, without a Content-Length, to either client."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def submit(port: Any) -> Any:
    return port.submit(b'{"submissionId":"s-1"}')


def checkpoint(port: Any) -> Any:
    return port.checkpoint()


# --- the status decides the blame ----------------------------------------------------------------------


async def test_a_receipt_comes_back_with_its_status() -> None:
    for status in (200, 201):
        outcomes = await both(answering(status, content=b'{"r":1}'), submit)
        assert outcomes == [Submitted(status, b'{"r":1}')] * 2


@pytest.mark.parametrize(("status", "code"), [(503, "LOG_UNAVAILABLE"), (429, "RATE_LIMITED"), (500, "INTERNAL")])
async def test_busy_or_broken_is_unavailable_with_the_problem_code(status: int, code: str) -> None:
    for outcome in await both(problem(status, code), submit):
        assert isinstance(outcome, PeerUnavailable)
        assert (outcome.status, outcome.code, outcome.detail) == (status, code, f"HTTP {status} {code}")
        assert str(outcome) == f"POST /v1/submissions: HTTP {status} {code}"


@pytest.mark.parametrize(("status", "code"), [(400, "JSON_MALFORMED"), (409, "DUPLICATE_CONFLICT"), (422, "X")])
async def test_a_4xx_problem_is_a_refusal_with_its_code_and_the_body(status: int, code: str) -> None:
    for outcome in await both(problem(status, code), submit):
        assert isinstance(outcome, PeerRefused) and not isinstance(outcome, SizeConflict)
        assert (outcome.code, outcome.status) == (code, status)
        assert outcome.detail.startswith(f"HTTP {status}: {{") and '"detail":"scripted"' in outcome.detail


async def test_a_4xx_without_a_problem_is_refused_as_http_status() -> None:
    for outcome in await both(answering(418, text="teapot"), checkpoint):
        assert isinstance(outcome, PeerRefused)
        assert (outcome.code, outcome.detail) == ("HTTP_418", "HTTP 418: teapot")


async def test_a_transport_error_is_unavailable_without_a_status() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("scripted timeout", request=request)

    for handler, name in ((refusing, "ConnectError"), (timeout, "ReadTimeout")):
        for outcome in await both(handler, checkpoint):
            assert isinstance(outcome, PeerUnavailable)
            assert outcome.status is None and outcome.detail.startswith(f"{name}: ")


async def test_an_unexpected_status_is_retried_for_a_submission_and_refused_for_a_read() -> None:
    moved = answering(302, headers={"location": "/elsewhere"})
    for outcome in await both(moved, submit):
        assert isinstance(outcome, PeerUnavailable)
        assert (outcome.status, outcome.detail) == (302, "unexpected HTTP 302")
    for outcome in await both(moved, lambda port: port.consistency_proof(1, 2)):
        assert isinstance(outcome, PeerRefused) and (outcome.status, outcome.code) == (302, "HTTP_302")


def test_problem_code_reads_only_a_problem() -> None:
    assert problem_code(b'{"code":"FORBIDDEN"}') == "FORBIDDEN"
    assert problem_code(b'{"code":1}') is None
    assert problem_code(b"[]") is None
    assert problem_code(b"not json") is None
    assert problem_code(None) is None


# --- bounded reads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("announce", [True, False])
async def test_an_answer_beyond_the_bound_is_not_read_and_its_status_still_decides(announce: bool) -> None:
    big = b"{" * 100

    def answer(status: int) -> Handler:
        def handle(request: httpx.Request) -> httpx.Response:
            if announce:
                return httpx.Response(status, content=big)
            return httpx.Response(status, stream=Chunks([big[:50], big[50:]]))  # no Content-Length

        return handle

    limit = {"max_answer_bytes": 64}
    for outcome in await both(answer(201), submit, **limit):
        assert isinstance(outcome, PeerAnswerInvalid) and outcome.status == 201
        assert "larger than 64 bytes" in outcome.detail
    for outcome in await both(answer(503), submit, **limit):
        assert isinstance(outcome, PeerUnavailable) and outcome.status == 503 and outcome.code is None
        assert "larger than 64 bytes" in outcome.detail
    for outcome in await both(answer(422), submit, **limit):
        assert isinstance(outcome, PeerRefused) and outcome.code == "HTTP_422"
        assert "larger than 64 bytes" in outcome.detail


async def test_an_answer_slower_than_the_deadline_is_unavailable() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, text="late")

    async with PortClient(URL, transport=httpx.MockTransport(slow), answer_deadline_s=0.05) as port:
        with pytest.raises(PeerUnavailable, match="took longer than 0 s") as caught:
            await port.checkpoint()
    assert caught.value.status is None


async def test_every_request_asks_for_the_body_undecoded_and_is_signed_when_a_signer_is_given() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="note")

    key = Signer(build_sandbox().keyrings).key("ru-exp-01", "key-1")
    signer = RequestSigner(key.private_key, key.verification_method)
    await both(handle, checkpoint)
    await both(handle, checkpoint, signer=signer)
    assert [r.headers["accept-encoding"] for r in seen] == ["identity"] * 4
    assert ["signature" in r.headers for r in seen] == [False, False, True, True]


async def test_a_client_given_is_not_closed() -> None:
    given = httpx.AsyncClient(transport=httpx.MockTransport(answering(200, text="note")))
    async with PortClient(URL, client=given) as port:
        assert await port.checkpoint() == "note"
    assert not given.is_closed
    await given.aclose()


# --- what the answers must be ---------------------------------------------------------------------------


def proof_answer(document: Any) -> Handler:
    return answering(200, content=json.dumps(document).encode())


async def test_a_proof_is_kept_as_served_and_its_hashes_checked() -> None:
    hashes = [bytes([i]) * 32 for i in range(2)]
    served = {"first": 1, "second": 3, "proof": [base64.b64encode(h).decode() for h in hashes]}
    for proof in await both(proof_answer(served), lambda port: port.consistency_proof(1, 3)):
        assert proof.document == served and proof.hashes() == hashes
    malformed: list[Any] = [
        {**served, "second": 4},  # for another tree
        {**served, "proof": ["not base64!"]},
        {**served, "proof": "AAAA"},
        {"first": 1, "second": 3},
    ]
    for document in malformed:
        for proof in await both(proof_answer(document), lambda port: port.consistency_proof(1, 3)):
            with pytest.raises(PeerAnswerInvalid, match="the proof is malformed"):
                proof.hashes()
    for outcome in await both(proof_answer([1, 2]), lambda port: port.inclusion_proof(0, 1)):
        assert isinstance(outcome, PeerAnswerInvalid) and "not a JSON object" in outcome.detail
    for outcome in await both(answering(200, content=b'{"a":1,"a":2}'), lambda p: p.trust_list()):
        assert isinstance(outcome, PeerAnswerInvalid) and "not strict JSON" in outcome.detail


def entries_port(size: int, *, skip: int | None = None) -> tuple[Handler, list[tuple[int, int]]]:
    asked: list[tuple[int, int]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        start, end = int(request.url.params["start"]), int(request.url.params["end"])
        asked.append((start, end))
        items = [{"index": i, "entry": {"v": 1, "n": i}} for i in range(start, min(end, size)) if i != skip]
        return httpx.Response(200, json={"entries": items})

    return handle, asked


async def test_entries_are_paged_and_must_be_exactly_the_indexes_asked() -> None:
    handle, asked = entries_port(2 * PAGE_SIZE + 500)
    for entries in await both(handle, lambda port: port.entries(0, 2 * PAGE_SIZE + 500)):
        assert [e.index for e in entries] == list(range(2 * PAGE_SIZE + 500))
        assert entries[7].entry == {"v": 1, "n": 7}
    pages = [(0, PAGE_SIZE), (PAGE_SIZE, 2 * PAGE_SIZE), (2 * PAGE_SIZE, 2 * PAGE_SIZE + 500)]
    assert asked == pages * 2
    assert await both(handle, lambda port: port.entries(5, 5)) == [[], []]
    gap, _ = entries_port(10, skip=3)
    for outcome in await both(gap, lambda port: port.entries(0, 10)):
        assert isinstance(outcome, PeerAnswerInvalid)
        assert (
            str(outcome) == "GET /v1/log/entries?start=0&end=10: entries 0..10 are not exactly those indexes, in order"
        )


async def test_the_witness_answers() -> None:
    for held in await both(proof_answer({"size": 3, "note": "n"}), lambda port: port.witness_latest("o")):
        assert held == WitnessHeld(3, "n")
    for held in await both(proof_answer({"size": 0, "note": None}), lambda port: port.witness_latest("o")):
        assert held == WitnessHeld(0, None)
    for size in ("99999999999999999999", -1, True, None):
        for outcome in await both(proof_answer({"size": size}), lambda port: port.witness_latest("o")):
            assert isinstance(outcome, PeerAnswerInvalid) and "no usable size" in outcome.detail

    def conflict(text: str) -> Handler:
        return answering(409, text=text, headers={"content-type": WITNESS_SIZE_TYPE})

    add = lambda port: port.add_checkpoint(b"old 0\n\nnote")  # noqa: E731
    for outcome in await both(conflict("5\n"), add):
        assert isinstance(outcome, SizeConflict) and outcome.held_size == 5
    for outcome in await both(conflict("many\n"), add):
        assert isinstance(outcome, SizeConflict) and outcome.held_size is None and outcome.detail == "many\n"
    for outcome in await both(problem(409, "CHECKPOINT_CONFLICT"), add):
        assert isinstance(outcome, PeerRefused) and not isinstance(outcome, SizeConflict)
    assert await both(answering(200, text="— line\n"), add) == ["— line\n"] * 2


# --- against the real port app ----------------------------------------------------------------------------


@pytest.mark.db
async def test_the_real_port_through_the_client(tmp_path: Path, database_url: str) -> None:
    from port_node.app import create_app

    sandbox = build_sandbox()
    write_sandbox(sandbox, tmp_path / "data")
    settings = NodeSettings(
        node_id="cn-port-01", data_dir=tmp_path / "data", database_url=database_url, public_origins=[URL]
    )
    app = create_app(settings)
    world = build_world(DEFAULT_SEED, "ru-exp-01")
    parts = plan_consignment(DEFAULT_SEED, world, "t-client-1", "cn-port-01", "rail")
    body = json.dumps(sign_consignment(DEFAULT_SEED, parts, Signer(sandbox.keyrings)).submission).encode()
    key = Signer(sandbox.keyrings).key("ru-exp-01", "key-1")
    signer = RequestSigner(key.private_key, key.verification_method)
    transport = httpx.ASGITransport(app=app)
    try:
        async with PortClient(URL, signer=signer, transport=transport) as port:
            first = await port.submit(body)
            again = await port.submit(body)
            assert (first.status, again.status, again.receipt) == (201, 200, first.receipt)
            note = await port.checkpoint()
            assert note.startswith(f"{log_origin('cn-port-01')}\n1\n")
            (entry,) = await port.entries(0, 1)
            assert entry.index == 0 and entry.entry["submissionId"] == "t-client-1"
            assert (await port.consistency_proof(1, 1)).hashes() == []
            assert (await port.inclusion_proof(0, 1)).hashes() == []
            assert await port.witness_latest(log_origin("cn-port-02")) == WitnessHeld(0, None)
            with pytest.raises(PeerRefused) as refused:
                await port.consistency_proof(2, 1)
            assert (refused.value.status, refused.value.code) == (400, "REQUEST_INVALID")
        async with PortClient(URL, transport=transport) as unsigned:
            with pytest.raises(PeerRefused) as refused:
                await unsigned.submit(body)
            assert (refused.value.status, refused.value.code) == (401, "REQUEST_SIGNATURE_INVALID")
    finally:
        app.state.node.close()
