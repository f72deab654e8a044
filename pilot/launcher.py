"""Run the ten-node pilot network as real local processes: the engine behind ``pilot up``/``status``/``down``.

The demo and the tests use the same Python API::

    with start_network(tmp_path, 8100) as network:   # init if needed, start, wait for /health
        network.urls["cn-port-01"]                    # "http://127.0.0.1:8101"
    # leaving the block stops every node and removes network.json

    stop_network(data_dir)     # stop what network.json names (pilot down)
    network_health(data_dir)   # what pilot status shows

Each node is ``pilot node <kind> --id <id> --data-dir <D> --listen 127.0.0.1:<port>`` in its own session,
logging to ``<D>/logs/<id>.log``; the overview page (``pilot.overview``) logs to ``<D>/logs/overview.log``.
The ten nodes are the three ports, the six exporters and the ``registry`` (docs/design.md §§6, 12).
Children inherit the environment except ``DATABASE_URL``/``PILOT_DATABASE_URL``/``PILOT_PEER_URLS``
(which would make the nodes share one database or ignore network.json); ``env=`` adds variables. Each
node is told its public origins (``PILOT_PUBLIC_ORIGINS``: the URL in network.json and its ``localhost``
twin), the only origins a request signed for it may name. A port writes its receipts' reasons in Chinese too
(``PILOT_LANGUAGE=zh``, docs/design.md §6 "Languages") unless the environment sets ``PILOT_LANGUAGE``.

Once every node is healthy, the status lists kept in the data directory (``<D>/status-lists/``: the
generation-0 lists ``pilot init`` signed, and those of the issuers that are not nodes) are published to
the registry (``pilot.status_publishing``); ``Network.publications`` says what became of each. A list the
registry already holds answers 200, so starting a network on a used data directory is fine.

Errors::

    LauncherError
    ├── UsageError            the network cannot be started as asked (exit 2)
    │   ├── PortsBusyError    a planned port is taken; names every busy port
    │   └── AlreadyRunningError   network.json names live processes
    └── StartError            a node died or stayed unhealthy during start-up (exit 1); carries log tails

Each error's ``str()`` is English; its ``phrase`` is the same message as a template and values, which ``pilot up``
shows in the command's language (``pilot.language.localized``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from pilot.network_file import NetworkRecord, ProcessEntry, read_record, remove_record, write_record
from pilot.network_plan import (
    DEFAULT_BASE_PORT,
    LOOPBACK,
    REGISTRY_ID,
    NodeSpec,
    PlanError,
    database_url_for,
    plan_nodes,
    planned_ports,
)
from pilot.processes import DEFAULT_GRACE_S, node_health, pid_alive, pid_runs, pilot_argv, spawn_logged, stop_pids, tail
from schemas.phrase import Phrase

if TYPE_CHECKING:
    from pilot.status_publishing import ListPublication

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "AlreadyRunningError",
    "LauncherError",
    "Network",
    "PortsBusyError",
    "StartError",
    "UsageError",
    "busy_ports",
    "network_health",
    "start_network",
    "stop_network",
]

DEFAULT_TIMEOUT_S = 60.0
OVERVIEW = "overview"
#: The language of the sandbox ports' receipts (besides English): they play Chinese port authorities.
SANDBOX_PORT_LANGUAGE = "zh"
_SCRUBBED_ENV = (
    "DATABASE_URL",
    "PILOT_DATABASE_URL",
    "PILOT_PEER_URLS",
    "PILOT_NODE_ID",
    "PILOT_LISTEN_PORT",
    "PILOT_PUBLIC_ORIGINS",
)

#: ``on_progress(healthy ids, total)`` while waiting for the nodes' health checks.
ProgressCallback = Callable[[list[str], int], None]


class LauncherError(Exception):
    """Root of the launcher's errors: ``str()`` in English, ``phrase`` to show in the command's language."""

    def __init__(self, message: Phrase | str) -> None:
        super().__init__(str(message))
        self.phrase = message


class UsageError(LauncherError):
    """The network cannot be started as asked; nothing was started (exit 2)."""


class PortsBusyError(UsageError):
    """Some planned ports are already in use."""

    def __init__(self, busy: Mapping[int, str]) -> None:
        self.busy = dict(busy)
        listed = ", ".join(f"{port} ({owner})" for port, owner in sorted(self.busy.items()))
        super().__init__(
            Phrase("port(s) already in use: {ports}; stop what uses them or pick another --base-port", ports=listed)
        )


class AlreadyRunningError(UsageError):
    """``network.json`` in the data dir names processes that still run."""


class StartError(LauncherError):
    """Nodes died or did not become healthy in time; every process that was started has been stopped."""

    def __init__(self, reason: Phrase, logs: Mapping[str, str]) -> None:
        super().__init__(reason)
        self.reason = str(reason)
        self.logs = dict(logs)  # node id -> tail of its log


def busy_ports(ports: Mapping[int, str], host: str = LOOPBACK) -> dict[int, str]:
    """The subset of ``ports`` that cannot be bound on ``host`` now (as uvicorn binds: SO_REUSEADDR)."""
    busy: dict[int, str] = {}
    for port, owner in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                busy[port] = owner
    return busy


@dataclass
class _Child:
    """One started process and how to start it again."""

    name: str
    kind: str
    url: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = spawn_logged(self.argv, log_path=self.log, env=self.env)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else -1

    def exit_code(self) -> int | None:
        """None while running; the exit status once it has ended."""
        return None if self.process is None else self.process.poll()

    def entry(self) -> ProcessEntry:
        return ProcessEntry(url=self.url, pid=self.pid, kind=self.kind, log=str(self.log))


@dataclass
class Network:
    """A running network started by :func:`start_network`; a context manager that stops it on exit."""

    data_dir: Path
    base_port: int
    database_url_template: str | None
    children: dict[str, _Child]
    overview: _Child | None = None
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    #: What became of each status list file of the data dir when it was published to the registry.
    publications: list[ListPublication] = field(default_factory=list)

    @property
    def urls(self) -> dict[str, str]:
        """``{short id: base URL}`` of the ten nodes."""
        return {name: child.url for name, child in self.children.items()}

    @property
    def overview_url(self) -> str | None:
        """The overview page's URL, if it runs."""
        return self.overview.url if self.overview else None

    def pids(self) -> dict[str, int]:
        """``{short id: pid}`` of the nodes."""
        return {name: child.pid for name, child in self.children.items()}

    def token(self, node_id: str) -> str:
        """The operator token of ``node_id`` (``<data dir>/tokens/<id>``)."""
        from node_core.auth import read_token

        return read_token(self.data_dir / "tokens", node_id)

    def dashboard_url(self, node_id: str) -> str:
        """The node's dashboard link carrying its operator token, as ``pilot up`` prints it."""
        return f"{self.children[node_id].url}/?token={self.token(node_id)}"

    def record(self) -> NetworkRecord:
        """What ``network.json`` says about this network."""
        return NetworkRecord(
            nodes={name: child.entry() for name, child in self.children.items()},
            overview=self.overview.entry() if self.overview else None,
            base_port=self.base_port,
            database_url_template=self.database_url_template,
            started_at=self.started_at,
        )

    def write_record(self) -> None:
        """(Re)write ``network.json`` atomically."""
        write_record(self.data_dir, self.record())

    def _all(self) -> list[_Child]:
        return [*self.children.values(), *([self.overview] if self.overview else [])]

    def dead(self) -> dict[str, int]:
        """``{name: exit status}`` of the processes that have ended (nodes and overview)."""
        return {child.name: code for child in self._all() if (code := child.exit_code()) is not None}

    def log_tail(self, name: str, lines: int = 20) -> str:
        """The last lines of a node's (or the overview's) log."""
        child = self.overview if name == OVERVIEW and self.overview else self.children[name]
        return tail(child.log, lines)

    def wait_healthy(
        self, names: list[str], *, timeout_s: float = DEFAULT_TIMEOUT_S, on_progress: ProgressCallback | None = None
    ) -> None:
        """Wait until every named process answers ``/health``; ``StartError`` if one dies or time runs out."""
        children = {name: (self.overview if name == OVERVIEW else self.children[name]) for name in names}
        pending = dict(children)
        healthy: list[str] = []
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while pending:
                for name, child in list(pending.items()):
                    assert child is not None
                    code = child.exit_code()
                    if code is not None:
                        raise StartError(
                            Phrase(
                                "{name} exited with status {code} during start-up (log: {path})",
                                name=name,
                                code=code,
                                path=child.log,
                            ),
                            {name: tail(child.log)},
                        )
                    if node_health(client, child.url, None if name == OVERVIEW else name) is not None:
                        healthy.append(name)
                        del pending[name]
                        if on_progress:
                            on_progress(list(healthy), len(children))
                if not pending:
                    break
                if time.monotonic() > deadline:
                    waiting = ", ".join(sorted(pending))
                    raise StartError(
                        Phrase("not healthy after {seconds:g} s: {nodes}", seconds=timeout_s, nodes=waiting),
                        {name: tail(child.log) for name, child in pending.items() if child is not None},
                    )
                time.sleep(0.2)

    def publish_status_lists(self) -> list[ListPublication]:
        """Publish the data dir's status lists to the registry (kept in ``publications``); each file's outcome.

        The lists of the issuers that are not nodes are signed afresh first where they are missing (a data
        dir from an older ``pilot init``) or near their ``validUntil`` (``pilot.issuer_state.refresh_lists``).
        """
        from pilot.issuer_state import refresh_lists
        from pilot.status_publishing import publish_data_dir_lists

        refresh_lists(self.data_dir)
        self.publications = publish_data_dir_lists(self.data_dir, self.children[REGISTRY_ID].url)
        return self.publications

    def stop_node(self, node_id: str, *, grace_s: float = DEFAULT_GRACE_S) -> None:
        """Stop one node (for fault scenarios: a port that is down for a while); network.json keeps its URL."""
        child = self.children[node_id]
        stop_pids([child.pid], grace_s=grace_s)
        if child.process is not None:
            # Reap it: until waited for, poll() may still say "running" and start_node would not restart it.
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=grace_s + 5.0)

    def start_node(self, node_id: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """Start a stopped node again on the same port and wait for its health; network.json gets the new pid."""
        child = self.children[node_id]
        if child.exit_code() is None and child.process is not None:
            return
        port = int(child.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 10.0
        while busy_ports({port: node_id}) and time.monotonic() < deadline:
            time.sleep(0.1)  # the old socket may take a moment to close
        child.start()
        self.write_record()
        self.wait_healthy([node_id], timeout_s=timeout_s)

    def stop(self, *, grace_s: float = DEFAULT_GRACE_S) -> None:
        """Stop every process (SIGTERM, then SIGKILL after ``grace_s``) and remove ``network.json``."""
        stop_pids([child.pid for child in self._all() if child.process is not None], grace_s=grace_s)
        for child in self._all():
            if child.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=1.0)
        record = _safe_read(self.data_dir)
        if record is None or {n: e.pid for n, e in record.nodes.items()} == self.pids():
            remove_record(self.data_dir)

    def __enter__(self) -> Network:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _safe_read(data_dir: Path) -> NetworkRecord | None:
    try:
        return read_record(data_dir)
    except ValueError:
        return None


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    base["PYTHONUNBUFFERED"] = "1"
    base.update(env or {})
    return base


def _node_child(spec: NodeSpec, data_dir: Path, env: dict[str, str], database_url: str | None) -> _Child:
    argv = pilot_argv("node", spec.kind, "--id", spec.node_id, "--data-dir", str(data_dir), "--listen", spec.listen)
    child_env = dict(env)
    child_env["PILOT_PUBLIC_ORIGINS"] = f"{spec.url},http://localhost:{spec.port}"
    if spec.kind == "port":  # the sandbox's ports are Chinese port authorities, unless PILOT_LANGUAGE says otherwise
        child_env.setdefault("PILOT_LANGUAGE", SANDBOX_PORT_LANGUAGE)
    if database_url:
        child_env["DATABASE_URL"] = database_url
    return _Child(spec.node_id, spec.kind, spec.url, argv, child_env, data_dir / "logs" / f"{spec.node_id}.log")


def _overview_child(base_port: int, data_dir: Path, env: dict[str, str]) -> _Child:
    listen = f"{LOOPBACK}:{base_port}"
    argv = [sys.executable, "-m", "pilot.overview", "--data-dir", str(data_dir), "--listen", listen]
    return _Child(OVERVIEW, OVERVIEW, f"http://{listen}", argv, env, data_dir / "logs" / "overview.log")


def _refuse_if_running(data_dir: Path) -> None:
    record = _safe_read(data_dir)
    if record is None:
        return
    live = sorted(name for name, entry in record.nodes.items() if pid_runs(entry.pid, name))
    if live:
        raise AlreadyRunningError(
            Phrase(
                "{path} names running nodes ({nodes}); run `pilot down --data-dir {data_dir}` first",
                path=data_dir / "network.json",
                nodes=", ".join(live),
                data_dir=data_dir,
            )
        )


def start_network(
    data_dir: Path,
    base_port: int = DEFAULT_BASE_PORT,
    *,
    database_url_template: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    overview: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Network:
    """Init the sandbox if needed, start the ten nodes (and the overview), wait for health, publish the data dir's
    status lists to the registry, write network.json.

    ``database_url_template`` (``{id}``/``{db}`` placeholders, see :mod:`pilot.network_plan`) gives each node
    its own database, created if missing. Raises ``UsageError`` before starting anything, or
    ``StartError`` after stopping everything it started.
    """
    data_dir = Path(data_dir).resolve()
    try:
        specs = plan_nodes(base_port)
        urls: dict[str, str] = {}
        if database_url_template:
            urls = {s.node_id: database_url_for(database_url_template, s.node_id) for s in specs}
    except PlanError as exc:
        raise UsageError(exc.phrase) from exc
    _refuse_if_running(data_dir)
    ports = planned_ports(base_port)
    if not overview:
        ports.pop(base_port)
    busy = busy_ports(ports)
    if busy:
        raise PortsBusyError(busy)
    if not (data_dir / "trust-list.json").is_file():
        from pilot.sandbox import initialise

        initialise(data_dir)
    if urls:
        from pilot.postgres_databases import DatabaseSetupError, ensure_databases

        try:
            ensure_databases(urls.values())
        except DatabaseSetupError as exc:
            raise UsageError(str(exc)) from exc

    child_env = _child_env(env)
    network = Network(
        data_dir=data_dir,
        base_port=base_port,
        database_url_template=database_url_template,
        children={s.node_id: _node_child(s, data_dir, child_env, urls.get(s.node_id)) for s in specs},
        overview=_overview_child(base_port, data_dir, child_env) if overview else None,
    )
    try:
        for child in network._all():
            child.start()
        network.write_record()
        network.wait_healthy(
            [*network.children, *([OVERVIEW] if overview else [])], timeout_s=timeout_s, on_progress=on_progress
        )
        network.publish_status_lists()
    except BaseException:
        network.stop(grace_s=5.0)
        raise
    return network


def stop_network(data_dir: Path, *, grace_s: float = DEFAULT_GRACE_S) -> dict[str, str]:
    """Stop the processes ``network.json`` names and remove it; ``{name: "stopped" | "killed" | "not running"}``.

    A pid whose process is gone, or now runs something else, is reported ``not running`` and left alone.
    """
    data_dir = Path(data_dir)
    try:
        record = read_record(data_dir)
    except ValueError:
        remove_record(data_dir)
        return {}
    if record is None:
        return {}
    markers = {name: (entry.pid, name) for name, entry in record.nodes.items()}
    if record.overview is not None:
        markers[OVERVIEW] = (record.overview.pid, "pilot.overview")
    live = {name: pid for name, (pid, marker) in markers.items() if pid_runs(pid, marker)}
    killed = set(stop_pids(live.values(), grace_s=grace_s))
    remove_record(data_dir)
    return {
        name: ("not running" if name not in live else "killed" if live[name] in killed else "stopped")
        for name in markers
    }


def network_health(data_dir: Path, *, timeout_s: float = 2.0) -> dict[str, Any]:
    """Each recorded node's state: ``{"running": bool, "nodes": {id: {...}}, "overview": {...} | None}``.

    A node entry has ``url``, ``pid``, ``kind``, ``alive`` (the pid runs), ``up`` (``/health`` answered ok
    or degraded), ``status`` (``ok``/``degraded``), ``reasons`` (why degraded),
    ``trustListSequence``, ``database``, ``version`` and ``error``. ``running`` is true when every node is up;
    with no ``network.json`` it is false and ``nodes`` is empty.
    """
    record = read_record(Path(data_dir))
    if record is None:
        return {"running": False, "nodes": {}, "overview": None}
    nodes: dict[str, Any] = {}
    with httpx.Client(timeout=timeout_s, trust_env=False) as client:
        for name, entry in record.nodes.items():
            body = node_health(client, entry.url, name)
            nodes[name] = {
                "url": entry.url,
                "pid": entry.pid,
                "kind": entry.kind,
                "alive": pid_alive(entry.pid),
                "up": body is not None,
                "status": body.get("status") if body else None,
                "reasons": body.get("reasons", []) if body else [],
                "trustListSequence": body.get("trustListSequence") if body else None,
                "database": body.get("database") if body else None,
                "version": body.get("version") if body else None,
                "error": None if body else f"no healthy answer from {entry.url}/health",
            }
        overview = None
        if record.overview is not None:
            up = node_health(client, record.overview.url, None) is not None
            overview = {"url": record.overview.url, "pid": record.overview.pid, "up": up}
    return {"running": bool(nodes) and all(n["up"] for n in nodes.values()), "nodes": nodes, "overview": overview}
