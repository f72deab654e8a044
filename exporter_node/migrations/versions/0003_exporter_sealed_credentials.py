"""Sealed credentials (docs/design.md §§6, 8): what each consignment sent sealed, and records held only sealed."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = 2048
#: The columns that mark a facility's record or an imported credential as held only in its sealed form.
HELD_SEALED = ("sealed_to", "sealed_in", "sealed_at")


def _held_sealed_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("sealed_to", sa.String(ID), nullable=True),
        sa.Column("sealed_in", sa.String(128), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "sealed_credential",
        sa.Column("consignment_id", sa.String(128), sa.ForeignKey("consignment.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("credential_id", sa.String(ID), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("kid", sa.String(ID), nullable=False),
    )
    for table in ("facility", "imported_credential"):
        for column in _held_sealed_columns():
            op.add_column(table, column)


def downgrade() -> None:
    for table in ("imported_credential", "facility"):
        with op.batch_alter_table(table) as batch:
            for name in reversed(HELD_SEALED):
                batch.drop_column(name)
    op.drop_table("sealed_credential")
