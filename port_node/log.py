"""The port's transparency log in memory: an RFC 9162 tree over the committed leaves, entries and checkpoints.

The database is the log's truth (``log_leaves``, ``checkpoints``, ``log_head``); this module keeps the
``MerkleTree`` that answers roots and proofs in O(log n), rebuilt from ``log_leaves`` at start-up (a
streamed read of the leaf hashes: about a second for 1,000,000 leaves). Only the store appends to it,
while holding the log's write lock, a group of leaves at a time under one signed checkpoint (``stage``:
the checkpoints are one per group, not one per tree size); readers see ``published_size``, which advances
only after the transaction that added the leaves committed, so no proof ever covers an uncommitted leaf.

docs/design.md §6: the entries and their leaf inputs are made by ``schemas.receipt`` (``log_entry``,
``leaf_input_of``), the one definition the port, its stand-ins and every verifier share. Checkpoints are C2SP
``tlog-checkpoint`` notes with origin ``<port id>.pilot.example/log``, signed by the port's ``log`` key
under the origin as key name.

Witnessing: the checkpoint served (``served_note``) carries the C2SP ``tlog-cosignature`` lines other
ports' witnesses returned for it (``add_cosignature``); a port shown a checkpoint for its origin, signed
by its own log key, larger than its log (it was restored from an old backup) stops signing
(``refuse_signing``, decided by ``port_node.cosigning``, which ignores claims without such a checkpoint):
staging a leaf then fails with 503 ``LOG_UNAVAILABLE`` and ``/health`` says ``degraded``.

Several processes on one database (``pilot node port --workers N``, PostgreSQL): each holds its own tree,
and another process may have appended since this one last wrote. Every read then starts with ``refresh``:
one query reads the committed head (``log_head``) with the cosignatures stored for it; when the head is
ahead, the tree is extended from ``log_leaves`` (under the write lock) and the head's checkpoint note read.
So any process serves the newest committed checkpoint, proofs up to it, and the cosignatures any process
gathered. On SQLite (one process) ``shared`` is False and ``refresh`` costs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection, Engine

from node_core.problems import ProblemError
from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES
from port_node.witness_tables import COSIGNATURES
from schemas.codes import Code
from schemas.merkle import MerkleTree, leaf_hash
from schemas.phrase import Phrase
from schemas.signed_note import Checkpoint, sign_checkpoint

__all__ = [
    "LogCorruptError",
    "StagedLeaves",
    "TransparencyLog",
    "dense_leaf_hashes",
    "read_leaf_hashes",
    "sign_checkpoint_note",
]

_STREAM_BATCH = 10_000

#: The committed head with the cosignature lines stored for it: one row per line, or one with NULLs.
_HEAD_WITH_COSIGNATURES = (
    sa.select(LOG_HEAD.c.size, COSIGNATURES.c.witness, COSIGNATURES.c.line)
    .select_from(LOG_HEAD.outerjoin(COSIGNATURES, COSIGNATURES.c.tree_size == LOG_HEAD.c.size))
    .where(LOG_HEAD.c.id == 1)
)
_NOTE_OF_SIZE = sa.select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.tree_size == sa.bindparam("size"))

log = logging.getLogger(__name__)


class LogCorruptError(RuntimeError):
    """The stored log is not dense (a missing index) or disagrees with ``log_head``."""


@dataclass(frozen=True)
class StagedLeaves:
    """A group of leaves appended in memory (``TransparencyLog.stage``): where they sit and what signs them."""

    #: The index of the group's first leaf.
    start: int
    #: The leaf hashes, in order (``leaf_hashes[i]`` is at ``start + i``).
    leaf_hashes: list[bytes]
    #: The root of the tree of ``size`` leaves, which the checkpoint ``note`` signs.
    root: bytes
    note: str
    #: ``proofs[i]``: the inclusion proof of leaf ``start + i`` in the tree of ``size`` leaves.
    proofs: list[list[bytes]]

    @property
    def size(self) -> int:
        """The tree size after the group: the checkpoint's size."""
        return self.start + len(self.leaf_hashes)


def sign_checkpoint_note(origin: str, size: int, root: bytes, key: Ed25519PrivateKey) -> str:
    """The signed-note text of the checkpoint (``origin``, ``size``, ``root``), signed under ``origin``."""
    return sign_checkpoint(Checkpoint(origin, size, root), origin, key).text()


def read_leaf_hashes(connection: Connection, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Stored leaf hashes from ``start`` (to ``end`` exclusive), streamed; LogCorruptError on a gap."""
    query = sa.select(LOG_LEAVES.c.leaf_index, LOG_LEAVES.c.leaf_hash).where(LOG_LEAVES.c.leaf_index >= start)
    if end is not None:
        query = query.where(LOG_LEAVES.c.leaf_index < end)
    # A long range is streamed (a server-side cursor on PostgreSQL: start-up reads the whole log); a short one,
    # the few leaves another process appended since this one's last write, is one plain query (a server-side
    # cursor costs three round trips: measured as a third of a write's time with two processes appending).
    # Options of this statement only: ``Connection.execution_options`` would set them on the connection itself,
    # and a write later in the same transaction would then be sent as a server-side cursor (refused).
    streamed = end is None or end - start > _STREAM_BATCH
    options = {"stream_results": True, "yield_per": _STREAM_BATCH} if streamed else {}
    result = connection.execute(query.order_by(LOG_LEAVES.c.leaf_index), execution_options=options)
    with result:
        yield from dense_leaf_hashes(result, start)


def dense_leaf_hashes(rows: Iterable[tuple[int, bytes]], start: int) -> Iterator[bytes]:
    """The hashes of ``(index, hash)`` rows in index order from ``start``; LogCorruptError on a gap."""
    expected = start
    for index, value in rows:
        if index != expected:
            raise LogCorruptError(f"log leaf {expected} is missing (next stored index is {index})")
        yield bytes(value)
        expected += 1


class TransparencyLog:
    """The in-memory tree of one port's log, plus the latest checkpoint note it served."""

    def __init__(self, origin: str, log_key: Ed25519PrivateKey, *, head_engine: Engine | None = None) -> None:
        self.origin = origin
        self.log_key = log_key
        #: Set when other processes may append to the same database: the engine ``refresh`` reads the head
        #: with (one round trip: autocommit; pinged only when idle, ``node_core.database``), and reads
        #: ``refresh`` first.
        self.head_engine = head_engine
        self.write_lock = threading.Lock()
        self._tree = MerkleTree()
        self._published = 0
        self._latest_note = ""
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
    def shared(self) -> bool:
        """Whether other processes may append to this log's database (reads ``refresh`` first)."""
        return self.head_engine is not None

    def refresh(self, engine: Engine) -> None:
        """Catch up with what other processes committed and cosigned (module docstring); nothing unless ``shared``.

        One query (on ``head_engine``) when the tree is current; when it is behind, the missing leaf hashes
        and the head's checkpoint note too (on ``engine``), under the write lock (a writer of this process
        may hold it for its transaction).
        """
        if self.head_engine is None:
            return
        with self.head_engine.connect() as connection:
            rows = connection.execute(_HEAD_WITH_COSIGNATURES).all()
        if not rows:
            return
        head = int(rows[0].size)
        if head > self._published:
            self._advance(engine, head)
        if head == self._published:
            for row in rows:
                if row.witness is not None:
                    self.add_cosignature(head, row.witness, row.line)

    def _advance(self, engine: Engine, head: int) -> None:
        """Extend the tree to ``head`` committed leaves and take the checkpoint note signed for that size."""
        with self.write_lock:
            if head <= self._published:
                return  # a writer of this process got there first
            with engine.connect() as connection:
                note = connection.execute(_NOTE_OF_SIZE, {"size": head}).scalar()
                if note is None:
                    return  # not committed with its checkpoint yet as seen here; the next read catches up
                self.sync(connection, head)
            self._latest_note = str(note)

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
        if connection.dialect.name == "postgresql" and not connection.in_transaction():
            # One snapshot for the leaves and the head: another process may commit between the two reads.
            connection.execution_options(isolation_level="REPEATABLE READ")
        tree = MerkleTree(read_leaf_hashes(connection))
        head = connection.execute(sa.select(LOG_HEAD.c.size).where(LOG_HEAD.c.id == 1)).scalar_one()
        if head != tree.size:
            raise LogCorruptError(f"log_head says {head} leaves but {tree.size} are stored")
        note = connection.execute(sa.select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.tree_size == tree.size)).scalar()
        self._tree = tree
        self._published = tree.size
        self._latest_note = note or ""

    def sync(self, connection: Connection, head_size: int, recent: Sequence[tuple[int, bytes]] = ()) -> None:
        """Bring the tree to ``head_size`` committed leaves (another process may have appended).

        ``recent``: ``(index, hash)`` of committed leaves from the tree's size on, in order, already read
        (``AppendStatements.advance_head``); whatever they do not cover is read here.
        """
        tree = self._tree
        if head_size == tree.size:
            return
        if head_size > tree.size:
            tree.extend(dense_leaf_hashes(recent[: head_size - tree.size], tree.size))
            if head_size > tree.size:
                tree.extend(read_leaf_hashes(connection, tree.size, head_size))
        else:
            self._rebuild(connection)
        self._published = self._tree.size

    def stage(self, leaf_inputs: Sequence[bytes]) -> StagedLeaves:
        """Append a group of leaves in memory, with one signed checkpoint over them all, not yet published.

        Each leaf gets its inclusion proof in the tree of the group's end size (the checkpoint's size), so
        each member's receipt verifies against the one checkpoint. Raises 503 LOG_UNAVAILABLE while the
        log refuses to sign (``refuse_signing``).
        """
        if self._refusal is not None:
            raise ProblemError(
                Code.LOG_UNAVAILABLE, Phrase("the log does not sign new checkpoints: {why}", why=self._refusal)
            )
        tree = self._tree
        start = tree.size
        hashes = [leaf_hash(leaf_input) for leaf_input in leaf_inputs]
        tree.extend(hashes)
        size = tree.size
        root = tree.root(size)
        note = sign_checkpoint_note(self.origin, size, root, self.log_key)
        proofs = [tree.inclusion_proof(index, size) for index in range(start, size)]
        return StagedLeaves(start, hashes, root, note, proofs)

    def publish(self, size: int, note: str) -> None:
        """Make the first ``size`` leaves visible to readers once their transaction committed."""
        self._published = size
        self._latest_note = note

    def discard(self) -> None:
        """Drop the leaves staged by a transaction that did not commit: the tree goes back to its published size.

        Staged leaves lie only beyond the published size (``sync`` publishes what it reads), and readers never
        look beyond it, so cutting them off the in-memory tree is all there is to undo; no database read.
        """
        self._tree.truncate(self._published)
