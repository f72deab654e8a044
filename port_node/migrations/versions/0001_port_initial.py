"""Create the shared node tables and the port's submissions, log leaves, checkpoints and log head."""

import sqlalchemy as sa
from alembic import op

from node_core.migrations_shared import create_shared_tables, drop_shared_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_shared_tables(op)
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="log_head_single_row"),
    )
    op.bulk_insert(
        sa.table("log_head", sa.column("id", sa.Integer), sa.column("size", sa.BigInteger)), [{"id": 1, "size": 0}]
    )
    op.create_table(
        "log_leaves",
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("leaf_input", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("exporter", sa.String(64), primary_key=True),
        sa.Column("submission_id", sa.String(256), primary_key=True),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reason_codes", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=True),
        sa.Column("receipt", sa.LargeBinary, nullable=False),
        sa.Column("leaf_index", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("leaf_index", name="uq_submissions_leaf_index"),
    )


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("checkpoints")
    op.drop_table("log_leaves")
    op.drop_table("log_head")
    drop_shared_tables(op)
