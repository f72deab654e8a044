"""HTTP caching of status lists: the ``ETag`` a version is served with, its ``Cache-Control``, ``If-None-Match``.

docs/design.md §12: a port keeps a verified list for the shorter of its ``ttl`` and the registry's
``max-age``, then asks again with ``If-None-Match`` (RFC 9110 §13.1.2); the registry answers 304 while the
current version is the one the port holds. So:

- the entity tag is the version's digest, quoted (``"sha-256:<hex>"``): the same bytes, the same tag;
- ``max-age`` is the list's ``ttl`` (milliseconds, rounded down to seconds), never past its ``validUntil``
  (a cache must not keep a list beyond the time it may be relied on), and never negative;
- ``If-None-Match`` is compared weakly (RFC 9110 §13.1.2: a ``W/`` prefix is ignored), ``*`` matches any.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["cache_control", "entity_tag", "max_age_s", "none_match"]


def entity_tag(digest: str) -> str:
    """The ``ETag`` of a version: its digest in quotes."""
    return f'"{digest}"'


def max_age_s(ttl_ms: int, valid_until: datetime, now: datetime) -> int:
    """Seconds a cache may keep the version: min(ttl, seconds until ``valid_until``), at least 0."""
    remaining = int((valid_until - now).total_seconds())
    return max(0, min(ttl_ms // 1000, remaining))


def cache_control(ttl_ms: int, valid_until: datetime, now: datetime) -> str:
    """The ``Cache-Control`` value of a version served at ``now``."""
    return f"public, max-age={max_age_s(ttl_ms, valid_until, now)}"


def none_match(header: str | None, tag: str) -> bool:
    """True when ``If-None-Match: header`` names ``tag`` (or is ``*``): the answer is then 304."""
    if header is None:
        return False
    for candidate in header.split(","):
        value = candidate.strip()
        if value == "*":
            return True
        if value.removeprefix("W/") == tag:
            return True
    return False
