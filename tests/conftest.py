"""Suite-wide rules and fixtures: which database tests run on, and a fresh database per test.

Tests that need PostgreSQL itself (marked ``postgres``, or using a PostgreSQL-only fixture) are
deselected — not skipped — when ``PILOT_TEST_DATABASE_URL`` is unset: the README's plain ``pytest``
runs on SQLite, and ``.ci/run`` runs ``pytest -m db`` again with the URL set. When the URL is set but the
server does not answer, those tests fail: a configured database that is down is an error, not a skip.

Tests that read the official standards files (marked ``reference``, or using the ``reference_dir``
fixture) get them from the reference directory: ``PILOT_REFERENCE_DIR`` when set, else
``<repository root>/../shared/reference`` when it exists. Those files are never copied into the
repository. Without a reference directory the tests are deselected, except under ``CI=true``, where they
fail: a CI run must not pass without its known-answer tests. A ``PILOT_REFERENCE_DIR`` that is set but
is not a directory makes them fail too (configured but missing is an error, as for the database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import configured_postgres_url, fresh_database

POSTGRES_ONLY_FIXTURES = {"postgres_schema_url", "local_databases"}
REFERENCE_ENV = "PILOT_REFERENCE_DIR"
DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture
def anyio_backend() -> str:
    """The anyio plugin runs async tests on asyncio."""
    return "asyncio"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the selected kind (SQLite, or a new PostgreSQL database), removed after."""
    with fresh_database(tmp_path) as url:
        yield url


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _configured_reference_dir() -> Path | None:
    """``PILOT_REFERENCE_DIR`` if set (whether or not it exists), else the default one if it exists."""
    configured = os.environ.get(REFERENCE_ENV)
    if configured:
        return Path(configured)
    return DEFAULT_REFERENCE_DIR if DEFAULT_REFERENCE_DIR.is_dir() else None


def _reference_unavailable() -> str | None:
    """Why the reference directory cannot be used, or None when it can."""
    directory = _configured_reference_dir()
    if directory is None:
        return (
            f"no reference directory: set {REFERENCE_ENV} to the directory of the official standards files "
            f"(UNTP 0.6.1, W3C VC 2.0, GS1 EPCIS, RFC 8785 and eddsa-jcs-2022 vectors, as listed by its "
            f"SOURCES.md), or place it at {DEFAULT_REFERENCE_DIR}"
        )
    if not directory.is_dir():
        return f"{REFERENCE_ENV}={directory} is set but is not a directory"
    return None


def _needs_reference(item: pytest.Item) -> bool:
    return item.get_closest_marker("reference") is not None or "reference_dir" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The directory of the official standards files (UNTP, W3C, GS1, RFC 8785, eddsa-jcs-2022)."""
    reason = _reference_unavailable()
    if reason is not None:
        pytest.fail(f"reference tests cannot run: {reason}", pytrace=False)
    directory = _configured_reference_dir()
    assert directory is not None
    return directory.resolve()


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = configured_postgres_url()
    if url:
        lines = [f"database tests: SQLite and PostgreSQL ({url})"]
    else:
        lines = ["database tests: SQLite only (PILOT_TEST_DATABASE_URL unset; PostgreSQL-only tests deselected)"]
    reason = _reference_unavailable()
    if reason is None:
        lines.append(f"reference directory: {_configured_reference_dir()}")
    elif _configured_reference_dir() is None and not _in_ci():
        lines.append(f"reference directory: none ({reason}); reference tests deselected")
    else:
        lines.append(f"reference directory: UNAVAILABLE ({reason}); reference tests will fail")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Without any reference directory (and outside CI) the reference tests are deselected; with one
    # configured but missing, or under CI=true, they stay selected and fail in pytest_runtest_setup.
    drop_reference = _configured_reference_dir() is None and not _in_ci()
    drop_postgres = not configured_postgres_url()
    if not (drop_reference or drop_postgres):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        needs_postgres = (
            item.get_closest_marker("postgres") is not None
            or bool(POSTGRES_ONLY_FIXTURES & set(getattr(item, "fixturenames", ())))
            or (callspec is not None and "postgresql" in callspec.params.values())
        )
        deselect = (drop_postgres and needs_postgres) or (drop_reference and _needs_reference(item))
        (drop if deselect else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _needs_reference(item):
        reason = _reference_unavailable()
        if reason is not None:
            pytest.fail(f"reference tests cannot run: {reason}", pytrace=False)
