"""Intake from outside: every published submission vector, receipts verified with only the sandbox's keys."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from sqlalchemy import select

from pilot.vectors import build_vectors
from port_node.tables import SUBMISSIONS
from tests.port_node.port_harness import PortHarness, check_receipt, fresh_submission

pytestmark = [pytest.mark.anyio, pytest.mark.db]


@functools.cache
def vector_files() -> dict[str, bytes]:
    files: dict[str, bytes] = build_vectors()
    return files


def submission_vectors(expect_accept: bool) -> list[str]:
    expected = json.loads(vector_files()["expected.json"])
    return sorted(
        name
        for name, item in expected.items()
        if item["kind"] == "submission" and (item["expect"] == "accept") == expect_accept
    )


def vector(name: str) -> tuple[bytes, str, str]:
    """(file bytes, expected verdict, the exporter that sends it)."""
    expected = json.loads(vector_files()["expected.json"])[name]
    folder = "valid" if expected["expect"] == "accept" else "invalid"
    data = vector_files()[f"{folder}/{name}"]
    submission_id = json.loads(data)["submissionId"]  # vec-<exporter>-<case>
    exporter = "-".join(submission_id.split("-")[1:4])
    return data, expected["expect"], exporter


async def post_raw(harness: PortHarness, exporter: str, body: bytes) -> Any:
    async with harness.client(exporter) as client:
        return await client.post("/v1/submissions", content=body, headers={"content-type": "application/json"})


async def test_every_valid_vector_is_accepted_with_a_verifiable_receipt(harness: PortHarness) -> None:
    for index, name in enumerate(submission_vectors(True)):
        data, _, exporter = vector(name)
        response = await post_raw(harness, exporter, data)
        assert response.status_code == 201, (name, response.text)
        assert response.headers["content-type"] == "application/json"
        receipt = check_receipt(response.content, expect_index=index)
        subject = receipt["credentialSubject"]
        assert subject["decision"] == "accepted", (name, subject["reasons"])
        assert subject["submissionId"] == json.loads(data)["submissionId"]
        assert subject["exporter"] == f"did:web:pilot.example:{exporter}"


@pytest.mark.parametrize("name", submission_vectors(False))
async def test_invalid_vector_gets_a_receipt_with_its_code(harness: PortHarness, name: str) -> None:
    data, code, exporter = vector(name)
    response = await post_raw(harness, exporter, data)
    assert response.status_code == 201, response.text
    subject = check_receipt(response.content, expect_index=0)["credentialSubject"]
    assert subject["decision"] == "rejected"
    assert code in [reason["code"] for reason in subject["reasons"]]


async def test_personal_data_is_never_stored(harness: PortHarness) -> None:
    data, code, exporter = vector("submission-data-category-personal.json")
    response = await post_raw(harness, exporter, data)
    assert response.status_code == 201
    with harness.port.engine.connect() as connection:
        row = connection.execute(select(SUBMISSIONS.c.content, SUBMISSIONS.c.reason_codes)).one()
    assert row.content is None and code in row.reason_codes
    assert b"Ivanov" not in response.content


async def test_accepted_content_is_stored_canonically(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-04", "stored")
    response = await harness.submit("ru-exp-04", document)
    assert response.status_code == 201
    with harness.port.engine.connect() as connection:
        content = connection.execute(select(SUBMISSIONS.c.content)).scalar_one()
    assert json.loads(content) == document


async def test_resubmission_returns_the_same_bytes_and_adds_no_leaf(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-01", "again")
    first = await harness.submit("ru-exp-01", document)
    assert first.status_code == 201
    # Same content, other whitespace and key order: the same submission.
    reordered = json.dumps(dict(reversed(list(document.items()))), indent=1).encode()
    second = await post_raw(harness, "ru-exp-01", reordered)
    assert second.status_code == 200
    assert second.content == first.content
    assert harness.port.log.size == 1


async def test_same_id_other_content_is_a_conflict(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-01", "conflict")
    assert (await harness.submit("ru-exp-01", document)).status_code == 201
    document["credentials"] = document["credentials"][:-1]
    response = await harness.submit("ru-exp-01", document)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "DUPLICATE_CONFLICT"
    assert harness.port.log.size == 1


async def test_same_id_from_another_exporter_is_its_own_submission(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-01", "shared-id")
    assert (await harness.submit("ru-exp-01", document)).status_code == 201
    response = await harness.submit("ru-exp-02", document)
    assert response.status_code == 201
    reasons = [r["code"] for r in response.json()["credentialSubject"]["reasons"]]
    assert "MANIFEST_EXPORTER_MISMATCH" in reasons
