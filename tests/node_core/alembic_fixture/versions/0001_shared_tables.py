"""Create the tables every node shares (test fixture revision)."""

from alembic import op

from node_core.migrations_shared import create_shared_tables, drop_shared_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_shared_tables(op)


def downgrade() -> None:
    drop_shared_tables(op)
