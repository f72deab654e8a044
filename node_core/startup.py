"""The first steps of every node's start-up: its database, migrated to head, then the trust list it holds.

docs/design.md §§5, 10. Each node kind's ``open`` (``ExporterNode``, ``PortNode``, ``RegistryNode``) starts
with ``open_engine_and_trust`` and builds its own parts on the two: the trust list comes second because
``TrustHolder`` reads and records the highest accepted ``sequence`` in the node's database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from node_core.database import make_engine, run_migrations
from node_core.settings import NodeSettings
from node_core.trust_holder import TrustHolder

__all__ = ["open_engine_and_trust"]


def open_engine_and_trust(settings: NodeSettings, migrations: Path) -> tuple[Engine, TrustHolder]:
    """The node's engine upgraded with the Alembic scripts in ``migrations``, and its trust list loaded.

    When either step fails (a database that cannot be reached or upgraded, no trust list that verifies
    against the anchor) the engine is disposed before the error propagates: no connection is left open.
    """
    engine = make_engine(settings.database_url)
    try:
        run_migrations(engine, migrations)
        trust = TrustHolder(settings.trust_list_path, settings.trust_anchor_path, engine)
    except BaseException:
        engine.dispose()
        raise
    return engine, trust
