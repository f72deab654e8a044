"""Child processes of ``pilot up``: start one with its log file, tell whether a pid lives, stop a set cleanly.

Children start in their own session, so a Ctrl-C in the terminal reaches only ``pilot up``, which then
stops them in order, and so they outlive ``pilot up --detach``. Stopping is SIGTERM, a grace period,
then SIGKILL for whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "DEFAULT_GRACE_S",
    "pid_alive",
    "pid_runs",
    "pilot_argv",
    "spawn_logged",
    "stop_pids",
    "tail",
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


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    try:
        data = path.read_bytes()[-64 * 1024 :]
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])
