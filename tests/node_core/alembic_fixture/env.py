"""Alembic environment of the test fixture: exactly what a node's ``env.py`` is expected to contain."""

from node_core.database import configure_alembic_context

configure_alembic_context()
