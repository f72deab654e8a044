"""Nodes as real processes on loopback, for the end-to-end tests, built on the product's ``pilot.processes``.

    node = NodeProcess.pilot("port", "cn-port-01", data_dir, env={"DATABASE_URL": url}).start()
    node.url                        # "http://127.0.0.1:<a free port>"
    node.kill()                     # SIGKILL, as a crash
    node.start({CRASH_ENV: "..."})  # again, on the same port, with a variable for this start only
    node.stop()                     # SIGTERM, then SIGKILL after a grace period

``start`` returns once ``/health`` answers ``ok`` or ``degraded`` (``pilot.processes.wait_healthy``, the
launcher's probe); a node that exits first, or is not up in time, is stopped and ``NotHealthyError`` carries
the tail of its log. Each start logs to ``<log dir>/<name>-<n>.log``. A node runs with :func:`node_env`:
this environment without ``PILOT_*`` and ``DATABASE_URL``, so only what the test passes configures it.

A node may need others (``needs``): they are started before it when they are not running, and stopped
with it (a ``kill`` is the node's alone, so a crash test restarts the node and not what it needs). A port
that checks credentials' status needs a registry holding the sandbox's status lists (docs/design.md §12)::

    registry = registry_process(data_dir)            # pilot node registry; each start publishes the lists
    port = NodeProcess.pilot("port", "cn-port-01", data_dir, env={"PILOT_PEER_URLS": peer_urls(registry)},
                             needs=[registry])
    with port.start(): ...                            # the registry first, then the port; both stopped after

``port_with_registry(data_dir)`` is that, in one call.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pilot.launcher import busy_ports, stop_network
from pilot.network_plan import LOOPBACK, REGISTRY_ID, planned_ports
from pilot.processes import (
    DEFAULT_GRACE_S,
    NotHealthyError,
    free_port,
    pid_alive,
    pilot_argv,
    spawn_logged,
    stop_process,
    tail,
    wait_healthy,
)

__all__ = [
    "START_TIMEOUT_S",
    "NodeProcess",
    "NotHealthyError",
    "free_base_port",
    "free_port",
    "network_data_dir",
    "node_env",
    "peer_urls",
    "pilot_argv",
    "pilot_init",
    "port_with_registry",
    "processes_mentioning",
    "publish_lists",
    "registry_process",
    "start_registry",
]

START_TIMEOUT_S = 60.0


def node_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ``PILOT_*`` and ``DATABASE_URL``, unbuffered, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOT_") and k != "DATABASE_URL"}
    env["PYTHONUNBUFFERED"] = "1"
    return env | dict(extra or {})


def pilot_init(data_dir: Path, *arguments: str) -> Path:
    """``pilot init --data-dir DATA_DIR [ARGUMENTS...]`` as a child process, as a user runs it; ``data_dir``."""
    command = pilot_argv("init", "--data-dir", str(data_dir), *arguments)
    subprocess.run(command, env=node_env(), check=True, capture_output=True)
    return data_dir


def _ephemeral_low() -> int:
    """The first port of the system's ephemeral range (Linux), where the kernel picks ports for ``bind(0)``."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_base_port() -> int:
    """A base port whose whole ``pilot up`` plan (base .. base+20) is free on loopback now.

    Chosen below the ephemeral range: a port free now inside it can be taken by any outgoing connection or
    ``free_port()`` before the node binds it (seen in CI: a port of the plan "already in use" at start-up).
    """
    top = max(_ephemeral_low(), 12000) - 20
    for _ in range(200):
        base = random.randrange(10000, top, 20)
        if not busy_ports(planned_ports(base)):
            return base
    raise RuntimeError("no free block of ports found")


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if text.encode() in cmdline and pid_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


@contextmanager
def network_data_dir(directory: Path) -> Iterator[Path]:
    """``directory`` for ``pilot up``; afterwards, whatever happened, its network is stopped and stragglers killed."""
    try:
        yield directory
    finally:
        stop_network(directory, grace_s=5)
        for pid in processes_mentioning(str(directory)):
            os.kill(pid, signal.SIGKILL)


@dataclass
class NodeProcess(AbstractContextManager["NodeProcess"]):
    """A node (or a node stand-in) run as a real process that listens on ``port``; restartable.

    ``argv`` is the whole command. Each start runs with ``env`` plus what that start is given, and logs to
    ``<log_dir>/<name>-<n>.log`` (``n`` counts the starts; ``logs`` lists them). ``needs`` are started
    before it (those not running) and stopped after it; ``after_start`` runs each time it is up.
    """

    name: str
    argv: list[str]
    port: int
    log_dir: Path
    env: dict[str, str] = field(default_factory=node_env)
    timeout_s: float = START_TIMEOUT_S
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)
    needs: list[NodeProcess] = field(default_factory=list)
    after_start: Callable[[NodeProcess], None] | None = None

    @classmethod
    def pilot(
        cls,
        kind: str,
        node_id: str,
        data_dir: Path,
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        command: Sequence[str] | None = None,
        needs: Sequence[NodeProcess] = (),
        after_start: Callable[[NodeProcess], None] | None = None,
    ) -> NodeProcess:
        """``pilot node KIND --id NODE_ID --data-dir DATA_DIR --listen 127.0.0.1:PORT``, on a free port unless given.

        ``command`` replaces ``pilot node KIND`` (a stand-in's command, say); ``env`` is added to
        :func:`node_env`; the logs go beside the data dir unless ``log_dir`` is given.
        """
        port = free_port() if port is None else port
        head = pilot_argv("node", kind) if command is None else list(command)
        argv = [*head, "--id", node_id, "--data-dir", str(data_dir), "--listen", f"{LOOPBACK}:{port}"]
        logs = data_dir.parent if log_dir is None else log_dir
        return cls(node_id, argv, port, logs, node_env(env), needs=list(needs), after_start=after_start)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log(self) -> Path | None:
        """The log of the latest start."""
        return self.logs[-1] if self.logs else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, env: Mapping[str, str] | None = None) -> NodeProcess:
        """Start (again, after a stop, a kill or an exit) and wait until healthy; ``env`` is for this start only.

        Returns the node itself, so that ``with node.start():`` stops it on leaving the block.
        """
        if self.running:
            raise RuntimeError(f"{self.name} runs already")
        for needed in self.needs:
            if not needed.running:
                needed.start()
        log = self.log_dir / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(log)
        self.process = spawn_logged(self.argv, log_path=log, env={**self.env, **(env or {})})
        try:
            wait_healthy(self.process, self.url, log_path=log, timeout_s=self.timeout_s)
            if self.after_start is not None:
                self.after_start(self)
        except NotHealthyError as exc:
            self.stop()
            raise NotHealthyError(f"{self.name}: {exc.reason}", exc.log_tail) from None
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after ``grace_s`` (then the same for what it ``needs``); nothing if not running."""
        if self.process is not None:
            stop_process(self.process, grace_s=grace_s)
        for needed in reversed(self.needs):
            needed.stop(grace_s)

    def kill(self) -> None:
        """SIGKILL, as a crash: the node gets no chance to finish anything."""
        assert self.process is not None, f"{self.name} was never started"
        self.process.kill()
        self.process.wait(10)

    def restart(self, env: Mapping[str, str] | None = None) -> NodeProcess:
        """Stop, then start again on the same port."""
        self.stop()
        return self.start(env)

    def wait_exit(self, timeout_s: float = 10.0) -> int:
        """The exit status once the node ends by itself (at a crash point, say), waiting up to ``timeout_s``."""
        assert self.process is not None, f"{self.name} was never started"
        return self.process.wait(timeout_s)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the latest start's log, for a failure message."""
        return tail(self.log, lines) if self.log else ""

    def __exit__(self, *_: object) -> None:
        self.stop()


def peer_urls(*nodes: NodeProcess) -> str:
    """``PILOT_PEER_URLS`` naming ``nodes`` (``id=url,...``), as a node finds its peers (docs/design.md §6)."""
    return ",".join(f"{node.name}={node.url}" for node in nodes)


def publish_lists(registry: NodeProcess, data_dir: Path) -> None:
    """Publish every status list of ``data_dir`` to ``registry`` (``pilot.status_publishing``).

    Each must be held then (this version, or a newer one the issuer published since).
    """
    from pilot.status_publishing import publish_data_dir_lists

    failed = [f"{o.path}: {o.error}" for o in publish_data_dir_lists(data_dir, registry.url) if not o.ok]
    if failed:
        raise RuntimeError(f"{registry.name} did not take every status list of {data_dir}: {failed}")


def registry_process(
    data_dir: Path, *, port: int | None = None, env: Mapping[str, str] | None = None, log_dir: Path | None = None
) -> NodeProcess:
    """``pilot node registry --id registry`` over ``data_dir``, not started yet; every start publishes its lists.

    Its database is ``<data dir>/registry.db`` unless ``env`` gives a ``DATABASE_URL``. Publishing on every
    start is harmless (a list the registry holds answers 200) and gives a fresh database the lists too.
    """
    return NodeProcess.pilot(
        "registry",
        REGISTRY_ID,
        data_dir,
        port=port,
        env=env,
        log_dir=log_dir,
        after_start=lambda registry: publish_lists(registry, data_dir),
    )


def start_registry(
    data_dir: Path, *, port: int | None = None, env: Mapping[str, str] | None = None, log_dir: Path | None = None
) -> NodeProcess:
    """:func:`registry_process` started: up, healthy, and holding ``data_dir``'s status lists."""
    return registry_process(data_dir, port=port, env=env, log_dir=log_dir).start()


def port_with_registry(
    data_dir: Path,
    port_id: str = "cn-port-01",
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    registry: NodeProcess | None = None,
) -> NodeProcess:
    """``pilot node port`` that needs a registry holding ``data_dir``'s status lists; not started yet.

    A port checks every credential's status at receive time and holds, never accepts, without a list it
    could fetch (docs/design.md §12), so a port under test gets a registry as its peer ``registry``
    (``registry``, or its own over ``data_dir``). ``env`` is added (a ``PILOT_PEER_URLS`` there is extended
    with the registry, not replaced).
    """
    registry = registry or registry_process(data_dir)
    variables = dict(env or {})
    others = variables.get("PILOT_PEER_URLS", "")
    variables["PILOT_PEER_URLS"] = ",".join(part for part in (others, peer_urls(registry)) if part)
    return NodeProcess.pilot("port", port_id, data_dir, port=port, env=variables, needs=[registry])
