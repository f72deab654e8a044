"""Create the per-node PostgreSQL databases ``pilot up --database-url-template`` points the nodes at.

Each URL's database is created on its server if missing (connecting to the ``postgres`` maintenance
database with the same credentials); the nodes' Alembic migrations then create their tables.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DatabaseSetupError", "ensure_databases"]


class DatabaseSetupError(RuntimeError):
    """A node's database could not be reached or created."""


def _maintenance_conninfo(url: str) -> tuple[str, str]:
    """(libpq URI of the server's ``postgres`` database, the database name ``url`` names)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise DatabaseSetupError(f"{parsed.render_as_string()}: not a postgresql URL")
    if not parsed.database:
        raise DatabaseSetupError(f"{parsed.render_as_string()}: names no database")
    admin = parsed.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), parsed.database


def ensure_databases(urls: Iterable[str]) -> list[str]:
    """Create each URL's database if it does not exist yet; return the names that were created.

    Non-PostgreSQL URLs (SQLite) are skipped.
    """
    import psycopg
    from psycopg import sql

    created: list[str] = []
    for url in urls:
        if not url.startswith("postgresql"):
            continue
        conninfo, name = _maintenance_conninfo(url)
        try:
            with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
                exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                if exists is None:
                    try:
                        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                        created.append(name)
                    except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                        pass  # created concurrently: fine
        except psycopg.Error as exc:
            raise DatabaseSetupError(f"cannot create database {name!r}: {exc}".strip()) from exc
    return created
