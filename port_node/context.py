"""Everything one running port holds: settings, database, trust list, keys, log, store, intake and auth.

``build_context`` does the start-up work in order: engine -> Alembic migrations -> trust list (which
reads and records the accepted ``sequence``) -> the port's keys -> the in-memory tree rebuilt from the
stored leaves -> the operator token. Routes reach the context through ``app.state.port``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from node_core.auth import ensure_token
from node_core.database import make_engine, run_migrations
from node_core.nonces import NonceStore, SqlNonceStore
from node_core.settings import NodeSettings
from node_core.trust_holder import TrustHolder
from port_node.authentication import Authenticator, SerialNonceStore
from port_node.intake import IntakeService
from port_node.keys import PortKeys
from port_node.log import TransparencyLog
from port_node.sampling import SamplingKeys
from port_node.storage import SqlSubmissionStore

__all__ = ["INTAKE_THREADS", "MIGRATIONS", "PortContext", "PortDep", "build_context", "receive_time"]

MIGRATIONS = Path(__file__).parent / "migrations"

#: Threads that run intake work (signature check, parse, assessment, signing, the write) at once. The
#: work is CPU-bound under one GIL: a few threads overlap database waits, more only add GIL contention,
#: and the limiter queues the rest in arrival order, which keeps tail latency close to the median.
INTAKE_THREADS = 4


def receive_time() -> datetime:
    """The port's receive time, UTC, to the second: the instant keys and credentials are judged at."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class PortContext:
    """The state of one port node."""

    settings: NodeSettings
    engine: Engine
    trust: TrustHolder
    keys: PortKeys
    log: TransparencyLog
    store: SqlSubmissionStore
    intake: IntakeService
    auth: Authenticator
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)

    def intake_limiter(self) -> anyio.CapacityLimiter:
        """The FIFO limiter of intake threads (made on first use, inside the event loop)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(INTAKE_THREADS)
        return self._limiter

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def build_context(settings: NodeSettings) -> PortContext:
    """Open the database, migrate it, load trust list, keys and log; ready to serve."""
    engine = make_engine(settings.database_url)
    run_migrations(engine, MIGRATIONS)
    trust = TrustHolder(settings.trust_list_path, settings.trust_anchor_path, engine)
    passphrase = settings.key_passphrase.get_secret_value().encode() if settings.key_passphrase else None
    keys = PortKeys.load(settings.node_id, settings.key_file, passphrase)
    log = TransparencyLog(keys.origin, keys.log.private_key)
    log.load(engine)
    store = SqlSubmissionStore(engine, log)
    token = ensure_token(settings.tokens_dir, settings.node_id)
    nonces: NonceStore = SqlNonceStore(engine, ttl_s=settings.nonce_ttl_s)
    if engine.dialect.name == "sqlite":
        nonces = SerialNonceStore(nonces, log.write_lock)
    auth = Authenticator(trust, nonces, token, origins=settings.public_origins, skew_s=settings.clock_skew_s)
    sampling = SamplingKeys.load(settings.data_dir, settings.node_id)
    intake = IntakeService(settings.node_id, keys, trust, store, sampling)
    return PortContext(settings, engine, trust, keys, log, store, intake, auth)


def _port(request: Request) -> Any:
    return request.app.state.port


PortDep = Annotated[PortContext, Depends(_port)]
