"""Alembic environment of the port node: run the revisions on the connection ``run_migrations`` passes."""

from node_core.database import configure_alembic_context
from port_node.tables import METADATA

configure_alembic_context(METADATA)
