"""Times on the wire: RFC 3339 / XML Schema dateTime in UTC with a ``Z``, second precision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.codes import Code
from schemas.errors import VerificationError


def parse_time(text: str) -> datetime:
    """An aware UTC datetime from an RFC 3339 string; a naive or malformed one is SCHEMA_INVALID."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if isinstance(text, str) else text)
    except (TypeError, ValueError) as exc:
        raise VerificationError.single(Code.SCHEMA_INVALID, "", f"not an RFC 3339 time: {text!r}") from exc
    if value.tzinfo is None:
        raise VerificationError.single(Code.SCHEMA_INVALID, "", f"time without a timezone: {text!r}")
    return value.astimezone(UTC)


def time_or_none(value: Any) -> datetime | None:
    """``parse_time`` of ``value`` when it is a well-formed RFC 3339 string, else None (for reports that show
    whatever a document claims, and must not stop at a malformed one)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except VerificationError:
        return None


def format_time(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (fractions kept only when present)."""
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
