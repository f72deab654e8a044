"""Alembic migrations of the registry node's database (run at start-up by ``node_core.database.run_migrations``)."""
