"""Fixtures for the registry tests: a registry app over the fresh database ``tests/conftest.py`` gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry_node.registry_harness import RegistryHarness, make_registry


@pytest.fixture
def registry(tmp_path: Path, database_url: str) -> Iterator[RegistryHarness]:
    """A registry over a fresh database, closed after the test."""
    with make_registry(tmp_path, database_url) as harness:
        yield harness
