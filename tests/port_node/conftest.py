"""Fixtures for the port node tests: a port harness over the fresh database ``tests/conftest.py`` gives."""

from __future__ import annotations

from tests.support.harness import harness, harness_settings

__all__ = ["harness", "harness_settings"]
