"""Sixteen exporters submitting at once: dense, gap-free leaf indices, no 5xx, one leaf per identical pair."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from port_node.fsck import fsck
from port_node.tables import LOG_LEAVES, SUBMISSIONS
from schemas.identifiers import log_origin
from tests.port_node.port_harness import PORT_ID, PortHarness, check_receipt, fresh_submission, trust_registry

pytestmark = [pytest.mark.anyio, pytest.mark.db]

SUBMITTERS = 16
EACH = 4


async def test_sixteen_concurrent_submitters(harness: PortHarness) -> None:
    async def submitter(worker: int) -> list[tuple[int, bytes]]:
        exporter = f"ru-exp-0{worker % 6 + 1}"
        answers = []
        for n in range(EACH):
            response = await harness.submit(exporter, fresh_submission(exporter, f"w{worker}-{n}"))
            answers.append((response.status_code, response.content))
        return answers

    results = await asyncio.gather(*(submitter(w) for w in range(SUBMITTERS)))
    statuses = [status for answers in results for status, _ in answers]
    assert statuses == [201] * SUBMITTERS * EACH
    indices = sorted(check_receipt(body)["credentialSubject"]["log"]["index"] for a in results for _, body in a)
    assert indices == list(range(SUBMITTERS * EACH))
    with harness.port.engine.connect() as connection:
        stored = connection.execute(sa.select(LOG_LEAVES.c.leaf_index).order_by(LOG_LEAVES.c.leaf_index)).scalars()
        assert list(stored) == indices
    report = fsck(
        harness.port.engine, log_origin(PORT_ID), [k.public_key for k in trust_registry().keys_of(PORT_ID, "log")]
    )
    assert report.ok, report.problem


async def test_identical_submissions_racing_get_one_leaf_and_one_receipt(harness: PortHarness) -> None:
    documents = [fresh_submission("ru-exp-06", f"race-{n}") for n in range(4)]
    responses = await asyncio.gather(*(harness.submit("ru-exp-06", doc) for doc in documents for _ in range(4)))
    for n in range(4):
        group = responses[4 * n : 4 * n + 4]
        assert sorted(r.status_code for r in group) == [200, 200, 200, 201]
        assert len({r.content for r in group}) == 1
    assert harness.port.log.size == 4
    with harness.port.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(SUBMISSIONS)).scalar_one() == 4
