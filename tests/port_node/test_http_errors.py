"""HTTP-level refusals of the intake and the read routes: a table of named cases, each status and code."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from node_core.http_signatures import sign_request
from pilot.synthetic import Signer
from tests.port_node.port_harness import PortHarness, as_body, fresh_submission, sandbox, signer_for

pytestmark = [pytest.mark.anyio, pytest.mark.db]

JSON = {"content-type": "application/json"}


def _valid_body() -> bytes:
    return as_body(fresh_submission("ru-exp-01", "errors"))


async def _signed_post(
    harness: PortHarness, body: bytes, participant: str = "ru-exp-01", label: str = "key-1"
) -> httpx.Response:
    async with harness.client(participant, label) as client:
        return await client.post("/v1/submissions", content=body, headers=JSON)


async def _unsigned(harness: PortHarness) -> httpx.Response:
    async with harness.client() as client:
        return await client.post("/v1/submissions", content=_valid_body(), headers=JSON)


async def _replayed(harness: PortHarness) -> httpx.Response:
    entry = Signer(sandbox().keyrings).key("ru-exp-01")
    async with harness.client() as client:
        request = client.build_request("POST", "/v1/submissions", content=_valid_body(), headers=JSON)
        sign_request(request, entry.private_key, entry.verification_method)
        first = await client.send(request)
        assert first.status_code == 201
        return await client.send(request)


async def _tampered_body(harness: PortHarness) -> httpx.Response:
    entry = Signer(sandbox().keyrings).key("ru-exp-01")
    async with harness.client() as client:
        request = client.build_request("POST", "/v1/submissions", content=_valid_body(), headers=JSON)
        sign_request(request, entry.private_key, entry.verification_method)
        forged = client.build_request(
            "POST", "/v1/submissions", content=_valid_body().replace(b"rail", b"road"), headers=dict(request.headers)
        )
        return await client.send(forged)


async def _signed_long_ago(harness: PortHarness) -> httpx.Response:
    entry = Signer(sandbox().keyrings).key("ru-exp-01")
    async with harness.client() as client:
        request = client.build_request("POST", "/v1/submissions", content=_valid_body(), headers=JSON)
        sign_request(request, entry.private_key, entry.verification_method, now=time.time() - 301)
        return await client.send(request)


async def _certifier_signs(harness: PortHarness) -> httpx.Response:
    return await _signed_post(harness, _valid_body(), "cert-01")


async def _port_signs(harness: PortHarness) -> httpx.Response:
    return await _signed_post(harness, _valid_body(), "cn-port-02")


async def _revoked_request_key(harness: PortHarness) -> httpx.Response:
    return await _signed_post(harness, _valid_body(), "ru-exp-02", "key-0")


async def _too_large(harness: PortHarness) -> httpx.Response:
    return await _signed_post(harness, b'{"pad": "' + b"x" * (1024 * 1024) + b'"}')


async def _too_large_chunked(harness: PortHarness) -> httpx.Response:
    # Signed (an unsigned body is never read: 401), then sent chunked with no Content-Length.
    body = b" " * (40 * 65536)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    entry = Signer(sandbox().keyrings).key("ru-exp-01")
    async with harness.client() as client:
        signed = client.build_request("POST", "/v1/submissions", content=body, headers=JSON)
        sign_request(signed, entry.private_key, entry.verification_method)
        names = ("content-type", "content-digest", "signature-input", "signature")
        headers = {name: signed.headers[name] for name in names}
        return await client.post("/v1/submissions", content=chunks(), headers=headers)


def _body_case(body: bytes) -> Callable[[PortHarness], Awaitable[httpx.Response]]:
    async def send(harness: PortHarness) -> httpx.Response:
        return await _signed_post(harness, body)

    return send


@dataclass(frozen=True)
class Case:
    send: Callable[[PortHarness], Awaitable[httpx.Response]]
    status: int
    code: str


CASES: dict[str, Case] = {
    "unsigned": Case(_unsigned, 401, "REQUEST_SIGNATURE_INVALID"),
    "replayed-nonce": Case(_replayed, 401, "REQUEST_REPLAYED"),
    "body-changed-after-signing": Case(_tampered_body, 401, "REQUEST_SIGNATURE_INVALID"),
    "signature-created-301-s-ago": Case(_signed_long_ago, 401, "REQUEST_SIGNATURE_INVALID"),
    "revoked-request-key": Case(_revoked_request_key, 401, "REQUEST_SIGNATURE_INVALID"),
    "certifier-is-not-an-exporter": Case(_certifier_signs, 403, "FORBIDDEN"),
    "port-is-not-an-exporter": Case(_port_signs, 403, "FORBIDDEN"),
    "over-1-mib": Case(_too_large, 413, "PAYLOAD_TOO_LARGE"),
    "over-1-mib-chunked": Case(_too_large_chunked, 413, "PAYLOAD_TOO_LARGE"),
    "not-json": Case(_body_case(b"submission please"), 400, "JSON_MALFORMED"),
    "invalid-utf8": Case(_body_case(b'{"submissionId": "\xff"}'), 400, "JSON_MALFORMED"),
    "nan": Case(_body_case(b'{"submissionId": NaN}'), 400, "JSON_MALFORMED"),
    "duplicate-key": Case(_body_case(b'{"submissionId": "a", "submissionId": "b"}'), 400, "JSON_MALFORMED"),
    "integer-beyond-2-53": Case(_body_case(b'{"n": 9007199254740993}'), 400, "JSON_MALFORMED"),
    "integer-2-53-exactly": Case(_body_case(b'{"n": 9007199254740992}'), 400, "JSON_MALFORMED"),
    "nesting-65": Case(_body_case(b"[" * 65 + b"]" * 65), 400, "JSON_MALFORMED"),
    "nesting-100000": Case(_body_case(b"[" * 100_000 + b"]" * 100_000), 400, "JSON_MALFORMED"),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_refused_request(harness: PortHarness, name: str) -> None:
    case = CASES[name]
    response = await case.send(harness)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == case.code
    assert problem["status"] == case.status
    assert problem["instance"].startswith("urn:pilot:request:")
    # Refused requests leave no trace in the log (the replay case logged its first, valid request).
    assert harness.port.log.size == (1 if name == "replayed-nonce" else 0)


async def test_nesting_64_is_parsed_and_gets_a_receipt(harness: PortHarness) -> None:
    response = await _signed_post(harness, b"[" * 64 + b"]" * 64)
    assert response.status_code == 201
    assert response.json()["credentialSubject"]["reasons"][0]["code"] == "SCHEMA_INVALID"


async def test_no_trust_list_is_503(tmp_path: object, database_url: str) -> None:
    from pathlib import Path

    from tests.port_node.port_harness import make_harness

    harness = make_harness(Path(str(tmp_path)), database_url)
    try:
        (harness.data_dir / "trust-list.json").write_text("{}")
        harness.restart()
        response = await _signed_post(harness, _valid_body())
        assert response.status_code == 503
        assert response.json()["code"] == "TRUST_LIST_STALE"
    finally:
        harness.close()


# -- reading back ---------------------------------------------------------------------------------------


async def test_reads_are_for_the_submitter_and_the_operator_only(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-03", "private")
    created = await harness.submit("ru-exp-03", document)
    assert created.status_code == 201
    sid = document["submissionId"]

    async with harness.client("ru-exp-03") as owner:
        receipt = await owner.get(f"/v1/receipts/{sid}")
        record = await owner.get(f"/v1/submissions/{sid}")
    assert receipt.status_code == 200 and receipt.content == created.content
    assert record.status_code == 200
    body = record.json()
    assert body["submission"] == document and body["contentStored"] is True
    assert body["decision"] == "accepted" and body["logIndex"] == 0

    async with harness.client("ru-exp-04") as other:
        answers = [
            await other.get(path)
            for path in (f"/v1/receipts/{sid}", f"/v1/submissions/{sid}", "/v1/receipts/nothing-here")
        ]
    # Someone else's submission looks exactly like one that does not exist.
    assert {r.status_code for r in answers} == {404}
    assert len({(r.json()["code"], r.json()["detail"]) for r in answers}) == 1

    async with harness.client(headers={"authorization": f"Bearer {harness.operator_token}"}) as operator:
        assert (await operator.get(f"/v1/receipts/{sid}")).content == created.content
        assert (await operator.get(f"/v1/submissions/{sid}?exporter=ru-exp-03")).status_code == 200
        assert (await operator.get(f"/v1/submissions/{sid}?exporter=ru-exp-04")).status_code == 404

    async with harness.client(headers={"authorization": "Bearer wrong"}) as intruder:
        response = await intruder.get(f"/v1/receipts/{sid}")
        assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"
    async with harness.client() as anonymous:
        response = await anonymous.get(f"/v1/receipts/{sid}")
        assert response.status_code == 401 and response.json()["code"] == "REQUEST_SIGNATURE_INVALID"
    async with harness.client("cert-01") as certifier:
        assert (await certifier.get(f"/v1/receipts/{sid}")).status_code == 403


async def test_signed_get_cannot_be_replayed(harness: PortHarness) -> None:
    async with harness.client() as client:
        request = client.build_request("GET", "/v1/receipts/anything")
        signer = signer_for("ru-exp-01")
        flow = signer.auth_flow(request)
        signed = next(flow)
        assert (await client.send(signed)).status_code == 404
        replay = await client.send(signed)
        assert replay.status_code == 401 and replay.json()["code"] == "REQUEST_REPLAYED"


# -- batch ------------------------------------------------------------------------------------------------


async def test_batch_commits_each_item_on_its_own(harness: PortHarness) -> None:
    first = fresh_submission("ru-exp-01", "batch-1")
    second = fresh_submission("ru-exp-01", "batch-2")
    conflicting = dict(first, credentials=first["credentials"][:-1])
    body = as_body({"submissions": [first, second, first, conflicting, "not a submission"]})
    async with harness.client("ru-exp-01") as client:
        response = await client.post("/v1/submissions:batch", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 200, 409, 201]
    assert results[2]["receipt"] == results[0]["receipt"]
    assert results[3]["problem"]["code"] == "DUPLICATE_CONFLICT"
    assert results[4]["receipt"]["credentialSubject"]["decision"] == "rejected"
    assert [r["receipt"]["credentialSubject"]["log"]["index"] for r in results if r["status"] == 201] == [0, 1, 2]
    # The single route agrees with what the batch stored.
    again = await harness.submit("ru-exp-01", second)
    assert again.status_code == 200 and again.json() == results[1]["receipt"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"submissions": {}}', 400, "REQUEST_INVALID"),
        (b'{"submissions": [], "extra": 1}', 400, "REQUEST_INVALID"),
        (b"[]", 400, "REQUEST_INVALID"),
        (b'{"submissions": [' + b",".join([b"{}"] * 1001) + b"]}", 400, "REQUEST_INVALID"),
        (b'{"submissions": [1, 1, NaN]}', 400, "JSON_MALFORMED"),
        (b'{"submissions": [' + b"[" * 65 + b"]" * 65 + b"]}", 400, "JSON_MALFORMED"),
    ],
    ids=["not-a-list", "extra-member", "not-an-object", "1001-items", "nan", "item-too-deep"],
)
async def test_batch_refusals(harness: PortHarness, body: bytes, status: int, code: str) -> None:
    async with harness.client("ru-exp-01") as client:
        response = await client.post("/v1/submissions:batch", content=body, headers=JSON)
    assert response.status_code == status and response.json()["code"] == code
    assert harness.port.log.size == 0


async def test_batch_limit_is_16_mib(harness: PortHarness) -> None:
    body = b'{"submissions": ["' + b"x" * (16 * 1024 * 1024) + b'"]}'
    async with harness.client("ru-exp-01") as client:
        response = await client.post("/v1/submissions:batch", content=body, headers=JSON)
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"
