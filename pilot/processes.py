"""Child processes of ``pilot up`` and ``pilot bench``: start one with its log file, wait for its health, tell
whether a pid lives, stop a set cleanly.

Children start in their own session, so a Ctrl-C in the terminal reaches only ``pilot up``, which then
stops them in order, and so they outlive ``pilot up --detach``. Stopping is SIGTERM, a grace period,
then SIGKILL for whatever is left. A node is up once ``GET /health`` answers ``ok`` or ``degraded``
(:func:`node_health`); :func:`wait_healthy` waits for that, or for the process to end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "DEFAULT_GRACE_S",
    "NotHealthyError",
    "cpu_seconds",
    "free_port",
    "node_health",
    "pid_alive",
    "pid_runs",
    "pilot_argv",
    "rss_mib",
    "spawn_logged",
    "stop_pids",
    "stop_process",
    "tail",
    "wait_healthy",
]

DEFAULT_GRACE_S = 10.0


def pilot_argv(*arguments: str) -> list[str]:
    """The argv that runs ``pilot ARGUMENTS...`` with this interpreter (no console script needed)."""
    return [sys.executable, "-c", "from pilot.cli import main; main()", *arguments]


def spawn_logged(argv: Sequence[str], *, log_path: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session with stdout and stderr written to ``log_path`` (truncated first)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )


def _reap(pid: int) -> bool:
    """Reap ``pid`` if it is an exited child of ours; True if it was."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a running (not zombie) process."""
    if pid <= 0 or _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def pid_runs(pid: int, marker: str) -> bool:
    """Whether ``pid`` is alive and (where ``/proc`` tells) its command line contains ``marker``.

    Guards ``pilot down`` against signalling an unrelated process that reused a stale pid.
    """
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc: trust the record
    return marker.encode() in cmdline


def cpu_seconds(pid: int) -> float:
    """The CPU time ``pid`` has used so far, user and system, all its threads (Linux ``/proc``); NaN where
    ``/proc`` does not say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    # After the command name: state is field 3 of proc(5), utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """The resident memory of ``pid`` in MiB (Linux ``/proc``); NaN where ``/proc`` does not say."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop_pids(pids: Iterable[int], *, grace_s: float = DEFAULT_GRACE_S) -> list[int]:
    """SIGTERM every pid, wait up to ``grace_s`` for all, SIGKILL the rest; return the pids that were killed."""
    pending = [pid for pid in pids if pid_alive(pid)]
    for pid in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if pid_alive(pid)]
        if pending:
            time.sleep(0.05)
    for pid in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in pending:  # reap our own children so they do not linger as zombies
        end = time.monotonic() + 2.0
        while pid_alive(pid) and time.monotonic() < end:
            time.sleep(0.02)
    return pending


def stop_process(process: subprocess.Popen[bytes], *, grace_s: float = DEFAULT_GRACE_S) -> None:
    """Stop one child of ours as :func:`stop_pids` does and reap it; nothing if it has ended already."""
    if process.poll() is None:  # not reaped yet, so its pid cannot name another process
        stop_pids([process.pid], grace_s=grace_s)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    try:
        data = path.read_bytes()[-64 * 1024 :]
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (chosen by the system; nothing holds it once this returns)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def node_health(client: httpx.Client, url: str, expected_node: str | None = None) -> dict[str, Any] | None:
    """The ``/health`` body when it answers ok or degraded (for ``expected_node`` if given), else None.

    A ``degraded`` node (a port whose log does not sign, or whose trust list is stale) is up: it answers
    and serves, but takes no submissions; ``network_health`` reports its ``status`` and ``reasons``.
    """
    try:
        response = client.get(f"{url}/health")
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    if response.status_code != 200 or not isinstance(body, dict) or body.get("status") not in ("ok", "degraded"):
        return None
    if expected_node is not None and body.get("node") != expected_node:
        return None
    return body


class NotHealthyError(RuntimeError):
    """A started process ended, or did not answer ``/health``, before it was up; carries its log's tail."""

    def __init__(self, reason: str, log_tail: str) -> None:
        self.reason = reason
        self.log_tail = log_tail
        super().__init__(f"{reason}\n{log_tail}" if log_tail else reason)


def wait_healthy(
    process: subprocess.Popen[bytes],
    url: str,
    *,
    log_path: Path,
    timeout_s: float,
    expected_node: str | None = None,
    interval_s: float = 0.05,
) -> dict[str, Any]:
    """Wait until ``url`` answers :func:`node_health`; its body.

    ``NotHealthyError`` if ``process`` ends first or ``timeout_s`` passes; the process is left as it is then
    (the caller stops it).
    """
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            code = process.poll()
            if code is not None:
                raise NotHealthyError(
                    f"exited with status {code} during start-up (log: {log_path})", tail(log_path, 40)
                )
            body = node_health(client, url, expected_node)
            if body is not None:
                return body
            if time.monotonic() > deadline:
                raise NotHealthyError(f"not healthy after {timeout_s:g} s (log: {log_path})", tail(log_path, 40))
            time.sleep(interval_s)
