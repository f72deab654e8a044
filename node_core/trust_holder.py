"""The trust list a running node holds: verified against the pinned anchor, never older, reloaded on change.

DESIGN section 5. The node persists the highest ``sequence`` it has accepted (``trust_state``) and
refuses an older list (``TRUST_LIST_STALE``); when ``trust-list.json`` changes on disk the next call to
``current()`` verifies and adopts it, so ``pilot trust approve`` reaches running nodes without a restart.
A list that fails verification is logged and ignored: the node keeps serving with the one it holds.
The file is checked at most once per ``check_interval_s``, so the hot path costs one clock read.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from node_core.migrations_shared import TRUST_STATE
from node_core.problems import ProblemError
from schemas._trust import TrustRegistry, load_trust_list
from schemas.codes import Code
from schemas.errors import VerificationError

log = logging.getLogger(__name__)


class TrustHolder:
    """Holds the newest verified trust list of one node."""

    def __init__(
        self,
        trust_list_path: Path,
        anchor_path: Path,
        engine: Engine | None = None,
        *,
        check_interval_s: float = 1.0,
    ) -> None:
        self._path = trust_list_path
        self._anchor_path = anchor_path
        self._engine = engine
        self._interval = check_interval_s
        self._lock = threading.Lock()
        self._registry: TrustRegistry | None = None
        self._stamp: tuple[int, int] | None = None
        self._next_check = 0.0
        self._extra_anchor_keys: dict[str, str] = {}
        self.last_error: str | None = None
        self.reload(force=True)

    @property
    def sequence(self) -> int | None:
        """The sequence of the list held, or None before any list was accepted."""
        return self._registry.sequence if self._registry else None

    def current(self) -> TrustRegistry:
        """The list to judge with now; 503 TRUST_LIST_STALE when the node holds none."""
        now = time.monotonic()
        if now >= self._next_check:
            self.reload()
        if self._registry is None:
            raise ProblemError(
                Code.TRUST_LIST_STALE,
                detail=f"no valid trust list is held: {self.last_error or 'none loaded'}",
                status=503,
            )
        return self._registry

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def reload(self, *, force: bool = False) -> bool:
        """Adopt the file's list when it changed and verifies; True when a new list was adopted."""
        with self._lock:
            self._next_check = time.monotonic() + self._interval
            stamp = self._file_stamp()
            if not force and stamp == self._stamp:
                return False
            self._stamp = stamp
            floor = max(self._stored_sequence() or 0, self.sequence or 0) or None
            try:
                registry = load_trust_list(
                    self._path,
                    self._anchor_path,
                    min_sequence=floor,
                    extra_anchor_keys=self._extra_anchor_keys,
                )
            except VerificationError as exc:
                self.last_error = f"{exc.code}: {exc}"
                log.warning("trust list not adopted", extra={"code": str(exc.code), "detail": str(exc)})
                return False
            if self._registry is not None and registry.sequence == self._registry.sequence:
                return False
            self._registry = registry
            self._extra_anchor_keys.update(registry.announced_anchor_keys())
            self.last_error = None
            self._store_sequence(registry.sequence)
            log.info("trust list adopted", extra={"sequence": registry.sequence})
            return True

    def _stored_sequence(self) -> int | None:
        if self._engine is None:
            return None
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(TRUST_STATE.c.sequence).where(TRUST_STATE.c.id == 1)).first()
        return int(row[0]) if row else None

    def _store_sequence(self, sequence: int) -> None:
        if self._engine is None:
            return
        values = {
            "sequence": sequence,
            "anchor_key_ids": sorted(self._extra_anchor_keys),
            "updated_at": datetime.now(UTC),
        }
        with self._engine.begin() as connection:
            updated = connection.execute(sa.update(TRUST_STATE).where(TRUST_STATE.c.id == 1).values(**values))
            if updated.rowcount == 0:
                connection.execute(sa.insert(TRUST_STATE).values(id=1, **values))
