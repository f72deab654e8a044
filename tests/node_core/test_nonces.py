"""Nonce stores: replays within the lifetime are refused, atomically, in memory and in SQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

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
