"""Gathering cosignatures for this port's checkpoints from the other ports' witnesses, in the background.

After each new checkpoint (``notify``), a daemon thread asks every other port of the trust list that
publishes a ``witness`` key (URLs from ``network.json`` or ``PILOT_PEER_URLS``) to cosign the latest
checkpoint through C2SP ``tlog-witness`` ``add-checkpoint``: ``old`` is the size that witness last
cosigned (learned from its 409 answer, as the spec suggests), with the consistency proof from there.
Each returned line is verified with the witness's key from the trust list, stored in
``checkpoint_cosignatures`` and served with ``GET /v1/log/checkpoint``. Intake never waits for this:
new checkpoints only wake the thread, which always works on the newest one.

Rollback guard: at start, each witness is asked what it holds for this port's origin (``GET
/v1/witness/latest``); when it answers 409 to ``add-checkpoint`` with a size larger than this log's, it
is asked again the same way. A witness's word is not enough: the port stops signing
(``TransparencyLog.refuse_signing``, intake answers 503 LOG_UNAVAILABLE) only when the answer carries a
checkpoint note for this origin, signed by one of this port's own ``log`` keys from the trust list,
larger than this log: proof that this port signed a bigger tree than it now has (it was restored from an
old backup, and signing would fork the log). A claim without such a note (a bare size, a note signed by
another key, for another origin, or for a tree this log already has) is logged, counted
(``ignored_claims``, exported as ``port_rollback_claims_ignored``) and ignored, so one peer cannot halt
another port's log.

Several processes of one port (``--workers``, PostgreSQL): each runs this thread, but only one at a time
asks the witnesses (``turn``, ``port_node.leadership``), after catching up with the log the others wrote
(``TransparencyLog.refresh``); the cosignatures it stores are served by every process (the same
``refresh``). A process without the turn still checks every witness for a rollback claim at start and then
every ``recheck_s``, so a refusal to sign (which lives in each process) reaches every worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from node_core.port_client import WITNESS_SIZE_TYPE, PeerAnswerInvalid, PeerError, SizeConflict, SyncPortClient
from node_core.trust_holder import TrustHolder
from port_node.log import TransparencyLog
from port_node.tables import LOG_HEAD
from port_node.witness import witness_name
from port_node.witness_tables import COSIGNATURES
from schemas.errors import VerificationError
from schemas.signed_note import (
    Checkpoint,
    format_add_checkpoint,
    parse_signed_note,
    verify_checkpoint,
    verify_cosignature,
)

__all__ = ["WITNESS_SIZE_TYPE", "CosignatureCollector"]

log = logging.getLogger(__name__)


class CosignatureCollector:
    """Asks the other ports' witnesses to cosign this port's newest checkpoint; see the module docstring."""

    def __init__(
        self,
        port_id: str,
        log_: TransparencyLog,
        engine: Engine,
        trust: TrustHolder,
        peer_urls: Callable[[], dict[str, str]],
        *,
        retry_s: float = 5.0,
        timeout_s: float = 5.0,
        recheck_s: float = 30.0,
        turn: Callable[[], AbstractContextManager[bool]] | None = None,
    ) -> None:
        self.port_id = port_id
        self.log = log_
        self.engine = engine
        self.trust = trust
        self.peer_urls = peer_urls
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self.recheck_s = recheck_s
        #: Whether this process asks the witnesses now (``RoundLock.turn``); always, by default.
        self.turn = turn if turn is not None else (lambda: nullcontext(True))
        self._next_recheck = 0.0  # monotonic time of the next rollback check of a process without the turn
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: dict[str, int] = {}  # witness port id -> size it last cosigned for our origin
        self._checked: set[str] = set()  # witnesses asked for their size of our origin since start
        #: Rollback claims refused since start because no checkpoint signed by our log key backed them.
        self.ignored_claims = 0

    # -- lifecycle ------------------------------------------------------------------------------------

    def load(self) -> None:
        """Put the stored cosignatures of the current checkpoint back on the log (at start-up)."""
        size = self.log.size
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(COSIGNATURES.c.witness, COSIGNATURES.c.line).where(COSIGNATURES.c.tree_size == size)
            ).all()
        for name, line in rows:
            self.log.add_cosignature(size, name, line)

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"cosign-{self.port_id}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it briefly."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 1)
            self._thread = None

    def notify(self, *_: object) -> None:
        """A new checkpoint was signed: wake the thread (never blocks)."""
        self._wake.set()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s, trust_env=False) as client:
            while not self._stop.is_set():
                self._wake.clear()
                leading = False
                try:
                    with self.turn() as leading:
                        if leading:
                            self.gather(client)
                        else:
                            self.recheck(client)
                except Exception:  # a background thread must survive anything a peer does
                    log.exception("cosignature gathering failed")
                # Without the turn, a new checkpoint of this process is another's to cosign: no early wake.
                (self._wake if leading else self._stop).wait(self.retry_s)

    # -- one round ------------------------------------------------------------------------------------

    def witnesses(self) -> dict[str, str]:
        """``{witness port id: url}``: the other ports with a witness key in the trust list and a known URL."""
        registry = self.trust.current()
        urls = self.peer_urls()
        return {
            peer: url.rstrip("/")
            for peer, url in sorted(urls.items())
            if peer != self.port_id and registry.keys_of(peer, "witness")
        }

    def gather(self, client: httpx.Client) -> None:
        """Check every witness for a larger tree of our origin, then ask the missing ones to cosign."""
        self.log.refresh(self.engine)
        for peer, url in self.witnesses().items():
            if peer not in self._checked:
                self._check_rollback(client, peer, url)
            if self.log.signing_refusal is not None:
                continue
            size, note = self.log.size, self.log.latest_note
            if not note or witness_name(peer) in self.log.cosignatures(size):
                continue
            self._ask(client, peer, url, size, note)

    def recheck(self, client: httpx.Client, now: float | None = None) -> None:
        """Without the turn: check each witness for a rollback claim, first at start, then every ``recheck_s``."""
        current = time.monotonic() if now is None else now
        if current >= self._next_recheck:
            self._next_recheck = current + self.recheck_s
            self._checked.clear()
        for peer, url in self.witnesses().items():
            if peer not in self._checked and self.log.signing_refusal is None:
                self.log.refresh(self.engine)
                self._check_rollback(client, peer, url)

    def _check_rollback(self, client: httpx.Client, peer: str, url: str) -> None:
        """Ask ``peer`` what it holds for our origin; a larger tree is a rollback claim to verify (``_claim``)."""
        try:
            held = SyncPortClient(url, client=client).witness_latest(self.log.origin)
        except PeerAnswerInvalid as bad:
            self._checked.add(peer)
            self._ignore(peer, str(bad))
            return
        except PeerError as exc:
            if exc.status is None:
                log.info("witness not reachable", extra={"witness": peer, "detail": exc.detail})
            return
        self._checked.add(peer)
        if held.size > self.log.size:
            self._claim(peer, held.note)
        else:
            self._held[peer] = held.size  # at most our size: the ask starts from there (a 409 corrects it)

    def _claim(self, peer: str, note: str | None) -> None:
        """``peer`` says it holds a larger tree of our origin: stop signing only if our own log key signed it."""
        checkpoint = self._own_checkpoint(note)
        if checkpoint is None:
            self._ignore(
                peer,
                "it claims a tree larger than this log without a checkpoint signed by this port's log key",
            )
            return
        committed = self._committed_size()
        if checkpoint.size <= committed:
            self._ignore(peer, f"its checkpoint of size {checkpoint.size} is no larger than this log")
            return
        self._held[peer] = checkpoint.size
        self.log.refuse_signing(
            f"witness {peer} holds a checkpoint of size {checkpoint.size} for {self.log.origin}, signed by this "
            f"port's log key, but this log has only {committed} leaves: the database was restored from an "
            "old backup; signing would fork the log"
        )

    def _committed_size(self) -> int:
        """The log's committed size in the database (another worker process may be ahead of this one's tree)."""
        with self.engine.connect() as connection:
            stored = connection.execute(sa.select(LOG_HEAD.c.size).where(LOG_HEAD.c.id == 1)).scalar()
        return max(self.log.size, int(stored or 0))

    def _own_checkpoint(self, note: str | None) -> Checkpoint | None:
        """The checkpoint of ``note`` if one of this port's log keys (trust list) signed it for our origin."""
        if not note:
            return None
        origin = self.log.origin
        for key in self.trust.current().keys_of(self.port_id, "log"):
            try:
                return verify_checkpoint(note, origin, key.public_key, origin=origin)
            except VerificationError:
                continue
        return None

    def _ignore(self, peer: str, why: str) -> None:
        self.ignored_claims += 1
        log.warning("witness rollback claim ignored", extra={"witness": peer, "detail": why})

    def _ask(self, client: httpx.Client, peer: str, url: str, size: int, note: str) -> None:
        witness = SyncPortClient(url, client=client)
        for _ in range(2):  # a 409 teaches the witness's size; one retry with the right proof
            old = self._held.get(peer, 0)
            if old > size:
                self._held.pop(peer, None)
                self._check_rollback(client, peer, url)  # a claim to verify, never to take on trust
                return
            body = format_add_checkpoint(old, self.log.consistency_proof(old, size), note)
            try:
                cosigned = witness.add_checkpoint(body)
            except SizeConflict as conflict:
                held = conflict.held_size
                if held is None:
                    self._ignore(peer, f"its 409 answer is not a size: {conflict.detail[:40]!r}")
                    return
                if held == old or held < 0:
                    log.warning("witness refuses the checkpoint", extra={"witness": peer, "detail": conflict.detail})
                    return
                if held > size:  # a rollback claim: believe only a note of ours the witness holds
                    self._check_rollback(client, peer, url)
                    if self.log.signing_refusal is None:
                        self._ignore(
                            peer,
                            f"its 409 names size {held}, larger than this log, with no checkpoint "
                            "signed by this port's log key behind it",
                        )
                    return
                self._held[peer] = held
                continue
            except PeerError as exc:
                if exc.status is None:
                    log.info("witness not reachable", extra={"witness": peer, "detail": exc.detail})
                else:
                    log.warning(
                        "witness refused to cosign", extra={"witness": peer, "status": exc.status, "detail": exc.detail}
                    )
                return
            self._accept(peer, size, note, cosigned)
            return

    def _accept(self, peer: str, size: int, note: str, answer: str) -> None:
        """Verify the returned cosignature lines with the witness's key; store and serve the good one."""
        name = witness_name(peer)
        keys = self.trust.current().keys_of(peer, "witness")
        body = parse_signed_note(note).body
        for line in answer.splitlines(keepends=True):
            try:
                candidate = parse_signed_note(body + "\n" + line)
            except VerificationError:
                continue
            for key in keys:
                try:
                    verify_cosignature(candidate, name, key.public_key)
                except VerificationError:
                    continue
                self._store(size, name, line)
                self._held[peer] = size
                return
        log.warning("witness answered without a valid cosignature", extra={"witness": peer})

    def _store(self, size: int, name: str, line: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.delete(COSIGNATURES).where(COSIGNATURES.c.tree_size == size, COSIGNATURES.c.witness == name)
            )
            connection.execute(sa.insert(COSIGNATURES).values(tree_size=size, witness=name, line=line))
        self.log.add_cosignature(size, name, line)
