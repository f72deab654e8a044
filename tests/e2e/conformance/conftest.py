"""Fixtures of the conformance suites run against real node processes."""

from tests.support.conformance import our_port, sandbox

__all__ = ["our_port", "sandbox"]
