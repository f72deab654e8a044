"""Fixtures for the language tests: a port harness over a fresh database (``tests/support/harness.py``)."""

from __future__ import annotations

from tests.support.harness import harness, harness_settings

__all__ = ["harness", "harness_settings"]
