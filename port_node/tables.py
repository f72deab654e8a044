"""The port's tables, as SQLAlchemy Core objects shared by the migrations, the store and ``pilot audit fsck``.

- ``submissions``: one row per ``(exporter, submission_id)``: digest, decision, reason codes, the
  canonical content (NULL when the port may not keep it, docs/design.md §8), the exact receipt bytes
  served, and the index of its log leaf. The reasons themselves live in the receipt only (migration
  0003 dropped the copy that doubled what one request could make the port write).
- ``log_leaves``: the transparency log, one row per leaf: the RFC 8785 bytes of the entry (leaf input)
  and SHA-256(0x00 || input) (RFC 9162 section 2.1.1).
- ``checkpoints``: every signed checkpoint, keyed by tree size.
- ``log_head``: a single row holding the committed tree size; writers lock it (``SELECT ... FOR UPDATE``
  on PostgreSQL) so that leaf indices are dense and gap-free without a database sequence.
- ``sealed_access_log``: one row per attempt of the operator to open a stored sealed credential
  (``port_node.access_log``): which submission and credential, the ``kid`` it is sealed to, who (as
  the operator declared), when, and the outcome (``opened`` or the refusal's code). Never any content.

The tables use their own ``MetaData`` so that they never collide with another node's tables in a
process that imports both.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["CHECKPOINTS", "LOG_HEAD", "LOG_LEAVES", "METADATA", "SEALED_ACCESS_LOG", "SUBMISSIONS"]

METADATA = sa.MetaData()

SUBMISSIONS = sa.Table(
    "submissions",
    METADATA,
    sa.Column("exporter", sa.String(64), primary_key=True),
    sa.Column("submission_id", sa.String(256), primary_key=True),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("reason_codes", sa.JSON, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=True),
    sa.Column("receipt", sa.LargeBinary, nullable=False),
    sa.Column("leaf_index", sa.BigInteger, nullable=False, unique=True),
)

LOG_LEAVES = sa.Table(
    "log_leaves",
    METADATA,
    sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("leaf_input", sa.LargeBinary, nullable=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
)

CHECKPOINTS = sa.Table(
    "checkpoints",
    METADATA,
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

LOG_HEAD = sa.Table(
    "log_head",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.CheckConstraint("id = 1", name="log_head_single_row"),
)

SEALED_ACCESS_LOG = sa.Table(
    "sealed_access_log",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exporter", sa.String(64), nullable=False),
    sa.Column("submission_id", sa.String(256), nullable=False),
    sa.Column("credential_index", sa.Integer, nullable=False),
    sa.Column("kid", sa.Text, nullable=True),
    sa.Column("operator", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Index("sealed_access_log_submission", "exporter", "submission_id"),
)
