"""Alembic environment of the exporter node: upgrades run on the connection ``run_migrations`` passes."""

from node_core.database import configure_alembic_context

configure_alembic_context()
