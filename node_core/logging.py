"""JSON-lines structured logging: one object per line with ts, level, node, request_id, msg and extras.

``configure_logging`` installs the formatter on the root logger once (calling it again replaces the
handler). Fields passed with ``logger.info(msg, extra={...})`` become top-level keys of the line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from node_core.request_context import current_request_id

__all__ = ["JsonLinesFormatter", "configure_logging"]

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLinesFormatter(logging.Formatter):
    """Format each record as one JSON object on one line."""

    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "node": self.node_id,
            "request_id": current_request_id(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class _PilotHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marker subclass so that reconfiguring replaces our handler and leaves others alone."""


def configure_logging(node_id: str, level: str | int = "INFO", *, stream: IO[str] | None = None) -> None:
    """Send every log record to ``stream`` (default stderr) as JSON lines tagged with ``node_id``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _PilotHandler):
            root.removeHandler(handler)
    handler = _PilotHandler(stream or sys.stderr)
    handler.setFormatter(JsonLinesFormatter(node_id))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Libraries that narrate their own start-up at INFO (Alembic lists every plugin) only speak up on trouble.
    for noisy in ("alembic", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
