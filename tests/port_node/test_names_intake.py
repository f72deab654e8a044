"""A submission whose names are Cyrillic and decomposed (NFD), through a port over HTTP: the receipt (issued
under the port's Hanzi name), the stored record and the log keep every code point as it was signed."""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

import pytest

from schemas.digest import canonical_digest
from schemas.merkle import leaf_hash
from schemas.receipt import leaf_input_of, log_entry_of
from tests.port_node.port_harness import PortHarness, check_receipt, fresh_submission

pytestmark = [pytest.mark.anyio, pytest.mark.db]

FARM = "Птицефабрика «Бере\u0308зка»"
PORT_NAME = "满洲里铁路口岸管理局（虚构）"


def _facility_names(submission: dict[str, Any]) -> list[str]:
    return [
        item["@value"]
        for credential in submission["credentials"]
        if "DigitalFacilityRecord" in credential.get("type", [])
        for item in credential["credentialSubject"]["facility"].get("names", [])
    ]


async def test_names_reach_the_receipt_the_store_and_the_log_untouched(harness: PortHarness) -> None:
    submission = fresh_submission("ru-exp-01", "names")
    assert FARM in _facility_names(submission) and unicodedata.normalize("NFC", FARM) != FARM

    response = await harness.submit("ru-exp-01", submission)
    assert response.status_code == 201, response.text
    receipt = check_receipt(response.content, expect_index=0)
    subject = receipt["credentialSubject"]
    assert subject["decision"] == "accepted", subject["reasons"]
    assert receipt["issuer"]["name"] == PORT_NAME
    assert PORT_NAME.encode() in response.content  # UTF-8 on the wire, not \\u escapes
    # The digest is over the submission's RFC 8785 bytes as we sent them: a port that normalised would differ.
    assert subject["submissionDigest"] == canonical_digest(submission)

    operator = {"authorization": f"Bearer {harness.operator_token}"}
    async with harness.client(headers=operator) as client:
        record = (await client.get(f"/v1/submissions/{submission['submissionId']}")).json()
        entries = (await client.get("/v1/log/entries?start=0&end=1")).json()["entries"]
    assert record["contentStored"] is True
    assert record["submission"] == submission
    assert FARM in _facility_names(record["submission"])

    entry = entries[0]["entry"]
    assert entry == log_entry_of("ru-exp-01", subject)  # digests and codes only: no name reaches the log
    assert set(entry) == {"v", "exporter", "submissionId", "submissionDigest", "decision", "reasonCodes", "receivedAt"}
    assert base64.b64encode(leaf_hash(leaf_input_of(entry))).decode() == subject["log"]["leafHash"]
