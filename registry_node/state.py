"""One running registry's state: settings, database, trust list, the status list store and request auth.

``RegistryNode.open`` does the start-up work in order: engine -> Alembic migrations -> trust list (which
reads and records the accepted ``sequence``) -> store and authenticator. The registry holds no signing key
of its own: it signs nothing, it keeps what issuers signed. Requests that post a version are checked by
``node_core.participant_auth`` with the rule ``routes.status.the_lists_issuer``. Nonces live in the
database's ``seen_nonce`` table, so a replay is refused across restarts too (401 ``REQUEST_REPLAYED``); on
SQLite their writes take the store's write lock, so they queue behind version writes instead of meeting
SQLite's busy handler. Routes reach the node through ``app.state.node`` (``routes.deps.RegistryDep``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from sqlalchemy.engine import Engine

from node_core.database import WriteLock
from node_core.nonces import LockedNonceStore, SqlNonceStore
from node_core.participant_auth import ParticipantAuthenticator
from node_core.settings import NodeSettings
from node_core.startup import open_engine_and_trust
from node_core.trust_holder import TrustHolder
from registry_node.store import StatusListStore

__all__ = ["MIGRATIONS", "RegistryNode", "receive_time"]

#: The registry's Alembic scripts.
MIGRATIONS = Path(__file__).parent / "migrations"


def receive_time() -> datetime:
    """The registry's clock, UTC: the instant a posted list and its signer's key are judged at."""
    return datetime.now(UTC)


@dataclass
class RegistryNode:
    """The state of one registry node."""

    #: The trust-list role of the participant that runs this kind of node (``GET /health``): ``pilot-gov``'s.
    role: ClassVar[str] = "trust_list_operator"

    settings: NodeSettings
    engine: Engine
    trust: TrustHolder
    store: StatusListStore
    auth: ParticipantAuthenticator

    @classmethod
    def open(cls, settings: NodeSettings) -> RegistryNode:
        """Open the database, migrate it, load the trust list; ready to serve."""
        engine, trust = open_engine_and_trust(settings, MIGRATIONS)
        lock = WriteLock(engine)
        nonces = LockedNonceStore(SqlNonceStore(engine, ttl_s=settings.nonce_ttl_s), lock)
        auth = ParticipantAuthenticator(trust, nonces, origins=settings.public_origins, skew_s=settings.clock_skew_s)
        return cls(settings, engine, trust, StatusListStore(engine, lock), auth)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
