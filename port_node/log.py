"""The port's transparency log in memory: an RFC 9162 tree over the committed leaves, entries and checkpoints.

The database is the log's truth (``log_leaves``, ``checkpoints``, ``log_head``); this module keeps the
``MerkleTree`` that answers roots and proofs in O(log n), rebuilt from ``log_leaves`` at start-up (a
streamed read of the leaf hashes: about a second for 1,000,000 leaves). Only the store appends to it,
while holding the log's write lock; readers see ``published_size``, which advances only after the
transaction that added the leaf committed, so no proof ever covers an uncommitted leaf.

docs/design.md §6: the entries and their leaf inputs are made by ``schemas.receipt`` (``log_entry``,
``leaf_input_of``), the one definition the port, its stand-ins and every verifier share. Checkpoints are C2SP
``tlog-checkpoint`` notes with origin ``<port id>.pilot.example/log``, signed by the port's ``log`` key
under the origin as key name.

Witnessing: the checkpoint served (``served_note``) carries the C2SP ``tlog-cosignature`` lines other
ports' witnesses returned for it (``add_cosignature``); a port shown a checkpoint for its origin, signed
by its own log key, larger than its log (it was restored from an old backup) stops signing
(``refuse_signing``, decided by ``port_node.cosigning``, which ignores claims without such a checkpoint):
staging a leaf then fails with 503 ``LOG_UNAVAILABLE`` and ``/health`` says ``degraded``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from node_core.problems import ProblemError
from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES
from schemas.codes import Code
from schemas.merkle import MerkleTree, leaf_hash
from schemas.phrase import Phrase
from schemas.signed_note import Checkpoint, sign_checkpoint

__all__ = ["LogCorruptError", "TransparencyLog", "read_leaf_hashes", "sign_checkpoint_note"]

_STREAM_BATCH = 10_000

log = logging.getLogger(__name__)


class LogCorruptError(RuntimeError):
    """The stored log is not dense (a missing index) or disagrees with ``log_head``."""


def sign_checkpoint_note(origin: str, size: int, root: bytes, key: Ed25519PrivateKey) -> str:
    """The signed-note text of the checkpoint (``origin``, ``size``, ``root``), signed under ``origin``."""
    return sign_checkpoint(Checkpoint(origin, size, root), origin, key).text()


def read_leaf_hashes(connection: Connection, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Stored leaf hashes from ``start`` (to ``end`` exclusive), streamed; LogCorruptError on a gap."""
    query = sa.select(LOG_LEAVES.c.leaf_index, LOG_LEAVES.c.leaf_hash).where(LOG_LEAVES.c.leaf_index >= start)
    if end is not None:
        query = query.where(LOG_LEAVES.c.leaf_index < end)
    result = connection.execution_options(stream_results=True, yield_per=_STREAM_BATCH).execute(
        query.order_by(LOG_LEAVES.c.leaf_index)
    )
    expected = start
    with result:
        for index, value in result:
            if index != expected:
                raise LogCorruptError(f"log leaf {expected} is missing (next stored index is {index})")
            yield bytes(value)
            expected += 1


class TransparencyLog:
    """The in-memory tree of one port's log, plus the latest checkpoint note it served."""

    def __init__(self, origin: str, log_key: Ed25519PrivateKey) -> None:
        self.origin = origin
        self.log_key = log_key
        self.write_lock = threading.Lock()
        self._tree = MerkleTree()
        self._published = 0
        self._latest_note = ""
        self._staged = False  # a leaf was appended in memory and its transaction has not committed
        self._cosignatures: dict[int, dict[str, str]] = {}  # tree size -> witness name -> signature line
        self._refusal: str | None = None

    # -- witnessing ---------------------------------------------------------------------------------

    @property
    def signing_refusal(self) -> str | None:
        """Why the log refuses to sign new checkpoints, or None while it signs."""
        return self._refusal

    def refuse_signing(self, reason: str) -> None:
        """Stop signing new checkpoints (and so taking submissions) for ``reason``."""
        if self._refusal is None:
            log.error("log refuses to sign new checkpoints", extra={"reason": reason})
        self._refusal = reason

    def add_cosignature(self, size: int, witness: str, line: str) -> None:
        """Remember a witness's cosignature line (``— <name> <base64>\\n``) for the checkpoint of ``size``."""
        self._cosignatures.setdefault(size, {})[witness] = line
        for old in [s for s in self._cosignatures if s < size - 64]:
            del self._cosignatures[old]

    def cosignatures(self, size: int) -> dict[str, str]:
        """The cosignature lines gathered for the checkpoint of ``size``, by witness name."""
        return dict(self._cosignatures.get(size, {}))

    @property
    def served_note(self) -> str:
        """The latest checkpoint with the cosignatures gathered for it so far (C2SP tlog-cosignature)."""
        note = self._latest_note
        lines = self._cosignatures.get(self._published, {})
        return note + "".join(lines[name] for name in sorted(lines)) if note else note

    # -- reading (any thread) ----------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The number of committed leaves."""
        return self._published

    @property
    def latest_note(self) -> str:
        """The signed checkpoint of the committed tree."""
        return self._latest_note

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` committed leaves (default: all)."""
        return self._tree.root(self._published if size is None else self._check(size))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the committed tree of ``size``; ValueError if outside."""
        return self._tree.inclusion_proof(index, self._check(size))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 consistency proof between two committed sizes; ValueError if outside or first > second."""
        return self._tree.consistency_proof(first, self._check(second))

    def _check(self, size: int) -> int:
        if not 0 <= size <= self._published:
            raise ValueError(f"size {size} is outside the log's 0..{self._published}")
        return size

    # -- loading and appending (under write_lock) ---------------------------------------------------

    def load(self, engine: Engine) -> None:
        """Rebuild the tree from ``log_leaves``, check it against ``log_head``; sign a checkpoint if none covers it."""
        with self.write_lock:
            with engine.connect() as connection:
                self._rebuild(connection)
            if self._latest_note:
                return
            size, root = self._tree.size, self._tree.root()
            note = sign_checkpoint_note(self.origin, size, root, self.log_key)
            with engine.begin() as connection:
                connection.execute(sa.insert(CHECKPOINTS).values(tree_size=size, root_hash=root, note=note))
            self._latest_note = note

    def _rebuild(self, connection: Connection) -> None:
        tree = MerkleTree(read_leaf_hashes(connection))
        head = connection.execute(sa.select(LOG_HEAD.c.size).where(LOG_HEAD.c.id == 1)).scalar_one()
        if head != tree.size:
            raise LogCorruptError(f"log_head says {head} leaves but {tree.size} are stored")
        note = connection.execute(sa.select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.tree_size == tree.size)).scalar()
        self._tree = tree
        self._published = tree.size
        self._latest_note = note or ""
        self._staged = False

    def sync(self, connection: Connection, head_size: int) -> None:
        """Bring the tree to ``head_size`` committed leaves (another process may have appended)."""
        if self._staged:
            self._rebuild(connection)  # a transaction failed and its leaf could not be dropped then
        if head_size == self._tree.size:
            return
        if head_size > self._tree.size:
            self._tree.extend(read_leaf_hashes(connection, self._tree.size, head_size))
        else:
            self._rebuild(connection)
        self._published = self._tree.size

    def stage(self, leaf_input: bytes) -> tuple[int, bytes, str, list[bytes]]:
        """Append a leaf in memory: (index, root, signed checkpoint note, inclusion proof), not yet published.

        Raises 503 LOG_UNAVAILABLE while the log refuses to sign (``refuse_signing``).
        """
        if self._refusal is not None:
            raise ProblemError(
                Code.LOG_UNAVAILABLE, Phrase("the log does not sign new checkpoints: {why}", why=self._refusal)
            )
        self._staged = True
        index = self._tree.append(leaf_hash(leaf_input))
        size = index + 1
        root = self._tree.root(size)
        note = sign_checkpoint_note(self.origin, size, root, self.log_key)
        return index, root, note, self._tree.inclusion_proof(index, size)

    def publish(self, size: int, note: str) -> None:
        """Make the first ``size`` leaves visible to readers once their transaction committed."""
        self._published = size
        self._latest_note = note
        self._staged = False

    def discard(self, engine: Engine) -> None:
        """Drop a leaf staged by a transaction that did not commit, by rebuilding from the database.

        If the database cannot be read now, the tree stays marked and the next ``sync`` rebuilds it;
        readers are unaffected meanwhile, since they never look beyond the published size.
        """
        try:
            with engine.connect() as connection:
                self._rebuild(connection)
        except DBAPIError:
            log.warning("log tree not rebuilt after a failed write; will retry on the next write")
