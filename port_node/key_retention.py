"""Retention of a port's retired ``keyAgreement`` keys: each is destroyed once its retention period is over.

Issue 15 item 5, docs/keys.md. A retired key (past its ``validUntil``, or revoked) keeps opening what was
sealed to it while the port's policy says so: ``sealedRetentionDays`` after the end of its window (its
``revokedAt`` when that comes first). Then the port destroys it (``AgreementKeys.destroy``: the private key
leaves the keyring, a tombstone stays), and what was sealed to it can no longer be read by anyone, while
every receipt, inclusion proof and evidence bundle still verifies (they hold digests only).

``keys_past_retention`` is the rule, pure, on the trust list the port holds. ``KeyRetention`` applies it to
the keys the port holds: once at start-up (``PortNode.open``) and then every ``interval_s`` (an hour) in a
background thread the app's lifespan starts and stops. A policy without ``sealedRetentionDays`` destroys
nothing automatically; a key the trust list does not name (rotated in, not yet approved) is never touched.
Each destruction is logged (WARNING ``keyAgreement key destroyed at the end of its retention``).
A port run as several processes (``--workers``) runs each round under ``turn`` (``port_node.leadership``):
one process at a time; one that does not get the turn skips the round, which is idempotent anyway (a key
already destroyed is no longer held).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta

from port_node.agreement_keys import AgreementKeys
from port_node.intake import TrustSource
from schemas.time import format_time, utc_now
from schemas.trust import AgreementKey, TrustRegistry

__all__ = ["RETENTION_CHECK_INTERVAL_S", "KeyRetention", "keys_past_retention", "retention_ends"]

log = logging.getLogger(__name__)

#: How often a running port looks for keys whose retention is over.
RETENTION_CHECK_INTERVAL_S = 3600.0


def _wall_clock() -> datetime:
    return utc_now()


def retention_ends(key: AgreementKey, days: int) -> datetime:
    """When ``key`` stops being kept: ``days`` after its window ends (its ``revokedAt``, if earlier)."""
    retired = key.valid_until if key.revoked_at is None else min(key.valid_until, key.revoked_at)
    return retired + timedelta(days=days)


def keys_past_retention(trust: TrustRegistry, port_id: str, at: datetime) -> list[AgreementKey]:
    """The ``keyAgreement`` keys of ``port_id`` whose retention is over at ``at``, by key id.

    Empty when the port's policy has no ``sealedRetentionDays`` (nothing is destroyed automatically).
    """
    policy = trust.policy(port_id)
    days = policy.sealedRetentionDays if policy is not None else None
    if days is None:
        return []
    keys = [k for k in trust.agreement_keys.values() if k.participant_id == port_id]
    return sorted((k for k in keys if at >= retention_ends(k, days)), key=lambda k: k.kid)


class KeyRetention:
    """Destroys the port's keys whose retention is over (module doc)."""

    def __init__(
        self,
        port_id: str,
        trust: TrustSource,
        keys: AgreementKeys,
        *,
        interval_s: float = RETENTION_CHECK_INTERVAL_S,
        clock: Callable[[], datetime] | None = None,
        turn: Callable[[], AbstractContextManager[bool]] | None = None,
    ) -> None:
        self.port_id = port_id
        self.trust = trust
        self.keys = keys
        self.interval_s = interval_s
        #: The port's wall clock (UTC); tests replace it.
        self.clock = clock if clock is not None else _wall_clock
        #: Whether this process runs a round now (``RoundLock.turn``); always, by default.
        self.turn = turn if turn is not None else (lambda: nullcontext(True))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[str]:
        """Destroy every held key whose retention is over now; the ids of those destroyed.

        Raises what ``trust.current()`` raises when no usable trust list is held (nothing is destroyed then).
        """
        now = self.clock()
        due = keys_past_retention(self.trust.current(), self.port_id, now)
        held = self.keys.private_keys()
        destroyed = []
        for key in due:
            if key.kid not in held:
                continue
            self.keys.destroy(key.kid, now)
            destroyed.append(key.kid)
            log.warning(
                "keyAgreement key destroyed at the end of its retention",
                extra={
                    "kid": key.kid,
                    "retired_at": format_time(retention_ends(key, 0)),
                    "destroyed_at": format_time(now),
                },
            )
        return destroyed

    def start(self) -> None:
        """Start the background thread (idempotent); its first round comes after ``interval_s``."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"key-retention-{self.port_id}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it briefly."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.run_safely()

    def run_safely(self) -> list[str]:
        """``run_once`` when this process has the turn, logging rather than raising (a stale trust list...)."""
        try:
            with self.turn() as mine:
                return self.run_once() if mine else []
        except Exception:  # a round that fails is logged; the next one tries again
            log.exception("keyAgreement key retention round failed")
            return []
