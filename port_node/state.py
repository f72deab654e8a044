"""One running port's state: settings, database, trust list, keys, log, store, intake and auth.

``PortNode.open`` does the start-up work in order: engine -> Alembic migrations -> trust list (which
reads and records the accepted ``sequence``) -> the port's keys -> the in-memory tree rebuilt from the
stored leaves -> the operator token -> the ``keyAgreement`` keys that open sealed credentials
(``agreement_keys``), and the destruction of those whose retention is over (``retention``, which the app's
lifespan then runs hourly). Routes reach it through ``app.state.node`` (``routes.deps.PortDep``).
Credentials' status is looked up in the registry (``node_core.status_cache``, peer id ``registry``) at
receive time, docs/design.md §12.

Several processes (``pilot node port --workers N``, PostgreSQL only): ``prepare`` does the start-up work
once, in the parent, before the workers open the port each (then migrations are at head, the token file
and the first checkpoint exist, and nothing races). Each worker's log is ``shared``: reads catch up with
what the others committed (``TransparencyLog.refresh``). The request nonces are in the database
(``SqlNonceStore``), so a replay sent to another worker is refused. Key retention runs in one process at a
time (``port_node.leadership``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import anyio
import httpx
from sqlalchemy.engine import Engine

from node_core.auth import ensure_token
from node_core.database import make_engine
from node_core.network import PeerDirectory
from node_core.nonces import LockedNonceStore, NonceStore, SqlNonceStore
from node_core.settings import NodeSettings
from node_core.startup import open_engine_and_trust
from node_core.status_cache import RegistryStatusLists
from node_core.trust_holder import TrustHolder
from port_node.agreement_keys import AgreementKeys
from port_node.authentication import Authenticator
from port_node.intake import IntakeService
from port_node.key_retention import KeyRetention
from port_node.keys import PortKeys
from port_node.leadership import RoundLock
from port_node.log import TransparencyLog
from port_node.sampling import SamplingKeys
from port_node.storage import SqlSubmissionStore

__all__ = ["INTAKE_THREADS", "MIGRATIONS", "PortNode", "head_engine", "receive_time"]

#: The port's Alembic scripts.
MIGRATIONS = Path(__file__).parent / "migrations"

#: Threads that run intake work (signature check, parse, assessment, signing, the write) at once. The
#: work is CPU-bound under one GIL: a few threads overlap database waits, more only add GIL contention,
#: and the limiter queues the rest in arrival order, which keeps tail latency close to the median.
INTAKE_THREADS = 4


def head_engine(settings: NodeSettings, engine: Engine) -> Engine | None:
    """The engine a shared log reads the committed head with (PostgreSQL), or None (SQLite: one process).

    Its own small pool, autocommit, so that the head query every log read starts with is one round trip (on the
    busy 2-core machine: 0.3 ms, against 1 ms through the main engine when that one pinged every connection and
    began and rolled back a transaction around each read). Made by ``make_engine``, so a connection idle for
    more than ``node_core.database.IDLE_PING_S`` is pinged first: after the database restarts, a stale one is
    replaced before a read uses it, as on the main engine.
    """
    if engine.dialect.name == "sqlite":
        return None
    return make_engine(settings.database_url, pool_size=4, max_overflow=8, autocommit=True)


def receive_time() -> datetime:
    """The port's receive time, UTC, to the second: the instant keys and credentials are judged at."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class PortNode:
    """The state of one port node."""

    #: The trust-list role of this kind of node (``GET /health``).
    role: ClassVar[str] = "port_authority"

    settings: NodeSettings
    engine: Engine
    trust: TrustHolder
    keys: PortKeys
    log: TransparencyLog
    store: SqlSubmissionStore
    intake: IntakeService
    auth: Authenticator
    #: The credentials' status lists, fetched from the registry and cached (docs/design.md §12).
    status: RegistryStatusLists
    #: The ``keyAgreement`` private keys that open credentials sealed to this port (docs/design.md §§4, 5).
    agreement_keys: AgreementKeys
    #: Destroys those keys once their retention is over (``port_node.key_retention``).
    retention: KeyRetention
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, settings: NodeSettings, *, registry_transport: httpx.BaseTransport | None = None) -> PortNode:
        """Open the database, migrate it, load trust list, keys and log; ready to serve.

        ``registry_transport`` replaces the network between the port and the registry (tests).
        """
        engine, trust = open_engine_and_trust(settings, MIGRATIONS)
        keys = PortKeys.load(settings.node_id, settings.key_file, settings.key_passphrase_bytes)
        log = TransparencyLog(keys.origin, keys.log.private_key, head_engine=head_engine(settings, engine))
        log.load(engine)
        store = SqlSubmissionStore(engine, log)
        token = ensure_token(settings.tokens_dir, settings.node_id)
        nonces: NonceStore = SqlNonceStore(engine, ttl_s=settings.nonce_ttl_s)
        if engine.dialect.name == "sqlite":
            nonces = LockedNonceStore(nonces, log.write_lock)
        auth = Authenticator(trust, nonces, token, origins=settings.public_origins, skew_s=settings.clock_skew_s)
        sampling = SamplingKeys.load(settings.data_dir, settings.node_id)
        status = RegistryStatusLists.for_peers(
            PeerDirectory(settings), timeout_s=settings.status_timeout_s, transport=registry_transport
        )
        agreement_keys = AgreementKeys(settings.key_file, settings.key_passphrase_bytes)
        retention = KeyRetention(
            settings.node_id, trust, agreement_keys, turn=RoundLock(engine, f"key-retention:{settings.node_id}").turn
        )
        retention.run_safely()
        intake = IntakeService(
            settings.node_id,
            keys,
            trust,
            store,
            sampling,
            status=status,
            agreement_keys=agreement_keys,
            language=settings.language,
        )
        return cls(settings, engine, trust, keys, log, store, intake, auth, status, agreement_keys, retention)

    @classmethod
    def prepare(cls, settings: NodeSettings) -> None:
        """The start-up work done once before several worker processes open the port (module docstring)."""
        cls.open(settings).close()

    def intake_limiter(self) -> anyio.CapacityLimiter:
        """The FIFO limiter of intake threads (made on first use, inside the event loop)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(INTAKE_THREADS)
        return self._limiter

    def close(self) -> None:
        """Stop the key retention thread; release the database connections and the registry client."""
        self.retention.stop()
        self.status.close()
        self.engine.dispose()
        if self.log.head_engine is not None:
            self.log.head_engine.dispose()
