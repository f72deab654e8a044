"""Create the shared node tables and the registry's status lists and their versions."""

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
        "status_lists",
        sa.Column("issuer", sa.String(64), primary_key=True),
        sa.Column("list_id", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("head_sequence", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "status_list_versions",
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
            ["issuer", "list_id"],
            ["status_lists.issuer", "status_lists.list_id"],
            name="fk_status_list_versions_list",
        ),
    )


def downgrade() -> None:
    op.drop_table("status_list_versions")
    op.drop_table("status_lists")
    drop_shared_tables(op)
