"""Add ``sealed_access_log``: every attempt of the operator to open a stored sealed credential (issue 15).

Who (as the operator declared), when, which submission and credential, its ``kid`` and the outcome;
never any content.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sealed_access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("exporter", sa.String(64), nullable=False),
        sa.Column("submission_id", sa.String(256), nullable=False),
        sa.Column("credential_index", sa.Integer, nullable=False),
        sa.Column("kid", sa.Text, nullable=True),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
    )
    op.create_index("sealed_access_log_submission", "sealed_access_log", ["exporter", "submission_id"])


def downgrade() -> None:
    op.drop_index("sealed_access_log_submission", table_name="sealed_access_log")
    op.drop_table("sealed_access_log")
