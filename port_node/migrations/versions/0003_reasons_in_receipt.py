"""Drop ``submissions.reasons``: the reasons live in the signed receipt, their one stored copy.

One copy bounds what one request makes the port write.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("reasons")


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("reasons", sa.JSON, nullable=True))
