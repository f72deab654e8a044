"""Tests (a package, so that test modules are named by their folder: ``tests.schemas``)."""
