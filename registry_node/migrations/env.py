"""Alembic environment of the registry node: run the revisions on the connection ``run_migrations`` passes."""

from node_core.database import configure_alembic_context
from registry_node.tables import METADATA

configure_alembic_context(METADATA)
