"""The public log: checkpoint, inclusion and consistency proofs, entries; rebuilt by anyone from outside."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from schemas.canonical import canonicalize
from schemas.identifiers import log_origin
from schemas.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from schemas.signed_note import Checkpoint, verify_checkpoint
from tests.port_node.port_harness import PORT_ID, PortHarness, check_receipt, fresh_submission, trust_registry

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ORIGIN = log_origin(PORT_ID)


def _verify_note(text: str) -> Checkpoint:
    key = trust_registry().keys_of(PORT_ID, "log")[0].public_key
    return verify_checkpoint(text, ORIGIN, key, origin=ORIGIN)


def _hashes(items: list[str]) -> list[bytes]:
    return [base64.b64decode(item, validate=True) for item in items]


async def _fill(harness: PortHarness, count: int) -> list[dict[str, Any]]:
    receipts = []
    for n in range(count):
        exporter = f"ru-exp-0{n % 6 + 1}"
        response = await harness.submit(exporter, fresh_submission(exporter, f"log-{n}"))
        assert response.status_code == 201
        receipts.append(check_receipt(response.content, expect_index=n))
    return receipts


async def test_empty_log_has_a_signed_checkpoint(harness: PortHarness) -> None:
    async with harness.client() as client:
        response = await client.get("/v1/log/checkpoint")
        assert (await client.get("/v1/log/proof/consistency", params={"first": 0, "second": 0})).json()["proof"] == []
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    checkpoint = _verify_note(response.text)
    assert (checkpoint.size, checkpoint.root_hash) == (0, EMPTY_ROOT)


async def test_log_endpoints_agree_with_each_other_and_with_receipts(harness: PortHarness) -> None:
    receipts = await _fill(harness, 7)
    async with harness.client() as client:
        latest = _verify_note((await client.get("/v1/log/checkpoint")).text)
        entries = (await client.get("/v1/log/entries", params={"start": 0, "end": 7})).json()["entries"]
        assert latest.size == 7

        # Anyone can rebuild the tree from the entries: their RFC 8785 bytes are the leaf inputs.
        tree = MerkleTree(leaf_hash(canonicalize(item["entry"])) for item in entries)
        assert [item["index"] for item in entries] == list(range(7))
        assert tree.root() == latest.root_hash
        for item, receipt in zip(entries, receipts, strict=True):
            subject = receipt["credentialSubject"]
            entry = item["entry"]
            assert set(entry) == {
                "v",
                "exporter",
                "submissionId",
                "submissionDigest",
                "decision",
                "reasonCodes",
                "receivedAt",
            }
            assert entry["submissionId"] == subject["submissionId"]
            assert entry["submissionDigest"] == subject["submissionDigest"]
            assert base64.b64encode(leaf_hash(canonicalize(entry))).decode() == subject["log"]["leafHash"]

        for index in range(7):
            for size in (index + 1, 7):
                answer = (await client.get("/v1/log/proof/inclusion", params={"index": index, "size": size})).json()
                assert (answer["index"], answer["size"]) == (index, size)
                verify_inclusion(index, size, tree.leaf(index), _hashes(answer["proof"]), tree.root(size))

        # Consistency between the checkpoint in receipt 3 and the latest one.
        old = _verify_note(receipts[2]["credentialSubject"]["log"]["checkpoint"])
        answer = (await client.get("/v1/log/proof/consistency", params={"first": 3, "second": 7})).json()
        assert (answer["first"], answer["second"]) == (3, 7)
        verify_consistency(3, 7, old.root_hash, latest.root_hash, _hashes(answer["proof"]))
        for first, second in ((0, 5), (4, 4)):
            answer = (await client.get("/v1/log/proof/consistency", params={"first": first, "second": second})).json()
            assert answer["proof"] == []

        empty = (await client.get("/v1/log/entries", params={"start": 3, "end": 3})).json()
        assert empty == {"entries": []}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/log/proof/inclusion", {"index": 2, "size": 2}),
        ("/v1/log/proof/inclusion", {"index": 0, "size": 3}),
        ("/v1/log/proof/inclusion", {"index": -1, "size": 1}),
        ("/v1/log/proof/inclusion", {"index": "x", "size": 1}),
        ("/v1/log/proof/inclusion", {"index": 0}),
        ("/v1/log/proof/consistency", {"first": 2, "second": 1}),
        ("/v1/log/proof/consistency", {"first": 1, "second": 3}),
        ("/v1/log/entries", {"start": 1, "end": 0}),
        ("/v1/log/entries", {"start": 0, "end": 3}),
        ("/v1/log/entries", {"start": 0, "end": 1001}),
    ],
    ids=[
        "index-not-below-size",
        "size-beyond-log",
        "negative",
        "not-a-number",
        "missing-size",
        "first-above-second",
        "second-beyond-log",
        "start-above-end",
        "end-beyond-log",
        "over-1000",
    ],
)
async def test_log_query_refusals(harness: PortHarness, path: str, params: dict[str, Any]) -> None:
    await _fill(harness, 2)
    async with harness.client() as client:
        response = await client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "REQUEST_INVALID"


async def test_trust_list_and_openapi(harness: PortHarness) -> None:
    async with harness.client() as client:
        held = (await client.get("/v1/trust-list")).json()
        health = (await client.get("/health")).json()
        openapi = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert held["sequence"] == 1 and held["proof"]["verificationMethod"].startswith("did:web:pilot.example:pilot-gov")
    assert health["trustListSequence"] == 1 and health["role"] == "port_authority"
    assert docs.status_code == 200
    paths = openapi["paths"]
    for path in (
        "/v1/submissions",
        "/v1/submissions:batch",
        "/v1/submissions/{submission_id}",
        "/v1/receipts/{submission_id}",
        "/v1/log/checkpoint",
        "/v1/log/proof/inclusion",
        "/v1/log/proof/consistency",
        "/v1/log/entries",
        "/v1/trust-list",
    ):
        assert path in paths
    intake = paths["/v1/submissions"]["post"]
    assert {"201", "200", "400", "401", "403", "409", "413"} <= set(intake["responses"])
    assert intake["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Submission")
    assert "Submission" in openapi["components"]["schemas"]
    assert "SubmissionReceipt" in openapi["components"]["schemas"]
    # Request validation failures are 400 problems: no FastAPI 422 body anywhere; the witness's own 422
    # (a consistency proof that does not verify) is a documented problem.
    assert all("HTTPValidationError" not in str(op["responses"]) for ops in paths.values() for op in ops.values())
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    assert set(paths["/v1/witness/add-checkpoint"]["post"]["responses"]) >= {"200", "409", "422"}
    assert [p for p, ops in paths.items() for op in ops.values() if "422" in op["responses"]] == [
        "/v1/witness/add-checkpoint"
    ]
    json.dumps(openapi)


async def test_metrics_count_submissions_and_the_log(harness: PortHarness) -> None:
    await _fill(harness, 2)
    await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "log-0"))
    async with harness.client() as client:
        text = (await client.get("/metrics")).text
    assert "pilot_port_log_size 2.0" in text
    assert 'pilot_port_submissions_total{decision="accepted",kind="new"} 2.0' in text
    assert 'pilot_port_submissions_total{decision="accepted",kind="resubmitted"} 1.0' in text
