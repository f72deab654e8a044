"""All or nothing, restarts and the offline check: a failed write leaves no trace, a restart continues the log."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from port_node.append_statements import AppendStatements
from port_node.fsck import fsck
from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES, SUBMISSIONS
from schemas.identifiers import log_origin
from tests.port_node.port_harness import PORT_ID, PortHarness, check_receipt, fresh_submission, trust_registry

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def _fsck(harness: PortHarness) -> Any:
    keys = [key.public_key for key in trust_registry().keys_of(PORT_ID, "log")]
    return fsck(harness.port.engine, log_origin(PORT_ID), keys)


def _counts(harness: PortHarness) -> tuple[int, ...]:
    with harness.port.engine.connect() as connection:
        counts = [
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (SUBMISSIONS, LOG_LEAVES, CHECKPOINTS)
        ]
        return (*counts, connection.execute(sa.select(LOG_HEAD.c.size)).scalar_one())


async def test_a_failed_write_leaves_nothing_and_the_next_one_takes_its_index(
    harness: PortHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "before"))).status_code == 201
    before = _counts(harness)

    original = AppendStatements.append

    def crash_after_inserting(self: AppendStatements, *args: Any, commit: bool = False) -> None:
        original(self, *args)  # the inserts, not the commit
        raise RuntimeError("simulated crash before commit")

    monkeypatch.setattr(AppendStatements, "append", crash_after_inserting)
    failed = await harness.submit("ru-exp-02", fresh_submission("ru-exp-02", "lost"))
    assert failed.status_code == 500 and failed.json()["code"] == "INTERNAL_ERROR"
    assert _counts(harness) == before
    assert harness.port.log.size == 1

    monkeypatch.undo()
    response = await harness.submit("ru-exp-02", fresh_submission("ru-exp-02", "lost"))
    assert response.status_code == 201
    check_receipt(response.content, expect_index=1)
    assert _fsck(harness).ok


async def test_a_database_failure_is_503_and_heals(harness: PortHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    original = AppendStatements.append

    def database_gone(self: AppendStatements, *args: Any, commit: bool = False) -> None:
        original(self, *args)
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(AppendStatements, "append", database_gone)
    failed = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "db-down"))
    assert failed.status_code == 503 and failed.json()["code"] == "LOG_UNAVAILABLE"
    assert _counts(harness) == (0, 0, 1, 0)  # only the empty tree's checkpoint
    monkeypatch.undo()
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "db-down"))
    assert response.status_code == 201
    check_receipt(response.content, expect_index=0)


async def test_restart_rebuilds_the_tree_and_continues(harness: PortHarness) -> None:
    await harness.log_fresh("ru-exp-03", ["r0", "r1", "r2"])
    async with harness.client() as client:
        before = (await client.get("/v1/log/checkpoint")).text
    harness.restart()
    async with harness.client() as client:
        assert (await client.get("/v1/log/checkpoint")).text == before
    again = await harness.submit("ru-exp-03", fresh_submission("ru-exp-03", "r0"))
    assert again.status_code == 200
    check_receipt(again.content, expect_index=0)
    for n in range(3, 5):
        response = await harness.submit("ru-exp-03", fresh_submission("ru-exp-03", f"r{n}"))
        assert response.status_code == 201
        check_receipt(response.content, expect_index=n)
    assert harness.port.log.size == 5
    report = _fsck(harness)
    assert report.ok, report.problem
    assert (report.leaves, report.checkpoints, report.submissions) == (5, 6, 5)


async def test_fsck_names_the_first_difference(harness: PortHarness) -> None:
    await harness.log_fresh("ru-exp-01", ["f0", "f1", "f2", "f3"])
    assert _fsck(harness).ok
    engine = harness.port.engine
    with engine.begin() as connection:
        note = connection.execute(sa.select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.tree_size == 3)).scalar_one()
        forged = note.replace(note.splitlines()[2], "A" * 43 + "=")
        connection.execute(sa.update(CHECKPOINTS).where(CHECKPOINTS.c.tree_size == 3).values(note=forged))
    assert "checkpoint 3: signed note does not verify" in str(_fsck(harness).problem)
    with engine.begin() as connection:
        connection.execute(sa.update(CHECKPOINTS).where(CHECKPOINTS.c.tree_size == 3).values(note=note))
        leaf = connection.execute(sa.select(LOG_LEAVES.c.leaf_input).where(LOG_LEAVES.c.leaf_index == 2)).scalar_one()
        forged_leaf = bytes(leaf).replace(b"accepted", b"rejected")
        connection.execute(sa.update(LOG_LEAVES).where(LOG_LEAVES.c.leaf_index == 2).values(leaf_input=forged_leaf))
    assert _fsck(harness).problem == "leaf 2: stored leaf hash differs from the hash of its leaf input"


async def test_audit_fsck_command(harness: PortHarness) -> None:
    await harness.log_fresh("ru-exp-05", ["c0", "c1"])
    result = harness.audit_fsck("--json")
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.output and '"leaves": 2' in result.output
    with harness.port.engine.begin() as connection:
        connection.execute(sa.delete(LOG_LEAVES).where(LOG_LEAVES.c.leaf_index == 0))
    result = harness.audit_fsck()
    assert result.exit_code == 1
    assert "leaf 0 is missing" in result.output
    missing = harness.audit_fsck(env={"DATABASE_URL": None, "PILOT_DATABASE_URL": None})
    assert missing.exit_code == 2  # no DATABASE_URL and no <data dir>/cn-port-01.db
