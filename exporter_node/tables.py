"""The exporter's database tables (SQLAlchemy Core), in a metadata of their own.

The exporter keeps its own ``MetaData`` rather than ``SQLModel.metadata`` so that a test process that
imports both node kinds never sees two definitions of one table name. The Alembic revisions in
``exporter_node/migrations`` create exactly these tables (plus node_core's shared ones).

- ``facility``: the exporter's farms and plants, each with the signed DigitalFacilityRecord issued for it.
- ``imported_credential``: certifiers' and ``ru-vet``'s credentials, verified when imported.
  In both, ``sealed_to`` (the port's ``keyAgreement`` key id), ``sealed_in`` (the consignment) and
  ``sealed_at`` mark a record held only sealed: once a consignment that carried it sealed was answered with a
  receipt, ``credential`` holds the sealed form and the plaintext is gone (docs/design.md §6).
- ``consignment``: one per submissionId: the exact submission text sent, the delivery state, the port's
  decision, reasons and receipt.
- ``outbox``: consignments still to deliver, with the time of their next attempt (at-least-once).
- ``delivery_attempt``: every attempt and its outcome.
- ``sealed_credential``: the credentials a consignment sends sealed: position in the submission, id, the
  plaintext digest the manifest pins, and the key id it is sealed to.
- ``port_checkpoint``: the largest verified checkpoint seen from each port (the exporter is a monitor).
- ``status_allocation``, ``status_bit``, ``status_list_version``: the exporter as an issuer of status lists
  (docs/design.md §12): the status list index given to each credential it signed (unique, never reused),
  the bits set per list, and every signed list version, each with when the registry acknowledged it
  (``published_at`` null: not yet, so the table is also the publisher's outbox).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "CONSIGNMENT",
    "DELIVERY_ATTEMPT",
    "FACILITY",
    "IMPORTED_CREDENTIAL",
    "OUTBOX",
    "PORT_CHECKPOINT",
    "SEALED_CREDENTIAL",
    "STATUS_ALLOCATION",
    "STATUS_BIT",
    "STATUS_LIST_VERSION",
    "UtcDateTime",
    "metadata",
]


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on both sides, whatever the dialect (SQLite stores it naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

ID = 2048  # a facility or credential id is a URI of at most 2,048 characters


def _held_sealed() -> list[sa.Column[object]]:
    """The columns marking a record held only in its sealed form (module doc)."""
    return [
        sa.Column("sealed_to", sa.String(ID), nullable=True),
        sa.Column("sealed_in", sa.String(128), nullable=True),
        sa.Column("sealed_at", UtcDateTime, nullable=True),
    ]


FACILITY = sa.Table(
    "facility",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    sa.Column("facility_type", sa.String(32), nullable=False),
    sa.Column("establishment_number", sa.String(32), nullable=False, index=True),
    sa.Column("region", sa.String(16), nullable=False),
    sa.Column("credential_id", sa.String(ID), nullable=False, unique=True),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("credential", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    *_held_sealed(),
)

IMPORTED_CREDENTIAL = sa.Table(
    "imported_credential",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    sa.Column("record_type", sa.String(64), nullable=False),
    sa.Column("issuer", sa.String(64), nullable=False),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("credential", sa.JSON, nullable=False),
    sa.Column("assessed_facility", sa.String(ID), nullable=True, index=True),
    sa.Column("establishment_number", sa.String(32), nullable=True, index=True),
    sa.Column("valid_from", UtcDateTime, nullable=True),
    sa.Column("valid_until", UtcDateTime, nullable=True),
    sa.Column("imported_at", UtcDateTime, nullable=False),
    *_held_sealed(),
)

CONSIGNMENT = sa.Table(
    "consignment",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("destination", sa.String(64), nullable=False),
    sa.Column("state", sa.String(32), nullable=False, index=True),
    sa.Column("submission", sa.Text, nullable=False),
    sa.Column("submission_digest", sa.String(80), nullable=False),
    sa.Column("raw", sa.Boolean, nullable=False),
    sa.Column("decision", sa.String(32), nullable=True),
    sa.Column("reasons", sa.JSON, nullable=True),
    sa.Column("receipt", sa.Text, nullable=True),
    sa.Column("failure_code", sa.String(64), nullable=True),
    sa.Column("failure_detail", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
)

OUTBOX = sa.Table(
    "outbox",
    metadata,
    sa.Column("consignment_id", sa.String(128), sa.ForeignKey("consignment.id"), primary_key=True),
    sa.Column("destination", sa.String(64), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
)

DELIVERY_ATTEMPT = sa.Table(
    "delivery_attempt",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("consignment_id", sa.String(128), sa.ForeignKey("consignment.id"), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
)

SEALED_CREDENTIAL = sa.Table(
    "sealed_credential",
    metadata,
    sa.Column("consignment_id", sa.String(128), sa.ForeignKey("consignment.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("credential_id", sa.String(ID), nullable=False),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("kid", sa.String(ID), nullable=False),
)

PORT_CHECKPOINT = sa.Table(
    "port_checkpoint",
    metadata,
    sa.Column("port_id", sa.String(64), primary_key=True),
    sa.Column("origin", sa.String(256), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.String(64), nullable=False),
    sa.Column("checkpoint", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

STATUS_ALLOCATION = sa.Table(
    "status_allocation",
    metadata,
    sa.Column("credential_id", sa.String(ID), primary_key=True),
    sa.Column("list_index", sa.Integer, nullable=False, unique=True),
    sa.Column("record_type", sa.String(64), nullable=False),
    sa.Column("issued_at", UtcDateTime, nullable=False),
)

STATUS_BIT = sa.Table(
    "status_bit",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("list_index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("credential_id", sa.String(ID), nullable=False),
    sa.Column("set_at", UtcDateTime, nullable=False),
)

STATUS_LIST_VERSION = sa.Table(
    "status_list_version",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("credential", sa.JSON, nullable=False),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("signed_at", UtcDateTime, nullable=False),
    sa.Column("valid_until", UtcDateTime, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("refused_code", sa.String(64), nullable=True),
)
