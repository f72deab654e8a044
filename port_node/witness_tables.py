"""The witness's tables and the port's gathered cosignatures, as SQLAlchemy Core objects (migration 0002).

- ``witness_state``: per log origin, the latest checkpoint this port cosigned as a witness (C2SP
  tlog-witness: "the witness MUST persist the new checkpoint before returning a cosignature").
- ``witness_evidence``: proof that a log equivocated: two checkpoints it signed for the same size with
  different roots (``split_view``), or one that does not extend the cosigned one (``inconsistent``),
  with both signed notes and the failing consistency proof, so anyone can check the claim offline.
- ``checkpoint_cosignatures``: the cosignature lines other ports' witnesses returned for this port's
  own checkpoints, served with ``GET /v1/log/checkpoint``.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["COSIGNATURES", "WITNESS_EVIDENCE", "WITNESS_METADATA", "WITNESS_STATE"]

WITNESS_METADATA = sa.MetaData()

WITNESS_STATE = sa.Table(
    "witness_state",
    WITNESS_METADATA,
    sa.Column("origin", sa.String(256), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

WITNESS_EVIDENCE = sa.Table(
    "witness_evidence",
    WITNESS_METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("origin", sa.String(256), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("held_note", sa.Text, nullable=False),
    sa.Column("offered_note", sa.Text, nullable=False),
    sa.Column("proof", sa.JSON, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

COSIGNATURES = sa.Table(
    "checkpoint_cosignatures",
    WITNESS_METADATA,
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("witness", sa.String(256), primary_key=True),
    sa.Column("line", sa.Text, nullable=False),
)
