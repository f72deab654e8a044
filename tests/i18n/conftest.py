"""Fixtures for the language tests: a port harness over a fresh database (``tests/support/harness.py``), and
every test starting from an English environment (``tests/support/cli_language.py``)."""

from __future__ import annotations

import pytest

from tests.support.cli_language import english_environment
from tests.support.harness import harness, harness_settings

__all__ = ["english_environment", "harness", "harness_settings"]


@pytest.fixture(autouse=True)
def _english(english_environment: None) -> None:
    """Each language test starts in English, whatever the machine's locale."""
