"""``registry_node.caching``: the entity tag, ``max-age`` from ``ttl`` and ``validUntil``, weak ``If-None-Match``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry_node.caching import cache_control, entity_tag, max_age_s, none_match

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ttl_ms", "until", "expected"),
    [
        (300_000, NOW + timedelta(days=1), 300),  # the ttl
        (300_999, NOW + timedelta(days=1), 300),  # rounded down to whole seconds
        (3_600_000, NOW + timedelta(seconds=42), 42),  # never past validUntil
        (300_000, NOW, 0),
        (300_000, NOW - timedelta(days=1), 0),  # never negative
        (999, NOW + timedelta(days=1), 0),
    ],
)
def test_max_age(ttl_ms: int, until: datetime, expected: int) -> None:
    assert max_age_s(ttl_ms, until, NOW) == expected
    assert cache_control(ttl_ms, until, NOW) == f"public, max-age={expected}"


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"sha-256:ab"', True),
        ('W/"sha-256:ab"', True),
        ('"other", "sha-256:ab"', True),
        ("*", True),
        ('"sha-256:abc"', False),
        ("sha-256:ab", False),  # unquoted: not this entity tag
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert none_match(header, entity_tag("sha-256:ab")) is matches
