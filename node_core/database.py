"""Database engines, sessions, the single-writer guard and programmatic Alembic upgrades (docs/design.md §10).

SQLite (WAL, one file per node) is the embedded default and PostgreSQL (``postgresql+psycopg://``) the
deployed one. SQLite allows one writer at a time: writers in this process take ``WriteLock`` so that two
threads never race to upgrade a read transaction into a write one (MEASURED.md: "cannot start a
transaction within a transaction"). On PostgreSQL the lock is a no-op; code that must serialise there
(the port's log head) uses ``SELECT ... FOR UPDATE`` instead.

A node's SQLite file holds what it was sent (personal data among it) and is as private as its keys and
tokens: ``make_engine`` creates it with mode 0600 before SQLite opens it, and SQLite gives its ``-wal``
and ``-shm`` files the database file's mode. A file made by an earlier version with wider permissions
(0644) is narrowed to 0600, with its ``-wal`` and ``-shm``, when an engine is made for it.
Every SQLite connection runs with ``secure_delete`` on: content that is deleted or replaced (an exporter
keeps only the sealed form of what it sent sealed, docs/design.md §6) is overwritten with zeros rather
than left readable in the file's free space.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Dialect, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

__all__ = [
    "IDLE_PING_S",
    "SQLITE_BUSY_TIMEOUT_MS",
    "TableStore",
    "WriteLock",
    "configure_alembic_context",
    "database_kind",
    "make_engine",
    "run_migrations",
    "session_scope",
]

SQLITE_BUSY_TIMEOUT_MS = 5000
#: Mode of a node's SQLite database file (and so of its -wal and -shm): owner read and write only.
_SQLITE_FILE_MODE = 0o600


def database_kind(engine: Engine) -> str:
    """``sqlite`` or ``postgresql`` (the dialect name)."""
    return engine.dialect.name


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted or replaced content is zeroed, not left in free pages
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 16, max_overflow: int = 16, autocommit: bool = False
) -> Engine:
    """An engine for ``url``: SQLite with WAL and pragmas, or PostgreSQL pooled for ~32 requests.

    On PostgreSQL, ``pool_size`` and ``max_overflow`` size the pool, and ``autocommit`` makes every statement
    its own transaction (a reader that needs no ``BEGIN``/``ROLLBACK`` round trips around each query); a
    pooled connection is pinged when it was idle (``_ping_if_idle``) whatever the options.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if in_memory:
            engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            if not database.startswith("file:"):  # a plain path (not an SQLite URI filename)
                _private_database_file(Path(database))
            engine = create_engine(
                url,
                echo=echo,
                connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                pool_size=16,
                max_overflow=16,
            )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=30,
        pool_recycle=1800,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


#: A pooled PostgreSQL connection back in the pool for longer than this is pinged before it is handed out.
IDLE_PING_S = 1.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that sat in the pool for more than ``IDLE_PING_S`` (the server may have restarted or
    dropped it meanwhile); one in use a moment ago is handed out as it is.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per transaction, measured at about a
    tenth of a port's write on PostgreSQL. A connection that fails here is replaced by the pool (the
    ``DisconnectionError``); one that dies within the second is found by its first statement, which fails
    (503 on the port, which the exporter retries) and makes SQLAlchemy drop the pool's older connections.
    """
    checked_in = record.info.get("checked_in_at")
    if checked_in is None or time.monotonic() - checked_in <= IDLE_PING_S:
        return
    error: Exception | None = None
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception as exc:
        alive, error = False, exc
    if not alive:
        raise DisconnectionError(f"a pooled connection failed its ping: {error}") from error


def _private_database_file(path: Path) -> None:
    """Create ``path`` empty with ``_SQLITE_FILE_MODE`` if absent (SQLite takes an empty file as a new
    database); narrow an existing one, and its ``-wal``/``-shm``, to that mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SQLITE_FILE_MODE))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & ~_SQLITE_FILE_MODE:
                os.chmod(name, mode & _SQLITE_FILE_MODE)
        except OSError:  # absent, or not ours to change: SQLite will say if it cannot open the database
            pass


class WriteLock:
    """Serialises writers of one SQLite database within this process; a no-op for PostgreSQL.

    Use it around a write transaction (``with lock: with session_scope(engine) as s: ...``). It is a
    plain ``threading.Lock``: FastAPI runs ``def`` routes in a thread pool.
    """

    def __init__(self, engine: Engine, *, timeout_s: float = 30.0) -> None:
        self.enabled = engine.dialect.name == "sqlite"
        self.timeout_s = timeout_s
        self._lock = threading.Lock()

    def __enter__(self) -> WriteLock:
        if self.enabled and not self._lock.acquire(timeout=self.timeout_s):
            raise TimeoutError(f"database write lock not acquired within {self.timeout_s} s")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.enabled:
            self._lock.release()


class TableStore:
    """Base of a node's stores over SQLAlchemy Core tables: reads on a connection of their own, each write
    in one transaction under the node's ``WriteLock`` (shared by the node's stores, so that their writers
    of one SQLite file queue in this process instead of meeting SQLite's busy handler)."""

    def __init__(self, engine: Engine, write_lock: WriteLock | None = None) -> None:
        self.engine = engine
        self.write_lock = write_lock or WriteLock(engine)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction under the write lock: committed on success, rolled back on error."""
        with self.write_lock, self.engine.begin() as connection:
            yield connection

    def _read(self) -> Connection:
        """A connection for reads: ``with self._read() as connection: ...``."""
        return self.engine.connect()


@contextmanager
def session_scope(engine: Engine, *, write_lock: WriteLock | None = None) -> Iterator[Session]:
    """A session committed on success and rolled back on error, optionally under ``write_lock``."""
    if write_lock is not None:
        with write_lock, _session(engine) as session:
            yield session
    else:
        with _session(engine) as session:
            yield session


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def run_migrations(
    engine_or_url: Engine | str, script_location: str | Path, version_table: str = "alembic_version"
) -> None:
    """Upgrade the database to ``head`` with the Alembic scripts in ``script_location`` (no alembic.ini).

    The directory's ``env.py`` should call :func:`configure_alembic_context`, which picks up the
    connection and version table passed here.
    """
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            config.attributes["version_table"] = version_table
            command.upgrade(config, "head")
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def configure_alembic_context(target_metadata: Any = None) -> None:
    """The body of a node's Alembic ``env.py``: run migrations on the connection given to ``run_migrations``.

    When Alembic is started some other way (the ``alembic`` command), a connection is made from the
    config's ``sqlalchemy.url``.
    """
    from alembic import context

    config = context.config
    version_table = config.attributes.get("version_table", "alembic_version")
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        try:
            with engine.begin() as own_connection:
                _run(context, own_connection, target_metadata, version_table)
        finally:
            engine.dispose()
    else:
        _run(context, connection, target_metadata, version_table)


def _run(context: Any, connection: Any, target_metadata: Any, version_table: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
