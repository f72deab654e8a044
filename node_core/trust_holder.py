"""The trust list a running node holds: verified against the pinned anchor, never older, reloaded on change.

docs/design.md §5. The node runs ``schemas.trust.TrustState`` (the rules are in that module's
docstring) and persists it in ``trust_state``: the highest ``sequence`` accepted, and in
``anchor_key_ids`` the ``pilot-gov`` keys announced by accepted lists with their revocations (a JSON
list of ``{"id", "publicKeyMultibase", "revokedAt"}``). So after a legitimate rotation (list N signed by
key-1 announces key-2, list N+1 is signed by key-2) a restarted node still accepts N+1, and a list
signed by an anchor key that an accepted list revoked is refused, before and after a restart.

When ``trust-list.json`` changes on disk the next call to ``current()`` verifies and adopts it, so
``pilot trust approve`` reaches running nodes without a restart. A list that fails verification (bad
signature, older sequence, revoked anchor key, ``nextUpdate`` already passed) is logged and ignored:
the node keeps the one it holds. Once the held list's own ``nextUpdate`` has passed, ``current()``
answers 503 ``TRUST_LIST_STALE`` until a newer list arrives (``problem`` says why, for ``/health``).
The file is checked at most once per ``check_interval_s``, so the hot path costs two clock reads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from node_core.migrations_shared import TRUST_STATE
from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.phrase import Phrase
from schemas.trust import TrustRegistry, TrustState, read_json_file

__all__ = ["TrustHolder"]

_log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TrustHolder:
    """Holds the newest verified trust list of one node, and what its acceptance taught (``TrustState``)."""

    def __init__(
        self,
        trust_list_path: Path,
        anchor_path: Path,
        engine: Engine | None = None,
        *,
        check_interval_s: float = 1.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._path = trust_list_path
        self._anchor_path = anchor_path
        self._engine = engine
        self._interval = check_interval_s
        #: The node's wall clock (UTC), the "now" of rules 3 and 4; tests replace it.
        self.clock = clock
        self._lock = threading.Lock()
        self._registry: TrustRegistry | None = None
        self._state = TrustState()
        self._stamp: tuple[int, int] | None = None
        self._next_check = 0.0
        self.last_error: str | None = None
        self.reload(force=True)

    @property
    def sequence(self) -> int | None:
        """The sequence of the list held, or None before any list was accepted."""
        return self._registry.sequence if self._registry else None

    @property
    def state(self) -> TrustState:
        """What the accepted lists taught: highest sequence, announced anchor keys, revocations."""
        return self._state

    @property
    def held(self) -> TrustRegistry | None:
        """The list held, even one past its ``nextUpdate`` (to show it, never to judge with it)."""
        return self._registry

    @property
    def problem(self) -> str | None:
        """Why ``current()`` answers 503 now (no list held, or the held one is past ``nextUpdate``), else None."""
        if self._registry is None:
            return f"no valid trust list is held: {self.last_error or 'none loaded'}"
        try:
            self._registry.check_fresh(self.clock())
        except VerificationError as exc:
            newer = f"; the file's list was not adopted: {self.last_error}" if self.last_error else ""
            return f"{exc}{newer}"
        return None

    def current(self) -> TrustRegistry:
        """The list to judge with now; 503 TRUST_LIST_STALE when none is held or it is past its nextUpdate."""
        if time.monotonic() >= self._next_check:
            self.reload()
        registry = self._registry
        if registry is None or registry.next_update <= self.clock():
            raise ProblemError(Code.TRUST_LIST_STALE, detail=self.problem or Phrase("trust list is stale"))
        return registry

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
            state = self._state.merge(self._stored_state())  # another worker may have learnt more
            self._state = state
            try:
                registry, learnt = state.admit(
                    read_json_file(self._path), read_json_file(self._anchor_path), self.clock()
                )
            except VerificationError as exc:
                self.last_error = f"{exc.code}: {exc}"
                _log.warning("trust list not adopted", extra={"code": str(exc.code), "detail": str(exc)})
                return False
            self.last_error = None
            if self._registry is not None and registry.sequence == self._registry.sequence:
                return False
            self._registry = registry
            self._state = learnt
            self._store_state(learnt)
            _log.info("trust list adopted", extra={"sequence": registry.sequence, "signed_by": registry.signed_by})
            return True

    def _stored_state(self, connection: sa.Connection | None = None) -> TrustState:
        if self._engine is None:
            return TrustState()
        if connection is None:
            with self._engine.connect() as reader:
                return self._stored_state(reader)
        query = sa.select(TRUST_STATE.c.sequence, TRUST_STATE.c.anchor_key_ids).where(TRUST_STATE.c.id == 1)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            return TrustState()
        try:
            return TrustState.from_json(int(row[0]), row[1])
        except VerificationError as exc:  # a malformed stored time: keep the sequence, say so
            _log.error("stored anchor keys unreadable", extra={"detail": str(exc)})
            return TrustState(int(row[0]))

    def _store_state(self, state: TrustState) -> None:
        """Persist ``state`` merged with what is stored (workers of one port share the row)."""
        if self._engine is None:
            return
        with self._engine.begin() as connection:
            merged = state.merge(self._stored_state(connection))
            values = {"sequence": merged.sequence, "anchor_key_ids": merged.to_json(), "updated_at": datetime.now(UTC)}
            updated = connection.execute(sa.update(TRUST_STATE).where(TRUST_STATE.c.id == 1).values(**values))
            if updated.rowcount == 0:
                connection.execute(sa.insert(TRUST_STATE).values(id=1, **values))
