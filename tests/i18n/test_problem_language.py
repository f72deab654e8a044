"""Problem details in the language of ``Accept-Language``, the code and every other member unchanged.

docs/design.md §6, "Languages". A port over a fresh database (``harness``, in-process: ``httpx.ASGITransport``);
``tests/e2e/processes/test_problem_language.py`` asks a real port process the same over a socket.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.port_node.port_harness import PortHarness, as_body, fresh_submission

pytestmark = [pytest.mark.anyio]

JSON = {"content-type": "application/json"}

UNSIGNED = {
    "en": ("Request signature invalid", "request is not signed: Signature-Input and Signature are required"),
    "ru": ("Подпись запроса недействительна", "запрос не подписан: нужны заголовки Signature-Input и Signature"),
    "zh": ("请求签名无效", "请求未签名：需要 Signature-Input 和 Signature"),
}


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, Any] = response.json()
    return body


async def refuse_unsigned(harness: PortHarness, accept_language: str | None) -> httpx.Response:
    headers = {**JSON, **({"accept-language": accept_language} if accept_language else {})}
    async with harness.client() as client:
        document = fresh_submission("ru-exp-01", "lang")
        return await client.post("/v1/submissions", content=as_body(document), headers=headers)


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [(None, "en"), ("ru", "ru"), ("zh", "zh"), ("zh-Hans-CN, en;q=0.5", "zh"), ("fr, ru;q=0.3", "ru"), ("de", "en")],
)
async def test_a_refused_submission_is_explained_in_the_asked_language(
    harness: PortHarness, accept_language: str | None, language: str
) -> None:
    response = await refuse_unsigned(harness, accept_language)
    assert response.status_code == 401
    body = problem(response)
    assert (body["title"], body["detail"]) == UNSIGNED[language]
    assert body["code"] == "REQUEST_SIGNATURE_INVALID"
    assert body["type"] == "https://pilot.example/problems/request-signature-invalid"
    assert body["status"] == 401
    assert response.headers["content-language"] == language
    assert "accept-language" in response.headers["vary"].lower()


async def test_only_title_and_detail_change_with_the_language(harness: PortHarness) -> None:
    english = problem(await refuse_unsigned(harness, "en"))
    chinese = problem(await refuse_unsigned(harness, "zh"))
    changed = {key for key in english if english[key] != chinese[key]}
    assert changed <= {"title", "detail", "instance"}  # instance: the request id of each request
    assert set(english) == set(chinese)


async def test_a_detail_with_values_is_translated_around_them(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-02", "lang-dup")
    assert (await harness.submit("ru-exp-02", document)).status_code == 201
    changed = {**document, "credentials": document["credentials"][:1]}
    async with harness.client("ru-exp-02") as client:
        response = await client.post(
            "/v1/submissions", content=as_body(changed), headers={**JSON, "accept-language": "ru"}
        )
    assert response.status_code == 409
    body = problem(response)
    submission_id = document["submissionId"]
    assert body["detail"] == f"ru-exp-02 уже подал {submission_id} с другим содержимым"
    assert (body["code"], body["submissionId"]) == ("DUPLICATE_CONFLICT", submission_id)


async def test_a_problem_made_before_the_route_is_translated_too(harness: PortHarness) -> None:
    # The body limit answers from the request framing, outside the routes.
    limit = harness.port.settings.max_body_bytes
    async with harness.client("ru-exp-01") as client:
        response = await client.post(
            "/v1/submissions", content=b"{" + b" " * limit + b"}", headers={**JSON, "accept-language": "zh"}
        )
    body = problem(response)
    assert (response.status_code, body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert (body["title"], body["detail"]) == ("请求内容过大", f"请求体超过 {limit} 字节")


async def test_starlettes_own_answers_are_translated(harness: PortHarness) -> None:
    async with harness.client() as client:
        response = await client.get("/no/such/route", headers={"accept-language": "ru"})
    body = problem(response)
    assert (response.status_code, body["code"], body["title"], body["detail"]) == (
        404,
        "NOT_FOUND",
        "Не найдено",
        "Не найдено",
    )


async def test_problems_inside_a_batch_follow_the_request_language(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-03", "lang-batch")
    assert (await harness.submit("ru-exp-03", document)).status_code == 201
    other = {**document, "credentials": document["credentials"][:1]}
    async with harness.client("ru-exp-03") as client:
        response = await client.post(
            "/v1/submissions:batch",
            content=as_body({"submissions": [other]}),
            headers={**JSON, "accept-language": "zh"},
        )
    assert response.status_code == 200
    (item,) = json.loads(response.content)["results"]
    assert item["problem"]["code"] == "DUPLICATE_CONFLICT"
    assert item["problem"]["title"] == "重复提交冲突"
    assert "已经以不同内容提交过" in item["problem"]["detail"]
