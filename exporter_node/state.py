"""One running exporter node's state: settings, database, trust list, keys, peers; opened once per app.

``ExporterNode.open`` upgrades the database (Alembic), loads the keyring (decrypted with
``PILOT_KEY_PASSPHRASE`` when set) and the trust list, and makes the operator token if it is missing.
``status`` looks credentials' status up in the registry (peer id ``registry``), as the ports do, for the
consignment pre-check and credential import (docs/design.md §12).
``status_issuer`` is the exporter as an issuer of status lists: it allocates its records' indexes and
signs its own lists (``exporter_node.status_issuer``; published by ``exporter_node.status_publisher``).
Routes and the delivery worker share this object through ``app.state.node``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import httpx
from sqlalchemy.engine import Engine

from exporter_node.identity import NodeIdentity
from exporter_node.records import RecordIssuer
from exporter_node.status_issuer import StatusIssuer
from exporter_node.status_store import StatusStore
from exporter_node.storage import Storage
from node_core.auth import ensure_token
from node_core.database import WriteLock
from node_core.network import PeerDirectory
from node_core.settings import NodeSettings
from node_core.startup import open_engine_and_trust
from node_core.status_cache import RegistryStatusLists
from node_core.trust_holder import TrustHolder

__all__ = ["MIGRATIONS", "ExporterNode"]

#: The exporter's Alembic scripts.
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ExporterNode:
    """Everything an exporter's routes and delivery worker need."""

    #: The trust-list role of this kind of node (``GET /health``).
    role: ClassVar[str] = "exporter"

    settings: NodeSettings
    engine: Engine
    storage: Storage
    trust: TrustHolder
    identity: NodeIdentity
    issuer: RecordIssuer
    peers: PeerDirectory
    token: str
    status: RegistryStatusLists
    status_issuer: StatusIssuer

    @classmethod
    def open(cls, settings: NodeSettings, *, registry_transport: httpx.BaseTransport | None = None) -> ExporterNode:
        """Open the node's database (migrated to head), trust list, keys and operator token.

        ``registry_transport`` replaces the network between the node and the registry's status lists (tests).
        """
        identity = NodeIdentity.load(settings.node_id, settings.key_file, settings.key_passphrase_bytes)
        engine, trust = open_engine_and_trust(settings, MIGRATIONS)
        peers = PeerDirectory(settings)
        write_lock = WriteLock(engine)
        ttl = timedelta(seconds=settings.status_ttl_s)
        status_issuer = StatusIssuer(identity, trust, StatusStore(engine, write_lock), ttl=ttl)
        return cls(
            settings=settings,
            engine=engine,
            storage=Storage(engine, write_lock),
            trust=trust,
            identity=identity,
            issuer=RecordIssuer(identity, settings.securing, status=status_issuer),
            peers=peers,
            token=ensure_token(settings.tokens_dir, settings.node_id),
            status=RegistryStatusLists.for_peers(
                peers, timeout_s=settings.status_timeout_s, transport=registry_transport
            ),
            status_issuer=status_issuer,
        )

    @property
    def node_id(self) -> str:
        """This exporter's short id."""
        return self.settings.node_id

    @staticmethod
    def now() -> datetime:
        """The node's clock: aware UTC."""
        return datetime.now(UTC)

    def close(self) -> None:
        """Release the database connections and the registry client."""
        self.status.close()
        self.engine.dispose()
