"""The processes and databases a benchmark runs against: a node as a child process, the registry, fresh databases.

``NodeServer`` is ``pilot node KIND`` spawned, waited for and stopped (``pilot.processes``), optionally pinned
to one core with ``taskset``; ``Registry`` serves the sandbox's status lists (the port checks every credential's
status as in production, docs/design.md §12); ``Server`` is the port. ``fresh_database`` gives a new empty
database: a SQLite file, or a PostgreSQL database made as ``pilot up`` makes the nodes' and dropped after.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from pilot.bench.workload import PORT_ID, REGISTRY_ID
from pilot.processes import cpu_seconds, free_port, pilot_argv, rss_mib, spawn_logged, stop_process, wait_healthy

__all__ = ["NodeServer", "Registry", "Server", "fresh_database", "node_env", "pin"]


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants that are alive (Linux ``/proc``: each thread's ``children``)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pending += [int(child) for child in children.read_text().split()]
    return found


def pin(core: int | None) -> None:
    """Run this process on ``core`` only (None: leave it)."""
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})


@contextlib.contextmanager
def fresh_database(server_url: str | None, directory: Path, name: str) -> Iterator[str]:
    """A new empty database: a SQLite file in ``directory``, or a new PostgreSQL database dropped after.

    The PostgreSQL database is created as ``pilot up`` creates the nodes' (``ensure_databases``).
    """
    if not server_url:
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from pilot.postgres_databases import ensure_databases

    database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
    ensure_databases([url])
    try:
        yield url
    finally:
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            admin.dispose()


def node_env(**overrides: str) -> dict[str, str]:
    """This process's environment without a database URL of its own, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PILOT_DATABASE_URL", "DATABASE_URL")}
    return env | overrides


class NodeServer:
    """``pilot node KIND`` as a child process, optionally pinned to one core (``pilot.processes``: spawned,
    waited for, stopped); ``extra_args`` go after the usual ones."""

    def __init__(
        self,
        kind: str,
        node_id: str,
        data_dir: Path,
        *,
        env: dict[str, str],
        core: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = pilot_argv("node", kind, "--id", node_id, "--data-dir", str(data_dir))
        command += ["--listen", f"127.0.0.1:{self.port}", *extra_args]
        if core is not None:
            command = ["taskset", "-c", str(core), *command]
        self.log_path = data_dir / f"{kind}-{self.port}.log"
        started = time.perf_counter()
        self.process = spawn_logged(command, log_path=self.log_path, env=env)
        try:
            wait_healthy(self.process, self.url, log_path=self.log_path, timeout_s=120)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started

    def _tree_total(self, read: Callable[[int], float]) -> float:
        """``read(pid)`` summed over the node process and its children (``pilot node port --workers N`` runs N
        processes; the child of ``taskset`` execs in place); a process that ended meanwhile counts nothing."""
        total = 0.0
        for pid in _process_tree(self.process.pid):
            with contextlib.suppress(OSError):
                total += read(pid)
        return total

    @property
    def rss_mib(self) -> float:
        """Resident memory of the node's processes, in MiB."""
        return self._tree_total(rss_mib)

    @property
    def cpu_s(self) -> float:
        """The CPU time the node's processes have used so far, in seconds; a child that ended is no longer
        counted, so take differences over a phase where none ends."""
        return self._tree_total(cpu_seconds)

    def stop(self) -> None:
        stop_process(self.process)


class Registry(NodeServer):
    """``pilot node registry``, serving the data dir's status lists (published once it is healthy)."""

    def __init__(self, data_dir: Path) -> None:
        from pilot.status_publishing import publish_data_dir_lists

        super().__init__("registry", REGISTRY_ID, data_dir, env=node_env())
        try:
            refused = [p for p in publish_data_dir_lists(data_dir, self.url) if not p.ok]
            if refused:
                raise RuntimeError(f"the registry refused the sandbox's status lists: {refused}")
        except BaseException:
            self.stop()
            raise


class Server(NodeServer):
    """``pilot node port`` on ``database_url``, finding ``registry`` as its peer."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        core: int | None,
        registry: Registry,
        *,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        env = node_env(DATABASE_URL=database_url, PILOT_PEER_URLS=f"{REGISTRY_ID}={registry.url}")
        super().__init__("port", PORT_ID, data_dir, env=env, core=core, extra_args=extra_args)
