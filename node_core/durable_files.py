"""Files replaced whole: atomically, durably, and under a lock when several processes change one file.

A reader sees the old file or the new one, never half of either (temporary file beside the target,
fsync, rename); the rename itself survives a crash (fsync of the directory). :func:`locked` serialises
read-modify-write cycles on one file across processes (an ``flock`` on a sidecar ``.<name>.lock`` file,
so the lock outlives the renames): a port's keyring is changed by the port itself (retention), by
``pilot keys destroy`` and by ``pilot keys rotate``, and none may lose another's change.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["locked", "replace_durably", "update_locked"]


def replace_durably(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: temporary file, fsync, chmod ``mode``, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``path`` (its sidecar ``.<name>.lock``) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def update_locked(path: Path, change: Callable[[bytes], bytes], *, mode: int = 0o600) -> bytes:
    """Under ``path``'s lock, read it, apply ``change`` and replace it durably; returns the new bytes.

    Exceptions from reading or from ``change`` leave the file as it was.
    """
    with locked(path):
        new = change(path.read_bytes())
        replace_durably(path, new, mode=mode)
        return new
