"""The registry's tables, as SQLAlchemy Core objects shared by the migrations and the store.

- ``status_lists``: one row per ``(issuer, list_id)``: the list's ``purpose`` (fixed by its first version)
  and ``head_sequence``, the highest version held. Writers advance it with a compare-and-set
  (``UPDATE ... WHERE head_sequence < :new``, after ``SELECT ... FOR UPDATE`` on PostgreSQL), so two
  versions posted at once cannot both become the head.
- ``status_list_versions``: every version ever accepted, primary key ``(issuer, list_id, sequence)`` (the
  unique constraint that makes a second row with the same sequence impossible, whatever the race): the
  credential's bytes exactly as received, its digest, its validity window, its ``ttl`` and when it arrived.

The tables use their own ``MetaData`` so that they never collide with another node's tables in a
process that imports several nodes.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["METADATA", "STATUS_LISTS", "STATUS_LIST_VERSIONS"]

METADATA = sa.MetaData()

STATUS_LISTS = sa.Table(
    "status_lists",
    METADATA,
    sa.Column("issuer", sa.String(64), primary_key=True),
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("head_sequence", sa.BigInteger, nullable=False),
)

STATUS_LIST_VERSIONS = sa.Table(
    "status_list_versions",
    METADATA,
    sa.Column("issuer", sa.String(64), nullable=False),
    sa.Column("list_id", sa.String(64), nullable=False),
    sa.Column("sequence", sa.BigInteger, nullable=False, autoincrement=False),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
    sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ttl_ms", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("credential", sa.LargeBinary, nullable=False),
    sa.PrimaryKeyConstraint("issuer", "list_id", "sequence", name="pk_status_list_versions"),
    sa.ForeignKeyConstraint(
        ["issuer", "list_id"], ["status_lists.issuer", "status_lists.list_id"], name="fk_status_list_versions_list"
    ),
)
