"""The exporter as an issuer of status lists: index allocation, set bits, signed list versions (docs/design.md §12)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = 2048


def _time(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "status_allocation",
        sa.Column("credential_id", sa.String(ID), primary_key=True),
        sa.Column("list_index", sa.Integer, nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        _time("issued_at"),
        sa.UniqueConstraint("list_index", name="uq_status_allocation_list_index"),
    )
    op.create_table(
        "status_bit",
        sa.Column("list_id", sa.String(64), primary_key=True),
        sa.Column("list_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("credential_id", sa.String(ID), nullable=False),
        _time("set_at"),
    )
    op.create_table(
        "status_list_version",
        sa.Column("list_id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("credential", sa.JSON, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        _time("signed_at"),
        _time("valid_until"),
        _time("published_at", nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("refused_code", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("status_list_version")
    op.drop_table("status_bit")
    op.drop_table("status_allocation")
