"""Fixtures for the process tests: a real ``pilot node port`` over the test's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes.port_process import port_process
from tests.support.processes import NodeProcess


@pytest.fixture
def port(tmp_path: Path, database_url: str) -> Iterator[NodeProcess]:
    """``port_process`` over ``database_url``, not started yet (set its ``env`` first); stopped after the test."""
    with port_process(tmp_path, database_url) as node:
        yield node
