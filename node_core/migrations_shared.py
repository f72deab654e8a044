"""Tables every node has, and the Alembic operations that create them in a node's first migration.

- ``seen_nonce``: RFC 9421 request nonces seen recently, primary key ``(keyid, nonce)``; a second
  insert of the same pair is a replay (docs/design.md §4).
- ``trust_state``: one row (``id`` 1) with the highest trust-list ``sequence`` accepted, the anchor key
  ids accepted with it, and when (docs/design.md §5: refuse an older sequence).

A node's first revision calls ``create_shared_tables(op)`` in ``upgrade()`` and
``drop_shared_tables(op)`` in ``downgrade()``. The ``Table`` objects live in ``SQLModel.metadata`` so that
a node's models and these tables share one metadata.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

__all__ = ["SEEN_NONCE", "TRUST_STATE", "create_shared_tables", "drop_shared_tables"]


def _seen_nonce_columns() -> list[Any]:
    return [
        sa.Column("keyid", sa.String(512), primary_key=True),
        sa.Column("nonce", sa.String(128), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _trust_state_columns() -> list[Any]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("anchor_key_ids", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="trust_state_single_row"),
    ]


SEEN_NONCE = sa.Table(
    "seen_nonce",
    SQLModel.metadata,
    *_seen_nonce_columns(),
    sa.Index("ix_seen_nonce_expires_at", "expires_at"),
)
TRUST_STATE = sa.Table("trust_state", SQLModel.metadata, *_trust_state_columns())


def create_shared_tables(op: Any) -> None:
    """Create ``seen_nonce`` and ``trust_state`` (``op`` is ``alembic.op``)."""
    op.create_table("seen_nonce", *_seen_nonce_columns())
    op.create_index("ix_seen_nonce_expires_at", "seen_nonce", ["expires_at"])
    op.create_table("trust_state", *_trust_state_columns())


def drop_shared_tables(op: Any) -> None:
    """Drop the tables ``create_shared_tables`` made."""
    op.drop_table("trust_state")
    op.drop_index("ix_seen_nonce_expires_at", table_name="seen_nonce")
    op.drop_table("seen_nonce")
