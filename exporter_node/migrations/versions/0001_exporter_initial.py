"""The exporter's first schema: node_core's shared tables, farms, credentials, consignments, outbox."""

import sqlalchemy as sa
from alembic import op

from node_core.migrations_shared import create_shared_tables, drop_shared_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = 2048


def _time(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_shared_tables(op)
    op.create_table(
        "facility",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("facility_type", sa.String(32), nullable=False),
        sa.Column("establishment_number", sa.String(32), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("credential_id", sa.String(ID), nullable=False, unique=True),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("credential", sa.JSON, nullable=False),
        _time("created_at"),
    )
    op.create_index("ix_facility_establishment_number", "facility", ["establishment_number"])
    op.create_table(
        "imported_credential",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("credential", sa.JSON, nullable=False),
        sa.Column("assessed_facility", sa.String(ID), nullable=True),
        sa.Column("establishment_number", sa.String(32), nullable=True),
        _time("valid_from", nullable=True),
        _time("valid_until", nullable=True),
        _time("imported_at"),
    )
    op.create_index("ix_imported_credential_assessed_facility", "imported_credential", ["assessed_facility"])
    op.create_index("ix_imported_credential_establishment_number", "imported_credential", ["establishment_number"])
    op.create_table(
        "consignment",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("destination", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("submission", sa.Text, nullable=False),
        sa.Column("submission_digest", sa.String(80), nullable=False),
        sa.Column("raw", sa.Boolean, nullable=False),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("reasons", sa.JSON, nullable=True),
        sa.Column("receipt", sa.Text, nullable=True),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("failure_detail", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        _time("created_at"),
        _time("updated_at"),
        _time("finished_at", nullable=True),
    )
    op.create_index("ix_consignment_state", "consignment", ["state"])
    op.create_table(
        "outbox",
        sa.Column("consignment_id", sa.String(128), sa.ForeignKey("consignment.id"), primary_key=True),
        sa.Column("destination", sa.String(64), nullable=False),
        _time("next_attempt_at"),
        sa.Column("attempts", sa.Integer, nullable=False),
        _time("created_at"),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consignment_id", sa.String(128), sa.ForeignKey("consignment.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        _time("started_at"),
        _time("finished_at"),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_delivery_attempt_consignment_id", "delivery_attempt", ["consignment_id"])
    op.create_table(
        "port_checkpoint",
        sa.Column("port_id", sa.String(64), primary_key=True),
        sa.Column("origin", sa.String(256), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
        _time("updated_at"),
    )


def downgrade() -> None:
    op.drop_table("port_checkpoint")
    op.drop_index("ix_delivery_attempt_consignment_id", table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    op.drop_index("ix_outbox_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_consignment_state", table_name="consignment")
    op.drop_table("consignment")
    op.drop_index("ix_imported_credential_establishment_number", table_name="imported_credential")
    op.drop_index("ix_imported_credential_assessed_facility", table_name="imported_credential")
    op.drop_table("imported_credential")
    op.drop_index("ix_facility_establishment_number", table_name="facility")
    op.drop_table("facility")
    drop_shared_tables(op)
