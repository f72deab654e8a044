"""Offline consistency check of a port's stored log: leaves, tree, head, checkpoints and submission rows.

``pilot audit fsck`` runs it. It trusts nothing computed before: every leaf hash is recomputed from
its leaf input (RFC 9162 section 2.1.1), the tree is rebuilt from those hashes, and every stored
checkpoint must have the rebuilt root at its size, in its ``root_hash`` column and in its signed note,
whose signature must verify with a ``log`` key the trust list publishes for the port. Each leaf must
belong to exactly one submission row whose exporter, id, digest and decision it records. The first
difference found is reported; nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection, Engine

from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES, SUBMISSIONS
from schemas.canonical import canonicalize
from schemas.errors import PilotSchemaError, VerificationError
from schemas.merkle import MerkleTree, leaf_hash
from schemas.signed_note import verify_checkpoint

__all__ = ["FsckReport", "fsck"]

_BATCH = 10_000


@dataclass(frozen=True)
class FsckReport:
    """The result: sizes checked, and the first difference (None when clean)."""

    leaves: int
    checkpoints: int
    submissions: int
    problem: str | None

    @property
    def ok(self) -> bool:
        """True when no difference was found."""
        return self.problem is None


class _Difference(Exception):
    """The first difference found; its message names it."""


def _stream(connection: Connection, query: sa.Select[tuple[object, ...]]) -> sa.Result[tuple[object, ...]]:
    return connection.execute(query, execution_options={"stream_results": True, "yield_per": _BATCH})


def _check_entry(index: int, leaf_input: bytes, row: Any) -> None:
    try:
        entry = json.loads(leaf_input)
    except ValueError as exc:
        raise _Difference(f"leaf {index}: leaf input is not JSON") from exc
    try:
        canonical = canonicalize(entry)
    except PilotSchemaError as exc:
        raise _Difference(f"leaf {index}: leaf input cannot be canonicalized: {exc}") from exc
    if canonical != leaf_input:
        raise _Difference(f"leaf {index}: leaf input is not in RFC 8785 canonical form")
    if row is None:
        raise _Difference(f"leaf {index}: no submission row points at it")
    expected = {
        "exporter": row.exporter,
        "submissionId": row.submission_id,
        "submissionDigest": row.digest,
        "decision": row.decision,
    }
    for name, value in expected.items():
        if not isinstance(entry, dict) or entry.get(name) != value:
            raise _Difference(f"leaf {index}: entry {name} differs from its submission row ({value!r})")


def _check_leaf(tree: MerkleTree, row: Any) -> None:
    index = int(row.leaf_index)
    if index != tree.size:
        raise _Difference(f"leaf {tree.size} is missing (next stored leaf is {index})")
    if not isinstance(row.leaf_input, bytes | bytearray | memoryview):
        raise _Difference(f"leaf {index}: leaf input is stored as {type(row.leaf_input).__name__}, not bytes")
    data = bytes(row.leaf_input)
    computed = leaf_hash(data)
    if bytes(row.leaf_hash) != computed:
        raise _Difference(f"leaf {index}: stored leaf hash differs from the hash of its leaf input")
    _check_entry(index, data, row if row.row_index is not None else None)
    tree.append(computed)


def _rebuild(connection: Connection) -> tuple[MerkleTree, int]:
    tree = MerkleTree()
    query = (
        sa.select(
            LOG_LEAVES,
            SUBMISSIONS.c.exporter,
            SUBMISSIONS.c.submission_id,
            SUBMISSIONS.c.digest,
            SUBMISSIONS.c.decision,
            SUBMISSIONS.c.leaf_index.label("row_index"),
        )
        .outerjoin(SUBMISSIONS, SUBMISSIONS.c.leaf_index == LOG_LEAVES.c.leaf_index)
        .order_by(LOG_LEAVES.c.leaf_index)
    )
    with _stream(connection, query) as result:
        for row in result:
            _check_leaf(tree, row)
    submissions = connection.execute(sa.select(sa.func.count()).select_from(SUBMISSIONS)).scalar_one()
    if submissions != tree.size:
        orphan = connection.execute(
            sa.select(SUBMISSIONS.c.submission_id, SUBMISSIONS.c.leaf_index)
            .where(SUBMISSIONS.c.leaf_index >= tree.size)
            .order_by(SUBMISSIONS.c.leaf_index)
            .limit(1)
        ).first()
        where = f" (first: {orphan.submission_id} at index {orphan.leaf_index})" if orphan else ""
        raise _Difference(f"{submissions} submission rows for {tree.size} leaves{where}")
    return tree, int(submissions)


def _verify_note(note: str, origin: str, keys: Sequence[Ed25519PublicKey], size: int) -> bytes:
    error: VerificationError | None = None
    for key in keys:
        try:
            checkpoint = verify_checkpoint(note, origin, key, origin=origin)
        except VerificationError as exc:
            error = exc
            continue
        if checkpoint.size != size:
            raise _Difference(f"checkpoint {size}: its note says size {checkpoint.size}")
        return checkpoint.root_hash
    raise _Difference(f"checkpoint {size}: signed note does not verify with the port's log key ({error})")


def _check_checkpoints(connection: Connection, tree: MerkleTree, origin: str, keys: Sequence[Ed25519PublicKey]) -> int:
    count = 0
    with _stream(connection, sa.select(CHECKPOINTS).order_by(CHECKPOINTS.c.tree_size)) as result:
        for row in result:
            _check_checkpoint(tree, row, origin, keys)
            count += 1
    return count


def _check_checkpoint(tree: MerkleTree, row: Any, origin: str, keys: Sequence[Ed25519PublicKey]) -> None:
    size = int(row.tree_size)
    if size > tree.size:
        raise _Difference(f"checkpoint {size}: larger than the {tree.size} stored leaves")
    root = tree.root(size)
    if bytes(row.root_hash) != root:
        raise _Difference(f"checkpoint {size}: stored root differs from the rebuilt tree's root")
    if _verify_note(row.note, origin, keys, size) != root:
        raise _Difference(f"checkpoint {size}: signed root differs from the rebuilt tree's root")


def fsck(engine: Engine, origin: str, log_keys: Sequence[Ed25519PublicKey]) -> FsckReport:
    """Check the port log in ``engine`` against itself and the ``log_keys``; report the first difference."""
    tree = MerkleTree()
    checkpoints = submissions = 0
    try:
        with engine.connect() as connection:
            tree, submissions = _rebuild(connection)
            head = connection.execute(sa.select(LOG_HEAD.c.size).where(LOG_HEAD.c.id == 1)).scalar()
            if head != tree.size:
                raise _Difference(f"log_head says {head} leaves but {tree.size} are stored")
            checkpoints = _check_checkpoints(connection, tree, origin, log_keys)
            latest = connection.execute(sa.select(sa.func.max(CHECKPOINTS.c.tree_size))).scalar()
            if latest != tree.size:
                raise _Difference(f"no checkpoint covers the whole log (latest is {latest}, log has {tree.size})")
    except _Difference as difference:
        return FsckReport(tree.size, checkpoints, submissions, str(difference))
    return FsckReport(tree.size, checkpoints, submissions, None)
