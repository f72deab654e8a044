"""The port's inspection-sampling secret and its day keys (``schemas.sampling``).

A day key is unpredictable to exporters and checkable by auditors once the day is over.

The secret is 32 random bytes in ``<data dir>/secrets/<short id>.sampling`` (mode 0600, made on first
start; every worker of a port reads the same file). Each UTC day has its own key, derived from the
secret; the port uses today's key to decide and publishes a day's key only once that day is over, so
nobody can compute today's holds in advance and anybody can check yesterday's.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime
from pathlib import Path

from schemas.sampling import SAMPLING_KEY_BYTES, day_key

__all__ = ["SamplingKeys", "sampling_secret_path"]


def sampling_secret_path(data_dir: Path, port_id: str) -> Path:
    """Where a port keeps its sampling secret."""
    return data_dir / "secrets" / f"{port_id}.sampling"


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes()
        if len(secret) != SAMPLING_KEY_BYTES:
            raise ValueError(f"{path} must hold {SAMPLING_KEY_BYTES} bytes, found {len(secret)}") from None
        return secret
    secret = secrets.token_bytes(SAMPLING_KEY_BYTES)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


class SamplingKeys:
    """The day keys of one port."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != SAMPLING_KEY_BYTES:
            raise ValueError(f"a sampling secret is {SAMPLING_KEY_BYTES} bytes")
        self._secret = secret

    @classmethod
    def load(cls, data_dir: Path, port_id: str) -> SamplingKeys:
        """The port's keys, from its secret (created on first use)."""
        return cls(_read_or_create(sampling_secret_path(data_dir, port_id)))

    def key_for(self, received_at: datetime) -> bytes:
        """The key the port decides with at ``received_at`` (UTC): the key of that UTC day."""
        return day_key(self._secret, received_at.astimezone(UTC).date())

    def published(self, day: date, today: date) -> bytes | None:
        """The key of ``day`` if that UTC day is over (``day`` < ``today``), else None: not yet public."""
        return day_key(self._secret, day) if day < today else None
