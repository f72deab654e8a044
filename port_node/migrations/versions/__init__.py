"""Alembic revisions of the port node."""
