"""Suite-wide collection rules: PostgreSQL-only tests run when a PostgreSQL URL is given, else are deselected.

Tests that need PostgreSQL itself (marked ``postgres``, or using a PostgreSQL-only fixture) are
deselected — not skipped — when ``PILOT_TEST_DATABASE_URL`` is unset: the README's plain ``pytest``
runs on SQLite, and ``.ci/run`` runs ``pytest -m db`` again with the URL set. When the URL is set but the
server does not answer, those tests fail: a configured database that is down is an error, not a skip.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_ONLY_FIXTURES = {"postgres_schema_url", "local_databases"}


def _postgres_url() -> str | None:
    return os.environ.get("PILOT_TEST_DATABASE_URL") or None


def pytest_report_header(config: pytest.Config) -> str:
    url = _postgres_url()
    if url:
        return f"database tests: SQLite and PostgreSQL ({url})"
    return "database tests: SQLite only (PILOT_TEST_DATABASE_URL unset; PostgreSQL-only tests deselected)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _postgres_url():
        return
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        needs_postgres = (
            item.get_closest_marker("postgres") is not None
            or bool(POSTGRES_ONLY_FIXTURES & set(getattr(item, "fixturenames", ())))
            or (callspec is not None and "postgresql" in callspec.params.values())
        )
        (drop if needs_postgres else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
