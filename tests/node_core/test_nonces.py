"""Nonce stores: replays within the lifetime are refused, atomically, in memory and in SQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from node_core.database import make_engine
from node_core.migrations_shared import SEEN_NONCE
from node_core.nonces import MemoryNonceStore, NonceStore, SqlNonceStore

T = 1_900_000_000.0


def check_store(store: NonceStore) -> None:
    assert store.remember("k1", "nonce-a", T)
    assert not store.remember("k1", "nonce-a", T + 1)
    assert store.remember("k2", "nonce-a", T + 1)  # per key id
    assert store.remember("k1", "nonce-b", T + 1)
    assert not store.remember("k1", "nonce-a", T + 599)
    assert store.remember("k1", "nonce-a", T + 600)  # expired: usable again, for another 600 s
    assert not store.remember("k1", "nonce-a", T + 700)


def check_concurrent(store: NonceStore) -> None:
    barrier = threading.Barrier(8)

    def attempt(_: int) -> bool:
        barrier.wait()
        return store.remember("k-race", "same-nonce", T)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count(True) == 1


def test_memory_store() -> None:
    check_store(MemoryNonceStore(ttl_s=600))
    check_concurrent(MemoryNonceStore())


def test_memory_store_purges_expired_entries() -> None:
    store = MemoryNonceStore(ttl_s=10)
    for i in range(100):
        store.remember("k", f"n{i}", T)
    store.remember("k", "late", T + 100)
    assert store.size() == 1


@pytest.mark.db
def test_sql_store(migrated_engine: Engine) -> None:
    check_store(SqlNonceStore(migrated_engine, ttl_s=600))


@pytest.mark.db
def test_sql_store_concurrent(migrated_engine: Engine) -> None:
    check_concurrent(SqlNonceStore(migrated_engine))


@pytest.mark.db
def test_sql_store_purges(migrated_engine: Engine) -> None:
    store = SqlNonceStore(migrated_engine, ttl_s=10)
    for i in range(20):
        store.remember("k", f"n{i}", T)
    store.purge(T + 11)
    with migrated_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(SEEN_NONCE)).scalar_one() == 0


def _stored_expiry(engine: Engine, keyid: str, nonce: str) -> datetime:
    with engine.connect() as connection:
        value = connection.execute(
            select(SEEN_NONCE.c.expires_at).where(SEEN_NONCE.c.keyid == keyid, SEEN_NONCE.c.nonce == nonce)
        ).scalar_one()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # SQLite gives back a naive UTC time


@pytest.mark.db
def test_sql_store_writes_what_core_reads_and_compares_with_what_core_wrote(migrated_engine: Engine) -> None:
    # The store writes on the driver's cursor; the purge and every reader go through Core. The expiry it
    # stores is the one Core reads back, and rows Core wrote are compared with its own values alike.
    store = SqlNonceStore(migrated_engine, ttl_s=600)
    assert store.remember("k1", "driver", T)
    assert _stored_expiry(migrated_engine, "k1", "driver") == datetime.fromtimestamp(T + 600, UTC)
    with migrated_engine.begin() as connection:
        connection.execute(
            insert(SEEN_NONCE),
            [
                {"keyid": "k1", "nonce": "core-live", "expires_at": datetime.fromtimestamp(T + 10, UTC)},
                {"keyid": "k1", "nonce": "core-expired", "expires_at": datetime.fromtimestamp(T - 10, UTC)},
            ],
        )
    assert not store.remember("k1", "core-live", T)
    assert store.remember("k1", "core-expired", T)
    assert _stored_expiry(migrated_engine, "k1", "core-expired") == datetime.fromtimestamp(T + 600, UTC)
    store.purge(T + 601)
    with migrated_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(SEEN_NONCE)).scalar_one() == 0


@pytest.mark.db
def test_sql_store_refuses_a_replay_after_a_restart(migrated_engine: Engine) -> None:
    assert SqlNonceStore(migrated_engine).remember("k1", "before-restart", T)
    restarted = make_engine(migrated_engine.url.render_as_string(hide_password=False))
    try:
        assert not SqlNonceStore(restarted).remember("k1", "before-restart", T + 1)
    finally:
        restarted.dispose()


@pytest.mark.db
def test_sql_store_raises_database_failures_as_sqlalchemy_errors(migrated_engine: Engine) -> None:
    # The port answers 503 for SQLAlchemy's DBAPIError (port_node.storage.unavailable), not for the driver's own.
    store = SqlNonceStore(migrated_engine)
    with migrated_engine.begin() as connection:
        connection.execute(text("ALTER TABLE seen_nonce RENAME TO seen_nonce_gone"))
    with pytest.raises(DBAPIError):
        store.remember("k1", "no-table", T)
    with migrated_engine.begin() as connection:
        connection.execute(text("ALTER TABLE seen_nonce_gone RENAME TO seen_nonce"))
    assert store.remember("k1", "table-back", T)  # the connection went back to the pool usable
