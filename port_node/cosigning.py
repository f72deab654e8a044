"""Gathering cosignatures for this port's checkpoints from the other ports' witnesses, in the background.

After each new checkpoint (``notify``), a daemon thread asks every other port of the trust list that
publishes a ``witness`` key (URLs from ``network.json`` or ``PILOT_PEER_URLS``) to cosign the latest
checkpoint through C2SP ``tlog-witness`` ``add-checkpoint``: ``old`` is the size that witness last
cosigned (learned from its 409 answer, as the spec suggests), with the consistency proof from there.
Each returned line is verified with the witness's key from the trust list, stored in
``checkpoint_cosignatures`` and served with ``GET /v1/log/checkpoint``. Intake never waits for this:
new checkpoints only wake the thread, which always works on the newest one.

Rollback guard: at start, and whenever a witness answers 409 with a size larger than this log's, the
port learns that it was restored from an old backup (a witness holds a bigger tree for its origin than
it has) and stops signing (``TransparencyLog.refuse_signing``): intake answers 503 LOG_UNAVAILABLE.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from node_core.trust_holder import TrustHolder
from port_node.log import TransparencyLog
from port_node.witness import witness_name
from port_node.witness_tables import COSIGNATURES
from schemas._signed_note import (
    format_add_checkpoint,
    parse_signed_note,
    verify_cosignature,
)
from schemas.errors import VerificationError

__all__ = ["WITNESS_SIZE_TYPE", "CosignatureCollector"]

log = logging.getLogger(__name__)

#: tlog-witness: a 409 answer carries the witness's latest size with this content type.
WITNESS_SIZE_TYPE = "text/x.tlog.size"


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
    ) -> None:
        self.port_id = port_id
        self.log = log_
        self.engine = engine
        self.trust = trust
        self.peer_urls = peer_urls
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: dict[str, int] = {}  # witness port id -> size it last cosigned for our origin
        self._checked: set[str] = set()  # witnesses asked for their size of our origin since start

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
                try:
                    self.gather(client)
                except Exception:  # a background thread must survive anything a peer does
                    log.exception("cosignature gathering failed")
                self._wake.wait(self.retry_s)

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
        for peer, url in self.witnesses().items():
            if peer not in self._checked:
                self._check_rollback(client, peer, url)
            if self.log.signing_refusal is not None:
                continue
            size, note = self.log.size, self.log.latest_note
            if not note or witness_name(peer) in self.log.cosignatures(size):
                continue
            self._ask(client, peer, url, size, note)

    def _check_rollback(self, client: httpx.Client, peer: str, url: str) -> None:
        try:
            response = client.get(f"{url}/v1/witness/latest", params={"origin": self.log.origin})
        except httpx.HTTPError as exc:
            log.info("witness not reachable", extra={"witness": peer, "detail": str(exc)})
            return
        if response.status_code != 200:
            return
        self._checked.add(peer)
        size = response.json().get("size")
        if isinstance(size, int):
            self._learn(peer, size)

    def _learn(self, peer: str, size: int) -> None:
        """Remember what ``peer`` holds for our origin; a size beyond our log means we were rolled back."""
        self._held[peer] = size
        if size > self.log.size:
            self.log.refuse_signing(
                f"witness {peer} holds a tree of size {size} for {self.log.origin} but this log has only "
                f"{self.log.size} leaves: the database was restored from an old backup; signing would fork the log"
            )

    def _ask(self, client: httpx.Client, peer: str, url: str, size: int, note: str) -> None:
        for _ in range(2):  # a 409 teaches the witness's size; one retry with the right proof
            old = self._held.get(peer, 0)
            if old > size:
                self._learn(peer, old)
                return
            body = format_add_checkpoint(old, self.log.consistency_proof(old, size), note)
            try:
                response = client.post(f"{url}/v1/witness/add-checkpoint", content=body)
            except httpx.HTTPError as exc:
                log.info("witness not reachable", extra={"witness": peer, "detail": str(exc)})
                return
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(WITNESS_SIZE_TYPE):
                held = int(response.text.strip() or 0)
                if held == old:
                    log.warning("witness refuses the checkpoint", extra={"witness": peer, "detail": response.text})
                    return
                self._learn(peer, held)
                continue
            if response.status_code != 200:
                log.warning(
                    "witness refused to cosign",
                    extra={"witness": peer, "status": response.status_code, "detail": response.text[:500]},
                )
                return
            self._accept(peer, size, note, response.text)
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
