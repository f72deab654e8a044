"""One process of a port at a time runs each background round (asking witnesses to cosign, key retention).

``pilot node port --workers N`` (PostgreSQL) runs N processes over one database, and each starts the
port's background threads. A round that must not run in two processes at once runs inside
``RoundLock.turn``: a PostgreSQL session advisory lock (``pg_try_advisory_lock``, keyed by the round's
name, which names the port too: advisory locks are per database, and ports could share one), taken
without waiting for the round and released after it. A process that does not get it skips the round:
another one is running it. A process that dies loses its connection and the lock with it. On SQLite (one
process) every turn is granted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["RoundLock"]

_TRY_LOCK = sa.text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = sa.text("SELECT pg_advisory_unlock(:key)")


class RoundLock:
    """The advisory lock of one kind of background round (``name``) over the port's database."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        #: The lock's 64-bit key: the first 8 bytes of SHA-256 of the name, signed as PostgreSQL's bigint.
        self.key = int.from_bytes(hashlib.sha256(f"pilot-port:{name}".encode()).digest()[:8], "big", signed=True)

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Whether this process runs the round now (True) or skips it (False); the lock is held until exit."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        with self.engine.connect() as connection:
            granted = bool(connection.execute(_TRY_LOCK, {"key": self.key}).scalar())
            connection.commit()
            try:
                yield granted
            finally:
                if granted:
                    connection.execute(_UNLOCK, {"key": self.key})
                    connection.commit()
