"""The delivery worker against a port stand-in: retries, final answers, bad receipts, forked logs, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from exporter_node import delivery
from exporter_node.app import create_app
from exporter_node.delivery import DeliveryWorker, backoff_delay
from exporter_node.receipt_check import ExpectedReceipt, check_consistency, check_receipt
from exporter_node.storage import KnownCheckpoint
from node_core.port_client import MAX_ANSWER_BYTES
from pilot.conformance.standins import EXPORTER_FAULTS
from schemas.digest import canonical_digest
from schemas.receipt import VerifiedReceipt
from schemas.signed_note import Checkpoint
from schemas.trust import TrustRegistry

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ZERO_DIGEST = "sha-256:" + "0" * 64


async def consign(scenario: Any, *ids: str) -> None:
    for consignment_id in ids:
        response = await scenario.consign(consignment_id, scenario.lot(hash(consignment_id) % 1000))
        assert response.status_code == 202, response.text


async def delivered_against(exporter: Any, scenario: Any, port: Any, script: list[str], consignment_id: str) -> Any:
    """Prepare, consign ``consignment_id`` to a port answering ``script`` first, deliver; the consignment's view."""
    await scenario.prepare()
    port.script = script
    await consign(scenario, consignment_id)
    await exporter.worker.run_until_idle(10)
    return await scenario.view(consignment_id)


async def test_busy_port_is_retried_with_backoff_and_each_attempt_signed_afresh(
    exporter: Any, scenario: Any, port: Any
) -> None:
    script = ["status:503:LOG_UNAVAILABLE", "status:429:RATE_LIMITED", "timeout"]
    view = await delivered_against(exporter, scenario, port, script, "c-busy")
    assert view["state"] == "delivered"
    log = view["attemptLog"]
    assert [a["outcome"] for a in log] == ["retry", "retry", "retry", "delivered"]
    assert [a["httpStatus"] for a in log] == [503, 429, None, 201]
    assert [a["code"] for a in log[:2]] == ["LOG_UNAVAILABLE", "RATE_LIMITED"]
    assert "ReadTimeout" in log[2]["detail"]
    submissions = [r for r in port.requests if r.url.path == "/v1/submissions"]
    assert len(submissions) == 4
    assert len(set(port.nonces)) == len(port.nonces)  # a new signature (and nonce) every time
    assert len({r.content for r in submissions}) == 1  # the very same bytes every time


async def test_an_outbox_row_read_before_its_answer_arrived_is_not_sent_again(
    exporter: Any, scenario: Any, port: Any
) -> None:
    # The worker reads the due rows while attempts are in flight; a row read just before its attempt got a
    # receipt is stale. Dispatching it must not resend a consignment the port has already answered.
    await scenario.prepare()
    await consign(scenario, "c-stale")
    stale = exporter.node.storage.due(exporter.node.now())
    assert [item.consignment_id for item in stale] == ["c-stale"]
    await exporter.worker.run_until_idle(10)
    assert (await scenario.view("c-stale"))["state"] == "delivered"
    sent = len([r for r in port.requests if r.url.path == "/v1/submissions"])
    await exporter.worker._guarded(stale[0])
    assert len([r for r in port.requests if r.url.path == "/v1/submissions"]) == sent == 1
    assert [a["outcome"] for a in (await scenario.view("c-stale"))["attemptLog"]] == ["delivered"]


@pytest.mark.parametrize(
    ("script", "code", "status"),
    [
        ("status:400:JSON_MALFORMED", "JSON_MALFORMED", 400),
        ("status:401:REQUEST_SIGNATURE_INVALID", "REQUEST_SIGNATURE_INVALID", 401),
        ("status:403:FORBIDDEN", "FORBIDDEN", 403),
        ("status:409:DUPLICATE_CONFLICT", "DUPLICATE_CONFLICT", 409),
        ("status:413:PAYLOAD_TOO_LARGE", "PAYLOAD_TOO_LARGE", 413),
    ],
)
async def test_a_final_problem_fails_the_consignment_with_its_code(
    exporter: Any, scenario: Any, port: Any, script: str, code: str, status: int
) -> None:
    view = await delivered_against(exporter, scenario, port, [script], "c-final")
    assert (view["state"], view["failureCode"]) == ("failed", code)
    assert [(a["outcome"], a["httpStatus"], a["code"]) for a in view["attemptLog"]] == [("failed", status, code)]
    assert view["receipt"] is None


RECEIPT_CASES = {"bad-signature": "RECEIPT_INVALID", "wrong-signer": "RECEIPT_INVALID"}


@pytest.mark.parametrize("action", sorted(RECEIPT_CASES))
async def test_a_receipt_that_does_not_verify_is_never_delivered(
    exporter: Any, scenario: Any, port: Any, action: str, caplog: pytest.LogCaptureFixture
) -> None:
    view = await delivered_against(exporter, scenario, port, [action], "c-bad-receipt")
    assert (view["state"], view["failureCode"]) == ("failed", RECEIPT_CASES[action])
    assert view["decision"] is None and view["receipt"] is None
    assert [a["outcome"] for a in view["attemptLog"]] == ["receipt_failed"]
    assert any(r.levelname == "ERROR" and "RECEIPT CHECK FAILED" in r.getMessage() for r in caplog.records)


async def test_a_checkpoint_inconsistent_with_the_one_seen_before_is_detected(
    exporter: Any, scenario: Any, port: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await scenario.prepare()
    await consign(scenario, "c-a", "c-b")
    await exporter.worker.run_until_idle(10)
    assert [(await scenario.view(c))["state"] for c in ("c-a", "c-b")] == ["delivered", "delivered"]
    port.script = ["fork"]
    await consign(scenario, "c-fork")
    await exporter.worker.run_until_idle(10)
    view = await scenario.view("c-fork")
    assert view["state"] == "failed"
    assert view["failureCode"] == "CHECKPOINT_INCONSISTENT"
    assert port.consistency_requests[-1] == (2, 3)
    assert any(r.levelname == "ERROR" and r.__dict__.get("code") == "CHECKPOINT_INCONSISTENT" for r in caplog.records)
    known = exporter.node.storage.known_checkpoint("cn-port-01")
    assert known is not None and known.size == 2  # the forked checkpoint is not remembered


async def test_consistency_is_checked_between_successive_checkpoints(exporter: Any, scenario: Any, port: Any) -> None:
    await scenario.prepare()
    await consign(scenario, "c-1")
    await exporter.worker.run_until_idle(10)
    await consign(scenario, "c-2", "c-3")
    await exporter.worker.run_until_idle(10)
    assert port.consistency_requests  # each new checkpoint was proven to extend the previous one
    known = exporter.node.storage.known_checkpoint("cn-port-01")
    assert known is not None and known.size == 3


async def test_a_lost_answer_is_resent_and_the_same_receipt_accepted(exporter: Any, scenario: Any, port: Any) -> None:
    await scenario.prepare()
    await consign(scenario, "c-lost")
    port.lose_answers = 1
    await exporter.worker.run_until_idle(10)
    view = await scenario.view("c-lost")
    assert view["state"] == "delivered"
    assert [a["outcome"] for a in view["attemptLog"]] == ["retry", "delivered"]
    assert view["attemptLog"][-1]["httpStatus"] == 200
    assert port.tree.size == 1  # logged once


def enqueue_raw(node: Any, consignment_id: str, destination: str, submission: str, digest: str = ZERO_DIGEST) -> None:
    """Put a raw submission straight into ``node``'s outbox, due now."""
    node.storage.enqueue(
        consignment_id=consignment_id,
        destination=destination,
        submission=submission,
        digest=digest,
        raw=True,
        now=node.now(),
    )


async def test_an_unreachable_port_is_given_up_after_the_give_up_time(
    settings: Any, make_exporter: Any, scenario: Any
) -> None:
    # A give-up time many retry intervals long, so that a first attempt slowed down by a busy machine (the suite
    # runs one worker per core) still leaves room for a retry before it.
    settings.give_up_s = 1.0
    settings.retry_base_s = 0.02
    async with make_exporter(settings, httpx.MockTransport(_refuse_connection)) as other:
        node = other.node
        enqueue_raw(node, "c-gone", "cn-port-01", '{"submissionId":"c-gone"}')
        await other.worker.run_until_idle(10)
        row = node.storage.consignment("c-gone")
        assert row["state"] == "failed" and row["failure_code"] == "DELIVERY_GAVE_UP"
        outcomes = [a["outcome"] for a in node.storage.attempts("c-gone")]
        assert outcomes[-1] == "gave_up" and set(outcomes[:-1]) <= {"retry"} and len(outcomes) >= 2


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def test_an_unknown_port_url_is_retried(settings: Any, make_exporter: Any) -> None:
    settings.give_up_s = 0.1
    async with make_exporter(settings) as other:
        node = other.node
        enqueue_raw(node, "c-where", "cn-port-03", "{}")
        await other.worker.run_until_idle(10)
        attempts = node.storage.attempts("c-where")
        assert "no URL for peer 'cn-port-03'" in attempts[0]["detail"]
        assert node.storage.consignment("c-where")["failure_code"] == "DELIVERY_GAVE_UP"


async def test_delivery_resumes_from_the_outbox_after_a_restart(
    exporter: Any, scenario: Any, port: Any, settings: Any, make_exporter: Any
) -> None:
    await scenario.prepare()
    await consign(scenario, "c-r1", "c-r2")
    # The first node stops before delivering anything (as if killed); a new one opens the same database.
    await exporter.worker.stop()
    exporter.node.close()
    async with make_exporter(settings) as restarted:
        assert [o.consignment_id for o in restarted.node.storage.due(restarted.node.now())] == ["c-r1", "c-r2"]
        await restarted.worker.run_until_idle(10)
        for consignment_id in ("c-r1", "c-r2"):
            assert restarted.node.storage.consignment(consignment_id)["state"] == "delivered"
        assert port.tree.size == 2


async def test_the_worker_runs_with_the_app_lifespan(settings: Any, port: Any, scenario: Any) -> None:
    app = create_app(settings, transport=port.transport())
    node = app.state.node
    async with app.router.lifespan_context(app):
        enqueue_raw(
            node, "c-life", "cn-port-01", '{"submissionId":"c-life"}', canonical_digest({"submissionId": "c-life"})
        )
        app.state.worker.wake()
        for _ in range(200):
            if node.storage.consignment("c-life")["state"] != "pending":
                break
            await __import__("asyncio").sleep(0.02)
        # Read before the lifespan ends: it closes the node, and a read after that would open a connection
        # nothing closes (a ResourceWarning, as an error, in whichever test the collector runs under).
        row = node.storage.consignment("c-life")
        detail = node.storage.attempts("c-life")[0]["detail"]
    assert row["state"] == "delivered", detail
    assert row["state"] == "delivered" and row["decision"] == "rejected"


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    assert backoff_delay(1.0, 1, lambda: 0.0) == 0.5
    assert backoff_delay(1.0, 1, lambda: 1.0) == 1.0
    assert backoff_delay(1.0, 4, lambda: 0.0) == 4.0
    assert backoff_delay(0.5, 30, lambda: 1.0) == 32.0


# --- policies passed in, and the consistency proof's answers -------------------------------------------


@asynccontextmanager
async def worker_for(exporter: Any, transport: httpx.AsyncBaseTransport, **policies: Any) -> AsyncIterator[Any]:
    """Another delivery worker over the exporter's node (the harness's own worker is never started)."""
    worker = DeliveryWorker(exporter.node, transport=transport, **policies)
    try:
        yield worker
    finally:
        await worker.stop()


async def test_the_worker_uses_the_policies_it_is_given(exporter: Any, scenario: Any, port: Any) -> None:
    waits: list[tuple[float, int]] = []
    verified: list[str] = []
    checked: list[tuple[int, int]] = []

    def backoff(base_s: float, attempts: int, rng: Any) -> float:
        waits.append((base_s, attempts))
        return 0.0

    def verifier(
        body: bytes, expected: ExpectedReceipt, trust: TrustRegistry, at: datetime, *, clock_skew: timedelta
    ) -> VerifiedReceipt:
        verified.append(expected.submission_id)
        return check_receipt(body, expected, trust, at, clock_skew=clock_skew)

    def checker(previous: KnownCheckpoint, new: Checkpoint, proof: Any) -> None:
        checked.append((previous.size, new.size))
        check_consistency(previous, new, proof)

    await scenario.prepare()
    port.script = ["status:503:LOG_UNAVAILABLE"]
    policies = {"backoff": backoff, "receipt_verifier": verifier, "consistency_checker": checker}
    async with worker_for(exporter, port.transport(), **policies) as worker:
        await consign(scenario, "c-p1")
        await worker.run_until_idle(10)
        await consign(scenario, "c-p2")
        await worker.run_until_idle(10)
    assert waits == [(exporter.node.settings.retry_base_s, 1)]
    assert verified == ["c-p1", "c-p2"]
    assert checked == [(1, 2)]


async def test_the_kits_faulty_policies_are_passed_in_not_patched_in(exporter: Any, scenario: Any, port: Any) -> None:
    await scenario.prepare()
    port.script = ["bad-signature"]
    async with worker_for(exporter, port.transport(), **EXPORTER_FAULTS["exporter-ignores-bad-receipts"]) as worker:
        await consign(scenario, "c-unsafe")
        await worker.run_until_idle(10)
    assert (await scenario.view("c-unsafe"))["state"] == "delivered"  # the fault: a bad receipt taken
    port.script = ["status:503:LOG_UNAVAILABLE"]
    async with worker_for(exporter, port.transport(), **EXPORTER_FAULTS["exporter-never-retries"]) as worker:
        await consign(scenario, "c-never")
        with pytest.raises(TimeoutError):
            await worker.run_until_idle(0.3)
    next_at = exporter.node.storage.next_due_at()  # a week away, capped at the give-up time (30 s here)
    assert next_at is not None and next_at - exporter.node.now() > timedelta(seconds=20)
    # Nothing of the module was replaced: the node's own worker still verifies and backs off as always.
    assert (delivery.check_receipt, delivery.backoff_delay) == (check_receipt, backoff_delay)


def answering_proofs(port: Any, *answers: httpx.Response) -> httpx.MockTransport:
    """The port, except that its next consistency proofs are ``answers``, in order."""
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/log/proof/consistency" and queue:
            return queue.pop(0)
        return port.handle(request)

    return httpx.MockTransport(handle)


PROOF_ANSWERS = {
    "busy": (httpx.Response(503, json={"code": "LOG_UNAVAILABLE"}), ["retry", "delivered"]),
    "refused": (httpx.Response(400, json={"code": "REQUEST_INVALID"}), ["receipt_failed"]),
    "moved": (httpx.Response(302, headers={"location": "/elsewhere"}), ["receipt_failed"]),
    "for other sizes": (httpx.Response(200, json={"first": 9, "second": 9, "proof": []}), ["receipt_failed"]),
    "not json": (httpx.Response(200, content=b"{not json"), ["receipt_failed"]),
    "too large": (httpx.Response(200, content=b"[" * (MAX_ANSWER_BYTES + 1)), ["receipt_failed"]),
}


@pytest.mark.parametrize("case", sorted(PROOF_ANSWERS))
async def test_a_consistency_proof_the_port_cannot_serve_now_is_retried_and_a_bad_one_fails(
    exporter: Any, scenario: Any, port: Any, case: str
) -> None:
    answer, outcomes = PROOF_ANSWERS[case]
    await scenario.prepare()
    await consign(scenario, "c-first")
    await exporter.worker.run_until_idle(10)
    async with worker_for(exporter, answering_proofs(port, answer)) as worker:
        await consign(scenario, "c-second")
        await worker.run_until_idle(10)
    view = await scenario.view("c-second")
    assert [a["outcome"] for a in view["attemptLog"]] == outcomes
    if outcomes[0] == "retry":
        assert view["state"] == "delivered"
        assert view["attemptLog"][0]["httpStatus"] == 503
        assert view["attemptLog"][0]["detail"].startswith("consistency proof: HTTP 503")
    else:
        assert view["state"] == "failed" and view["failureCode"] == "CHECKPOINT_INCONSISTENT"
        assert "from 1 to 2" in view["failureDetail"]
