"""Group commit (``port_node.storage``): submissions waiting together are logged in one transaction.

Each test makes the group deterministic the way it happens under load: while a write holds the log's
write lock, the submissions that arrive queue up, and the next writer takes them all as one group. Every
receipt must verify from outside against its group's one checkpoint, indices stay dense, and a member
the database refuses (a real trigger, not a mock) fails alone: the group's transaction leaves nothing,
and its other members are committed one by one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from node_core.problems import ProblemError
from port_node.agreement_keys import KeysOnDemand, StaticAgreementKeys
from port_node.fsck import fsck
from port_node.intake import IntakeOutcome
from port_node.state import receive_time
from port_node.storage import SqlSubmissionStore
from port_node.tables import CHECKPOINTS, LOG_LEAVES, SUBMISSIONS
from schemas import load_trust_list, parse_time
from schemas.assess import assess_submission
from schemas.identifiers import log_origin
from schemas.keyring import load_agreement_keys
from schemas.status_list import StaticStatusLists
from tests.port_node.port_harness import (
    PORT_ID,
    PortHarness,
    as_body,
    check_receipt,
    fresh_submission,
    trust_registry,
)
from tests.support.files import VECTORS

pytestmark = [pytest.mark.anyio, pytest.mark.db]

MEMBERS = 6


def _fsck_ok(harness: PortHarness) -> None:
    keys = [key.public_key for key in trust_registry().keys_of(PORT_ID, "log")]
    report = fsck(harness.port.engine, log_origin(PORT_ID), keys)
    assert report.ok, report.problem


def _checkpoint_sizes(harness: PortHarness) -> list[int]:
    with harness.port.engine.connect() as connection:
        return list(connection.execute(sa.select(CHECKPOINTS.c.tree_size).order_by(CHECKPOINTS.c.tree_size)).scalars())


def _checkpoint_size(receipt: dict[str, Any]) -> int:
    """The tree size the receipt's checkpoint signs (the note's second line, C2SP tlog-checkpoint)."""
    return int(receipt["credentialSubject"]["log"]["checkpoint"].split("\n")[1])


@contextmanager
def _queued_behind_a_write(harness: PortHarness, jobs: list[Callable[[], Any]]) -> Iterator[list[Future[Any]]]:
    """Run ``jobs`` in threads while the log's write lock is held; release it once all but one are queued.

    The first job to reach the store takes the (held) lock and writes alone; the others queue behind it
    and are then written as one group.
    """
    store: SqlSubmissionStore = harness.port.store
    with ThreadPoolExecutor(len(jobs)) as pool:
        with harness.port.log.write_lock:
            futures = [pool.submit(job) for job in jobs]
            deadline = time.monotonic() + 30
            while store.groups.waiting < len(jobs) - 1:
                assert time.monotonic() < deadline, "the submissions did not queue up"
                assert not any(f.done() for f in futures), [f.result() for f in futures if f.done()]
                time.sleep(0.005)
        yield futures


def _submit(harness: PortHarness, exporter: str, document: Any) -> Callable[[], IntakeOutcome]:
    return lambda: harness.port.intake.submit(document, exporter, receive_time())


def test_submissions_waiting_together_share_one_transaction_and_checkpoint(harness: PortHarness) -> None:
    documents = [
        (f"ru-exp-0{n % 6 + 1}", fresh_submission(f"ru-exp-0{n % 6 + 1}", f"group-{n}")) for n in range(MEMBERS)
    ]
    with _queued_behind_a_write(harness, [_submit(harness, e, d) for e, d in documents]) as futures:
        outcomes = [future.result() for future in futures]
    assert [o.status for o in outcomes] == [201] * MEMBERS
    receipts = [check_receipt(o.receipt, expect_index=o.stored.leaf_index) for o in outcomes]
    assert sorted(o.stored.leaf_index for o in outcomes) == list(range(MEMBERS))
    # One write alone (the one that met the held lock), then one group of the rest, with one checkpoint.
    assert _checkpoint_sizes(harness) == [0, 1, MEMBERS]
    assert sorted(_checkpoint_size(r) for r in receipts) == [1] + [MEMBERS] * (MEMBERS - 1)
    assert harness.port.log.size == MEMBERS
    _fsck_ok(harness)


def test_a_member_the_database_refuses_fails_alone_and_the_rest_commit(harness: PortHarness) -> None:
    refused = fresh_submission("ru-exp-02", "refused-by-trigger")
    engine = harness.port.engine
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                sa.text(
                    "CREATE TRIGGER refuse_one BEFORE INSERT ON submissions "
                    f"WHEN NEW.submission_id = '{refused['submissionId']}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        else:
            connection.execute(
                sa.text(
                    "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.submission_id = '{refused['submissionId']}' THEN "
                    "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$"
                )
            )
            connection.execute(
                sa.text(
                    "CREATE TRIGGER refuse_one BEFORE INSERT ON submissions FOR EACH ROW EXECUTE FUNCTION refuse_one()"
                )
            )
    documents = [("ru-exp-01", fresh_submission("ru-exp-01", f"around-{n}")) for n in range(MEMBERS - 1)]
    documents.insert(3, ("ru-exp-02", refused))
    jobs = [_submit(harness, e, d) for e, d in documents]
    with _queued_behind_a_write(harness, jobs) as futures:
        answers: list[IntakeOutcome | BaseException] = []
        for future in futures:
            error = future.exception()
            answers.append(error if error is not None else future.result())
    failed = answers[3]
    assert isinstance(failed, Exception)
    if engine.dialect.name != "sqlite":  # PostgreSQL: a refused write is the database's failure, 503
        assert isinstance(failed, ProblemError) and failed.status == 503
    others = [a for i, a in enumerate(answers) if i != 3]
    assert all(isinstance(a, IntakeOutcome) and a.status == 201 for a in others), others
    indices = sorted(a.stored.leaf_index for a in others if isinstance(a, IntakeOutcome))
    assert indices == list(range(MEMBERS - 1))
    for answer in others:
        assert isinstance(answer, IntakeOutcome)
        check_receipt(answer.receipt, expect_index=answer.stored.leaf_index)
    with engine.connect() as connection:
        ids = set(connection.execute(sa.select(SUBMISSIONS.c.submission_id)).scalars())
        leaves = connection.execute(sa.select(sa.func.count()).select_from(LOG_LEAVES)).scalar_one()
    assert refused["submissionId"] not in ids and leaves == MEMBERS - 1
    # The failed write left no checkpoint: every stored checkpoint is of a committed size, the last one of the
    # whole log. (How the survivors were grouped after the failure depends on the threads' timing: each alone
    # when they were all in the failed group, together when the refused one failed first, alone.)
    sizes = _checkpoint_sizes(harness)
    assert sizes[0] == 0 and sizes[-1] == MEMBERS - 1 and sizes == sorted(set(sizes)), sizes
    _fsck_ok(harness)


def test_identical_submissions_in_one_group_get_one_leaf(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-04", "twice-in-a-group")
    other = fresh_submission("ru-exp-05", "beside-it")
    jobs = [_submit(harness, "ru-exp-05", other)] + [_submit(harness, "ru-exp-04", document) for _ in range(4)]
    with _queued_behind_a_write(harness, jobs) as futures:
        outcomes = [future.result() for future in futures]
    statuses = sorted(o.status for o in outcomes[1:])
    assert statuses in ([200, 200, 200, 201], [200, 200, 200, 200])  # one of them may have written first
    assert len({o.receipt for o in outcomes[1:]}) == 1
    assert harness.port.log.size == 2
    _fsck_ok(harness)


async def test_a_batch_is_committed_as_one_group(harness: PortHarness) -> None:
    first = fresh_submission("ru-exp-03", "batch-0")
    changed = json.loads(json.dumps(first))
    changed["credentials"] = changed["credentials"][:1]
    items = [first, *(fresh_submission("ru-exp-03", f"batch-{n}") for n in range(1, 4)), first, changed, {"bad": 1}]
    async with harness.client("ru-exp-03") as client:
        response = await client.post(
            "/v1/submissions:batch",
            content=as_body({"submissions": items}),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201, 201, 200, 409, 201]
    assert results[5]["problem"]["code"] == "DUPLICATE_CONFLICT"
    assert results[6]["receipt"]["credentialSubject"]["decision"] == "rejected"  # logged too, with its reasons
    new = [*results[:4], results[6]]
    receipts = [check_receipt(json.dumps(r["receipt"]).encode(), expect_index=i) for i, r in enumerate(new)]
    assert results[4]["receipt"] == results[0]["receipt"]
    assert {_checkpoint_size(r) for r in receipts} == {5}
    assert _checkpoint_sizes(harness) == [0, 5]
    _fsck_ok(harness)


def test_keys_are_fetched_only_for_a_sealed_credential() -> None:
    registry = load_trust_list(VECTORS / "trust-list.json", VECTORS / "trust-anchor.json")
    status = StaticStatusLists(json.loads(p.read_text()) for p in sorted((VECTORS / "status").rglob("*.json")))
    entries = load_agreement_keys((VECTORS / "keys" / "cn-port-03.pem").read_bytes(), None)
    held = StaticAgreementKeys({e.verification_method: e.private_key for e in entries})
    cases = {
        VECTORS / "valid" / "submission-ru-exp-01.json": ("cn-port-01", False),
        VECTORS / "sealed" / "valid" / "submission-sealed-laboratory.json": ("cn-port-03", True),
    }
    for path, (port, sealed) in cases.items():
        keys = KeysOnDemand(held)
        assessment = assess_submission(
            json.loads(path.read_text()),
            registry,
            port_id=port,
            at=parse_time("2026-11-01T00:00:00Z"),
            status=status,
            agreement_keys=keys,
        )
        assert assessment.decision == "accepted", [p.as_dict() for p in assessment.reasons]
        assert keys.fetched is sealed, path.name
    keys = KeysOnDemand(held)
    assert dict(keys) == held.private_keys() and len(keys) == 2 and keys.fetched


def test_group_commit_under_many_threads_keeps_indices_dense(harness: PortHarness) -> None:
    documents = [(f"ru-exp-0{n % 6 + 1}", fresh_submission(f"ru-exp-0{n % 6 + 1}", f"many-{n}")) for n in range(24)]
    start = threading.Barrier(8)

    def submitter(part: list[tuple[str, Any]]) -> list[IntakeOutcome]:
        start.wait()
        return [_submit(harness, exporter, document)() for exporter, document in part]

    with ThreadPoolExecutor(8) as pool:
        outcomes = [o for part in pool.map(submitter, [documents[i::8] for i in range(8)]) for o in part]
    assert sorted(o.stored.leaf_index for o in outcomes) == list(range(24))
    for outcome in outcomes:
        check_receipt(outcome.receipt, expect_index=outcome.stored.leaf_index)
    _fsck_ok(harness)
