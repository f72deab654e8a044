"""What several processes of one port share through the database: the log's head, cosignatures, round locks.

Two ``TransparencyLog`` objects over one database stand for two worker processes (``pilot node port
--workers N``): one appends through its store, the other only reads, and must serve the same checkpoint,
proofs and cosignatures after ``refresh``. The CLI refuses ``--workers`` where it cannot work.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from node_core.database import make_engine
from node_core.settings import NodeSettings
from pilot.cli import app
from pilot.sandbox import write_sandbox
from pilot.synthetic import Signer
from port_node.leadership import RoundLock
from port_node.log import TransparencyLog, sign_checkpoint_note
from port_node.state import head_engine
from port_node.storage import SqlSubmissionStore, SubmissionRow
from port_node.tables import LOG_LEAVES
from port_node.witness_tables import COSIGNATURES
from schemas.merkle import MerkleTree, leaf_hash, verify_inclusion
from schemas.signed_note import verify_checkpoint
from tests.port_node.port_harness import PORT_ID, PortHarness, sandbox

ORIGIN = "cn-port-01.pilot.example/log"
WITNESS_URL = "http://witness.test"


def _append(store: SqlSubmissionStore, n: int) -> SubmissionRow:
    row = SubmissionRow(
        exporter="ru-exp-01",
        submission_id=f"s-{n}",
        digest=f"sha-256:{n:064x}",
        decision="accepted",
        reason_codes=[],
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
        content=None,
    )
    return store.store(row, f'{{"n":{n}}}'.encode(), lambda position: b'{"index":%d}' % position.index)


@pytest.mark.db
def test_a_reading_worker_catches_up_with_what_another_committed(engine: Engine) -> None:
    key = Ed25519PrivateKey.generate()
    writer = TransparencyLog(ORIGIN, key, head_engine=engine)
    reader = TransparencyLog(ORIGIN, key, head_engine=engine)
    writer.load(engine)
    reader.load(engine)
    store = SqlSubmissionStore(engine, writer)
    for n in range(5):
        _append(store, n)
    assert (writer.size, reader.size) == (5, 0)  # the reader's tree is its own, behind until it refreshes

    reader.refresh(engine)
    checkpoint = verify_checkpoint(reader.served_note, ORIGIN, key.public_key(), origin=ORIGIN)
    assert (checkpoint.size, checkpoint.root_hash) == (5, writer.root())
    assert reader.latest_note == writer.latest_note
    for index in range(5):
        proof = reader.inclusion_proof(index, 5)
        verify_inclusion(index, 5, leaf_hash(f'{{"n":{index}}}'.encode()), proof, checkpoint.root_hash)
    assert reader.consistency_proof(2, 5) == writer.consistency_proof(2, 5)

    # The reader appends next (it syncs under the lock first): dense indices, one tree in both.
    assert _append(SqlSubmissionStore(engine, reader), 5).leaf_index == 5
    writer.refresh(engine)
    assert writer.size == reader.size == 6 and writer.root() == reader.root()


@pytest.mark.db
@pytest.mark.parametrize("cap", [1000, 2], ids=["read with the head", "beyond what is read with the head"])
def test_a_writer_behind_appends_after_what_the_other_committed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """The leaves another process appended come with the head (up to a cap), the rest by a read of their own."""
    monkeypatch.setattr("port_node.append_statements.RECENT_LEAVES", cap)
    key = Ed25519PrivateKey.generate()
    first, second = TransparencyLog(ORIGIN, key, head_engine=engine), TransparencyLog(ORIGIN, key, head_engine=engine)
    first.load(engine)
    second.load(engine)
    for n in range(5):
        _append(SqlSubmissionStore(engine, first), n)
    assert _append(SqlSubmissionStore(engine, second), 5).leaf_index == 5
    assert second.size == 6
    assert second.root() == MerkleTree([leaf_hash(f'{{"n":{n}}}'.encode()) for n in range(6)]).root()


@pytest.mark.db
def test_a_failed_write_leaves_the_tree_as_committed_and_the_next_takes_its_index(engine: Engine) -> None:
    key = Ed25519PrivateKey.generate()
    log = TransparencyLog(ORIGIN, key, head_engine=engine)
    log.load(engine)
    store = SqlSubmissionStore(engine, log)
    for n in range(3):
        _append(store, n)
    root = log.root()

    def refuse(_position: object) -> bytes:
        raise RuntimeError("the receipt cannot be made")

    row = _append(store, 99)  # a fourth, then one whose receipt fails inside the write: nothing of it stays
    failing = replace(row, submission_id="s-fails", receipt=b"", leaf_index=-1, created=False)
    with pytest.raises(RuntimeError, match="cannot be made"):
        store.store(failing, b'{"n":"fails"}', refuse)
    assert log.size == 4 and log.root(3) == root
    assert _append(store, 4).leaf_index == 4
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(LOG_LEAVES)).scalar_one() == 5
    leaves = [leaf_hash(f'{{"n":{n}}}'.encode()) for n in (0, 1, 2, 99, 4)]
    assert log.root() == MerkleTree(leaves).root()


@pytest.mark.db
def test_cosignatures_stored_by_one_worker_are_served_by_another(engine: Engine) -> None:
    key = Ed25519PrivateKey.generate()
    reader = TransparencyLog(ORIGIN, key, head_engine=engine)
    reader.load(engine)
    line = "— cn-port-02.pilot.example/witness AAAA\n"
    with engine.begin() as connection:
        connection.execute(
            sa.insert(COSIGNATURES).values(tree_size=0, witness="cn-port-02.pilot.example/witness", line=line)
        )
    assert not reader.served_note.endswith(line)
    reader.refresh(engine)
    assert reader.served_note.endswith(line) and reader.served_note.startswith(reader.latest_note)


@pytest.mark.db
def test_a_log_of_one_process_does_not_query_on_refresh(engine: Engine) -> None:
    key = Ed25519PrivateKey.generate()
    writer = TransparencyLog(ORIGIN, key, head_engine=engine)
    alone = TransparencyLog(ORIGIN, key)  # no head engine: one process (SQLite), never behind its database
    writer.load(engine)
    alone.load(engine)
    _append(SqlSubmissionStore(engine, writer), 0)
    alone.refresh(engine)
    assert alone.size == 0


@pytest.mark.postgres
def test_one_worker_at_a_time_gets_the_turn_of_a_round(database_url: str) -> None:
    first, second = make_engine(database_url), make_engine(database_url)
    try:
        with RoundLock(first, "cosigning").turn() as mine:
            assert mine
            with RoundLock(second, "cosigning").turn() as theirs, RoundLock(second, "key-retention").turn() as other:
                assert (theirs, other) == (False, True)  # one lock per kind of round
        with RoundLock(second, "cosigning").turn() as theirs:
            assert theirs  # released when the first round ended
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.db
def test_a_worker_without_the_turn_only_checks_for_a_rollback_and_still_stops_signing(harness: PortHarness) -> None:
    """Every worker learns a rollback from the witnesses itself (the refusal lives in each process)."""
    ours = sign_checkpoint_note(ORIGIN, 5, bytes(32), Signer(sandbox().keyrings).key(PORT_ID, "key-2").private_key)
    asked: list[str] = []

    def witness(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"origin": ORIGIN, "size": 5, "root": None, "note": ours})

    collector = harness.app.state.cosigning
    collector.peer_urls = lambda: {PORT_ID: "http://self.test", "cn-port-02": WITNESS_URL}
    with httpx.Client(transport=httpx.MockTransport(witness), base_url=WITNESS_URL) as client:
        collector.recheck(client, now=1000.0)
    assert asked == ["GET /v1/witness/latest"]  # never an add-checkpoint: that is the turn holder's work
    assert harness.port.log.signing_refusal is not None and "backup" in harness.port.log.signing_refusal


def test_workers_need_a_port_on_postgresql(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_sandbox(sandbox(), data_dir)
    runner = CliRunner()
    base = ["node", "port", "--id", "cn-port-01", "--data-dir", str(data_dir), "--workers", "2"]
    sqlite = runner.invoke(app, base, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'port.db'}"})
    assert sqlite.exit_code == 2 and "SQLite stays one process" in sqlite.output
    exporter = ["node", "exporter", "--id", "ru-exp-01", "--data-dir", str(data_dir), "--workers", "2"]
    assert runner.invoke(app, exporter).exit_code == 2
    from_env = runner.invoke(app, base[:-2], env={"PILOT_PORT_WORKERS": "2", "DATABASE_URL": ""})
    assert from_env.exit_code == 2 and "SQLite stays one process" in from_env.output


@pytest.mark.postgres
def test_the_head_engine_replaces_a_connection_the_database_dropped_before_a_read_uses_it(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the database restarts (here: the head engine's server process is ended), a worker's next read of
    the head is answered, not refused with 503: the idle connection is pinged and replaced first."""
    settings = NodeSettings(
        node_id=PORT_ID, data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False)
    )
    heads = head_engine(settings, engine)
    assert heads is not None
    try:
        key = Ed25519PrivateKey.generate()
        writer, reader = TransparencyLog(ORIGIN, key), TransparencyLog(ORIGIN, key, head_engine=heads)
        writer.load(engine)
        reader.load(engine)
        store = SqlSubmissionStore(engine, writer)
        _append(store, 0)
        reader.refresh(engine)
        with heads.connect() as connection:
            dropped = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        _append(store, 1)
        monkeypatch.setattr("node_core.database.IDLE_PING_S", 0.0)
        reader.refresh(engine)  # a stale connection would raise OperationalError here
        assert reader.size == 2
        with heads.connect() as connection:
            assert connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != dropped
    finally:
        heads.dispose()
