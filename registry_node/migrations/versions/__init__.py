"""Alembic revisions of the registry node."""
