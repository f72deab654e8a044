"""The port's access log of sealed credentials: every time its operator tried to open one, and what came of it.

Issue 15, docs/design.md §6. A port keeps a sealed credential sealed (§8); its operator may open one
through the operator API (``port_node.routes.sealed``), and each attempt on a stored submission, opened
or refused, is one row of ``sealed_access_log``: the submission, the credential's index, the ``kid`` it
is sealed to (None when it is not sealed or not there), the operator's name as they declared it, the
time, and the outcome (``OPENED`` or the refusal's code). The row is written before the answer is sent,
so no content leaves the port unrecorded; the row never holds any content. ``pilot audit trail`` reads
the rows back through ``GET /v1/operator/submissions/{exporter}/{id}/access-log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from port_node.storage import unavailable
from port_node.tables import SEALED_ACCESS_LOG
from schemas.time import format_time

__all__ = ["OPENED", "AccessLogEntry", "SqlAccessLog"]

#: The outcome of an attempt that opened the credential (any other outcome is a ``schemas.codes.Code``).
OPENED = "opened"


@dataclass(frozen=True)
class AccessLogEntry:
    """One attempt to open a stored credential."""

    exporter: str
    submission_id: str
    credential_index: int
    kid: str | None
    operator: str
    at: datetime
    outcome: str

    def as_json(self) -> dict[str, Any]:
        """The entry as the operator API serves it."""
        return {
            "at": format_time(self.at),
            "operator": self.operator,
            "credentialIndex": self.credential_index,
            "kid": self.kid,
            "outcome": self.outcome,
        }


def _utc(value: datetime) -> datetime:
    # SQLite gives back a naive datetime for a timezone-aware column; the stored value is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqlAccessLog:
    """Writes and reads ``sealed_access_log`` in the port's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, entry: AccessLogEntry) -> None:
        """Add ``entry`` (committed when this returns); a database that cannot be written is 503."""
        with unavailable(), self.engine.begin() as connection:
            connection.execute(
                sa.insert(SEALED_ACCESS_LOG).values(
                    exporter=entry.exporter,
                    submission_id=entry.submission_id,
                    credential_index=entry.credential_index,
                    kid=entry.kid,
                    operator=entry.operator,
                    at=entry.at,
                    outcome=entry.outcome,
                )
            )

    def entries(self, exporter: str, submission_id: str) -> list[AccessLogEntry]:
        """The attempts on one submission, oldest first."""
        table = SEALED_ACCESS_LOG
        with unavailable(), self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table)
                .where(table.c.exporter == exporter, table.c.submission_id == submission_id)
                .order_by(table.c.id)
            ).all()
        return [
            AccessLogEntry(
                exporter=row.exporter,
                submission_id=row.submission_id,
                credential_index=int(row.credential_index),
                kid=row.kid,
                operator=row.operator,
                at=_utc(row.at),
                outcome=row.outcome,
            )
            for row in rows
        ]
