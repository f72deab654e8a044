"""A ``SubmissionStore`` held in memory, with an RFC 9162 log and signed checkpoints, and switchable faults.

The one port fake, ``pilot.conformance.port_standin.StandinPort`` (the conformance kit's stand-in port,
which the exporter's tests use too, in process), runs the real ``IntakeService`` over this store, so it
decides, logs and signs exactly as a port does; only the database is missing. Leaves are kept as their inputs
(``leaves``) and in a ``MerkleTree``; every append signs a new checkpoint with the port's ``log`` key.

``StoreFaults`` make it misbehave on purpose, the way a faulty port would:

- ``receipt_key``: receipts are signed again with this key (another port's, or an impostor under the
  port's own key id);
- ``fork_checkpoint``: a receipt's checkpoint and inclusion proof come from a tree of the same size
  whose first leaf differs: a fork no earlier checkpoint is consistent with;
- ``rewrite_history``: every append also rewrites entry 0, so the log is not append-only.

Scripted HTTP answers (503s, dropped connections) are no store's business: the stand-ins do those.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node_core.problems import ProblemError
from port_node.log import sign_checkpoint_note
from port_node.storage import PendingWrite, ReceiptBuilder, SubmissionRow
from schemas.canonical import canonicalize
from schemas.issue import secure
from schemas.keyring import KeyEntry
from schemas.merkle import MerkleTree, leaf_hash
from schemas.receipt import LogPosition, leaf_input_of
from schemas.time import parse_time

__all__ = ["MemorySubmissionStore", "StoreFaults"]

#: The leaf a forked checkpoint puts first, in place of the log's real entry 0.
FORKED_LEAF = leaf_hash(b"forked history")


@dataclass(frozen=True)
class StoreFaults:
    """Ways the store misbehaves (all off: a faithful port's log)."""

    receipt_key: KeyEntry | None = None
    fork_checkpoint: bool = False
    rewrite_history: bool = False


class MemorySubmissionStore:
    """Submissions by ``(exporter, submission id)`` and the log of their entries, in memory (thread-safe)."""

    def __init__(
        self, origin: str, log_key: Ed25519PrivateKey, leaves: Iterable[bytes] = (), faults: StoreFaults | None = None
    ) -> None:
        self.origin = origin
        self.log_key = log_key
        self.faults = faults or StoreFaults()
        self.rows: dict[tuple[str, str], SubmissionRow] = {}
        self.leaves = list(leaves)
        self.tree = MerkleTree(leaf_hash(leaf) for leaf in self.leaves)
        self.checkpoint = self._sign(self.tree)
        self._lock = threading.RLock()

    # -- faults ---------------------------------------------------------------------------------------

    @contextmanager
    def faulty(self, **changes: Any) -> Iterator[None]:
        """Switch faults (``StoreFaults`` fields) on for the writes inside the block."""
        with self._lock:
            before = self.faults
            self.faults = replace(before, **changes)
            try:
                yield
            finally:
                self.faults = before

    # -- SubmissionStore --------------------------------------------------------------------------------

    def find(self, exporter: str, submission_id: str) -> SubmissionRow | None:
        """The stored submission of ``exporter`` with this id, or None."""
        with self._lock:
            return self.rows.get((exporter, submission_id))

    def store(self, row: SubmissionRow, leaf_input: bytes, build_receipt: ReceiptBuilder) -> SubmissionRow:
        """Append ``leaf_input``, sign a checkpoint and the receipt; or return the row already stored."""
        with self._lock:
            key = (row.exporter, row.submission_id)
            existing = self.rows.get(key)
            if existing is not None:
                return existing
            index = self._append(leaf_input)
            receipt = build_receipt(self._position(index))
            if self.faults.receipt_key is not None:
                receipt = _signed_again(receipt, self.faults.receipt_key)
            stored = row.logged(receipt, index)
            self.rows[key] = replace(stored, created=False)
            return stored

    def store_many(self, writes: Sequence[PendingWrite]) -> list[SubmissionRow | ProblemError]:
        """``store`` for each write, in order (each with its own checkpoint: the stand-in does not group)."""
        return [self.store(write.row, write.leaf_input, write.build_receipt) for write in writes]

    # -- the log, as the port's log routes read it ----------------------------------------------------

    @property
    def size(self) -> int:
        """The number of entries."""
        return self.tree.size

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``."""
        with self._lock:
            return self.tree.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 consistency proof between two sizes."""
        with self._lock:
            return self.tree.consistency_proof(first, second)

    def leaf_inputs(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """``(index, leaf input)`` of the entries in ``[start, end)``."""
        with self._lock:
            return [(index, self.leaves[index]) for index in range(start, end)]

    # -- writing --------------------------------------------------------------------------------------

    def _sign(self, tree: MerkleTree) -> str:
        return sign_checkpoint_note(self.origin, tree.size, tree.root(), self.log_key)

    def _append(self, leaf_input: bytes) -> int:
        self.leaves.append(leaf_input)
        index = self.tree.append(leaf_hash(leaf_input))
        if self.faults.rewrite_history and len(self.leaves) >= 2:
            first = json.loads(self.leaves[0])
            first["reasonCodes"] = [f"REWRITTEN_{len(self.leaves)}"]  # a new history at every append
            self.leaves[0] = leaf_input_of(first)
            self.tree = MerkleTree(leaf_hash(leaf) for leaf in self.leaves)
        self.checkpoint = self._sign(self.tree)
        return index

    def _position(self, index: int) -> LogPosition:
        tree, note = self.tree, self.checkpoint
        if self.faults.fork_checkpoint:
            tree = MerkleTree([FORKED_LEAF, *(tree.leaf(i) for i in range(1, tree.size))])
            note = self._sign(tree)
        return LogPosition(index, tree.leaf(index), note, tree.inclusion_proof(index, tree.size))


def _signed_again(receipt: bytes, key: KeyEntry) -> bytes:
    """The receipt with its proof replaced by one from ``key`` (same ``created``)."""
    document = orjson.loads(receipt)
    proof = document.pop("proof")
    created = parse_time(proof["created"])
    return canonicalize(secure(document, key.private_key, key.verification_method, created=created))
