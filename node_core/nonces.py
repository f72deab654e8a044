"""Replay protection for RFC 9421 requests: remember each ``(keyid, nonce)`` for the nonce lifetime.

``remember`` is atomic and returns ``False`` when the pair was already seen and has not expired, which
the verifier reports as ``REQUEST_REPLAYED``. ``MemoryNonceStore`` serves one process;
``SqlNonceStore`` uses the shared ``seen_nonce`` table, so replays are caught across restarts and
across the workers of one node; ``LockedNonceStore`` makes its writes queue behind the node's other
writers on SQLite.
"""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from node_core.driver_statements import DriverStatement, run_and_commit
from node_core.migrations_shared import SEEN_NONCE

__all__ = ["DEFAULT_NONCE_TTL_S", "LockedNonceStore", "MemoryNonceStore", "NonceStore", "SqlNonceStore"]

DEFAULT_NONCE_TTL_S = 600
_PURGE_EVERY_S = 60.0


class NonceStore(Protocol):
    """Where the verifier records nonces."""

    def remember(self, keyid: str, nonce: str, now: float) -> bool:
        """Record ``(keyid, nonce)`` at ``now``; ``False`` if it was seen within the lifetime."""
        ...


class MemoryNonceStore:
    """A thread-safe in-process store whose entries expire ``ttl_s`` after they were recorded."""

    def __init__(self, ttl_s: float = DEFAULT_NONCE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._expiry: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def remember(self, keyid: str, nonce: str, now: float) -> bool:
        key = (keyid, nonce)
        with self._lock:
            if now >= self._next_purge:
                self._expiry = {k: t for k, t in self._expiry.items() if t > now}
                self._next_purge = now + _PURGE_EVERY_S
            expires = self._expiry.get(key)
            if expires is not None and expires > now:
                return False
            self._expiry[key] = now + self.ttl_s
            return True

    def size(self) -> int:
        """Entries held now, expired ones included until the next purge."""
        return len(self._expiry)


class SqlNonceStore:
    """The ``seen_nonce`` table: an insert that conflicts with an unexpired row is a replay.

    One statement per call (``INSERT ... ON CONFLICT DO UPDATE ... WHERE expired``), so two concurrent
    requests with the same nonce cannot both succeed; expired rows are purged about once a minute.

    The statement is a Core construct compiled once and run on the driver's cursor with its commit
    (``node_core.driver_statements.run_and_commit``: Core's bind processors, so the stored ``expires_at`` is
    what Core stores and the purge compares it alike). Measured on this project's machine: 147 against 78 µs a
    call on SQLite; on PostgreSQL one round trip instead of three (659 against 409 µs, local server).
    """

    def __init__(self, engine: Engine, ttl_s: float = DEFAULT_NONCE_TTL_S) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database dialect {engine.dialect.name!r}")
        self.engine = engine
        self.ttl_s = ttl_s
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()
        # Built once (building it per request cost about as much as running it); values bound per call.
        dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        insert = dialect.insert(SEEN_NONCE).values(
            keyid=bindparam("keyid"), nonce=bindparam("nonce"), expires_at=bindparam("expires_at")
        )
        self._remember = insert.on_conflict_do_update(
            index_elements=[SEEN_NONCE.c.keyid, SEEN_NONCE.c.nonce],
            set_={"expires_at": insert.excluded.expires_at},
            where=SEEN_NONCE.c.expires_at <= bindparam("now", type_=SEEN_NONCE.c.expires_at.type),
        ).returning(SEEN_NONCE.c.keyid)
        self._driver = DriverStatement(self._remember, engine.dialect)

    def remember(self, keyid: str, nonce: str, now: float) -> bool:
        now_dt = datetime.fromtimestamp(now, UTC)
        expires_dt = datetime.fromtimestamp(now + self.ttl_s, UTC)
        parameters = {"keyid": keyid, "nonce": nonce, "expires_at": expires_dt, "now": now_dt}
        # A row comes back for an insert or for the update of an expired row; none for a replay.
        stored = run_and_commit(self.engine, self._driver, parameters) is not None
        self._maybe_purge(now, now_dt)
        return stored

    def _maybe_purge(self, now: float, now_dt: datetime) -> None:
        with self._purge_lock:
            if now < self._next_purge:
                return
            self._next_purge = now + _PURGE_EVERY_S
        with self.engine.begin() as connection:
            connection.execute(delete(SEEN_NONCE).where(SEEN_NONCE.c.expires_at <= now_dt))

    def purge(self, now: float | None = None) -> None:
        """Delete every expired row now."""
        current = time.time() if now is None else now
        with self.engine.begin() as connection:
            connection.execute(
                delete(SEEN_NONCE).where(SEEN_NONCE.c.expires_at <= datetime.fromtimestamp(current, UTC))
            )


class LockedNonceStore:
    """A nonce store whose writes take the node's write lock: on SQLite, one writer at a time.

    SQLite's busy handler makes a second writer sleep (1, 2, 5, 10... ms) rather than queue; taking the
    in-process lock the node's other writers take (a port's log writer, ``node_core.database.WriteLock``)
    queues nonce writes behind theirs instead.
    """

    def __init__(self, inner: NonceStore, lock: AbstractContextManager[Any]) -> None:
        self.inner = inner
        self.lock = lock
        self.ttl_s = getattr(inner, "ttl_s", DEFAULT_NONCE_TTL_S)

    def remember(self, keyid: str, nonce: str, now: float) -> bool:
        """Record ``(keyid, nonce)``; False when it was seen within its lifetime."""
        with self.lock:
            return self.inner.remember(keyid, nonce, now)
