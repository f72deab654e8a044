"""A hypothesis state machine over one port: submit, retry, re-serialized duplicate, conflicting resubmission, restart.

The model is what the port must have done: each distinct ``(exporter, submissionId)`` submitted once has
exactly one log entry and one receipt, whatever was sent afterwards. Rules drive an in-process port
(``httpx.ASGITransport``, the app rebuilt over the same database on ``restart``); the invariants, checked
after every step: the log size equals the number of distinct submissions, every receipt is stable
(``GET /v1/receipts/{id}`` serves the first bytes), and the receipts' leaf indices are exactly 0..n-1.
"""

from __future__ import annotations

import copy
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy.engine import make_url

from tests.port_node.port_harness import PortHarness, as_body, fresh_submission, make_harness
from tests.support.reproducible import reproducible

EXPORTERS = ["ru-exp-01", "ru-exp-04"]
JSON = {"content-type": "application/json"}
POOL = 12


class PortModel(RuleBasedStateMachine):
    """The port against the model of docs/design.md §6 (idempotency, conflicts, a dense log)."""

    database_url: str | None = None  # set by the test: PostgreSQL when selected

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        tmp = Path(self.tmp.name)
        self.harness: PortHarness = make_harness(tmp, self.database_url_for(tmp))
        self.portal_cm = anyio.from_thread.start_blocking_portal()
        self.portal = self.portal_cm.__enter__()
        self.receipts: dict[tuple[str, str], bytes] = {}
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.counter = 0

    def database_url_for(self, tmp: Path) -> str:
        """SQLite in ``tmp``, or a new PostgreSQL database per program (dropped in ``teardown``)."""
        self.dropped: str | None = None
        if PortModel.database_url is None:
            return f"sqlite:///{tmp / 'port.db'}"
        name = f"hard_sm_{uuid.uuid4().hex[:12]}"
        with _admin().connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.dropped = name
        return make_url(PortModel.database_url).set(database=name).render_as_string(hide_password=False)

    def post(self, exporter: str, body: bytes) -> tuple[int, bytes]:
        async def send() -> tuple[int, bytes]:
            async with self.harness.client(exporter) as client:
                response = await client.post("/v1/submissions", content=body, headers=JSON)
                return response.status_code, response.content

        result: tuple[int, bytes] = self.portal.call(send)
        return result

    @rule(exporter=st.sampled_from(EXPORTERS))
    @precondition(lambda self: self.counter < POOL)
    def submit_new(self, exporter: str) -> None:
        self.counter += 1
        document = fresh_submission(exporter, f"sm-{self.counter}")
        status, receipt = self.post(exporter, as_body(document))
        assert status == 201, receipt[:300]
        key = (exporter, str(document["submissionId"]))
        self.receipts[key] = receipt
        self.documents[key] = document

    @rule(data=st.data())
    @precondition(lambda self: bool(self.documents))
    def retry_identical(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.documents)))
        status, receipt = self.post(key[0], as_body(self.documents[key]))
        assert (status, receipt) == (200, self.receipts[key])

    @rule(data=st.data(), indent=st.sampled_from([None, 1, "\t"]), sort=st.booleans())
    @precondition(lambda self: bool(self.documents))
    def duplicate_reserialized(self, data: st.DataObject, indent: Any, sort: bool) -> None:
        key = data.draw(st.sampled_from(sorted(self.documents)))
        body = json.dumps(self.documents[key], indent=indent, sort_keys=sort, ensure_ascii=True).encode()
        status, receipt = self.post(key[0], body)
        assert (status, receipt) == (200, self.receipts[key])

    @rule(data=st.data(), mode=st.sampled_from(["road", "sea", "air"]))
    @precondition(lambda self: bool(self.documents))
    def conflicting_resubmission(self, data: st.DataObject, mode: str) -> None:
        key = data.draw(st.sampled_from(sorted(self.documents)))
        changed = copy.deepcopy(self.documents[key])
        changed["manifest"]["credentialSubject"]["transportMode"] = mode
        status, body = self.post(key[0], as_body(changed))
        assert status == 409 and json.loads(body)["code"] == "DUPLICATE_CONFLICT", body[:300]

    @rule()
    def restart(self) -> None:
        self.harness.restart()

    @invariant()
    def one_entry_per_distinct_content_and_dense_indices(self) -> None:
        assert self.harness.port.log.size == len(self.receipts)
        indices = sorted(json.loads(r)["credentialSubject"]["log"]["index"] for r in self.receipts.values())
        assert indices == list(range(len(self.receipts)))

    @invariant()
    def receipts_are_stable(self) -> None:
        async def read(key: tuple[str, str]) -> bytes:
            async with self.harness.client(key[0]) as client:
                return (await client.get(f"/v1/receipts/{key[1]}")).content

        for key, receipt in self.receipts.items():
            assert self.portal.call(read, key) == receipt

    def teardown(self) -> None:
        self.harness.close()
        self.portal_cm.__exit__(None, None, None)
        self.tmp.cleanup()
        if self.dropped:
            with _admin().connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.dropped}" WITH (FORCE)'))


def _admin() -> sa.Engine:
    assert PortModel.database_url is not None
    return sa.create_engine(PortModel.database_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _run(database_url: str, examples: int, steps: int) -> None:
    PortModel.database_url = None if database_url.startswith("sqlite") else database_url
    case = PortModel.TestCase
    case.settings = reproducible(examples, stateful_step_count=steps)
    case().runTest()


@pytest.mark.db
def test_port_state_machine(database_url: str) -> None:
    """CI size: 15 programs of up to 25 steps."""
    _run(database_url, 15, 25)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_port_state_machine_deep(database_url: str) -> None:
    """Deep: 100 programs of up to 50 steps."""
    _run(database_url, 100, 50)
