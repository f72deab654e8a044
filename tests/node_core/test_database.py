"""Engines, sessions, the write lock and programmatic Alembic upgrades, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, inspect, select, text

from node_core.database import WriteLock, make_engine, run_migrations, session_scope
from node_core.migrations_shared import TRUST_STATE

pytestmark = pytest.mark.db

ALEMBIC_FIXTURE = Path(__file__).parent / "alembic_fixture"


def test_migrations_create_the_shared_tables(migrated_engine: Engine) -> None:
    tables = set(inspect(migrated_engine).get_table_names())
    assert {"seen_nonce", "trust_state", "alembic_version"} <= tables
    with migrated_engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"


def test_migrations_are_idempotent_and_honour_the_version_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    run_migrations(url, ALEMBIC_FIXTURE, version_table="node_version")
    run_migrations(url, ALEMBIC_FIXTURE, version_table="node_version")
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert "node_version" in tables and "alembic_version" not in tables
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'p.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 5000
    finally:
        engine.dispose()


def test_session_scope_commits_and_rolls_back(migrated_engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope(migrated_engine) as session:
        session.execute(insert(TRUST_STATE).values(id=1, sequence=3, anchor_key_ids=["k1"], updated_at=now))
    with pytest.raises(RuntimeError), session_scope(migrated_engine) as session:
        session.execute(TRUST_STATE.update().values(sequence=9))
        raise RuntimeError("abort")
    with session_scope(migrated_engine) as session:
        row = session.execute(select(TRUST_STATE)).one()
    assert row.sequence == 3 and row.anchor_key_ids == ["k1"]


def test_concurrent_writers_lose_no_update(migrated_engine: Engine) -> None:
    lock = WriteLock(migrated_engine)
    with session_scope(migrated_engine, write_lock=lock) as session:
        session.execute(insert(TRUST_STATE).values(id=1, sequence=0, anchor_key_ids=[], updated_at=datetime.now(UTC)))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with session_scope(migrated_engine, write_lock=lock) as session:
                    current = session.execute(select(TRUST_STATE.c.sequence).with_for_update()).scalar_one()
                    session.execute(TRUST_STATE.update().values(sequence=current + 1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with session_scope(migrated_engine) as session:
        final = session.execute(select(TRUST_STATE.c.sequence)).scalar_one()
    # SQLite: the lock serialises writers; PostgreSQL: the lock is a no-op and FOR UPDATE serialises.
    assert lock.enabled == (migrated_engine.dialect.name == "sqlite")
    assert final == 80


@pytest.mark.postgres
def test_a_pooled_postgresql_connection_is_pinged_only_after_sitting_idle(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection back from use a moment ago is handed out as it is; one idle longer is pinged, and one that
    died meanwhile (its server process ended) is replaced before anyone uses it."""
    engine = make_engine(database_url)
    pings: list[bool] = []
    real_ping = engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        try:
            alive = real_ping(connection)
        except Exception:
            alive = False
            raise
        finally:
            pings.append(alive)
        return alive

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    try:
        with engine.connect() as connection:
            first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as connection:  # back a moment ago: no ping
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == first_pid
        assert pings == []

        monkeypatch.setattr("node_core.database.IDLE_PING_S", 0.0)
        killer = make_engine(database_url)
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        killer.dispose()
        time.sleep(0.05)
        with engine.connect() as connection:  # idle, pinged, found dead, replaced
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first_pid
        assert pings[0] is False
    finally:
        engine.dispose()
