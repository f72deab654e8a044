"""Reading a file named on the command line with a size bound, whatever it turns out to be.

``Path.read_bytes`` reads until the end: ``/dev/zero`` never ends and a 3 GiB file ends in
``MemoryError``. ``read_bounded`` checks a regular file's size with ``fstat`` before reading anything,
and reads anything else (a device, a FIFO, a process substitution) only up to the bound plus one byte.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["InputTooLargeError", "read_bounded"]


class InputTooLargeError(ValueError):
    """The file holds more than the bound; ``message`` says which, how large, and the bound."""

    def __init__(self, path: Path, limit: int, size: int | None) -> None:
        if size is not None:
            self.message = f"{path} holds {size} bytes, more than the {_size(limit)} allowed: refused unread"
        else:
            self.message = f"{path} gave more than the {_size(limit)} allowed (a device, a pipe, or it grew): refused"
        super().__init__(self.message)
        self.path, self.limit, self.size = path, limit, size


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; ``InputTooLargeError`` beyond, ``OSError`` if unreadable."""
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InputTooLargeError(path, limit, info.st_size)
        data = handle.read(limit + 1)
    if len(data) > limit:  # a file that grew since fstat, or no regular file at all
        raise InputTooLargeError(path, limit, None)
    return data
