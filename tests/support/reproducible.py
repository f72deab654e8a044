"""Hypothesis settings for runs that are the same every time, so that a failure in CI reproduces on a laptop.

@reproducible(50, phases=[Phase.explicit, Phase.generate])   # as a decorator
MyStateMachine.TestCase.settings = reproducible(15, stateful_step_count=25)
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings

__all__ = ["REPRODUCIBLE", "reproducible"]

#: Derandomized, with no example database and no deadline; no health check stops a slow run.
REPRODUCIBLE: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": list(HealthCheck),
}


def reproducible(max_examples: int, **options: Any) -> settings:
    """``REPRODUCIBLE`` settings of ``max_examples`` examples, with ``options`` besides."""
    return settings(max_examples=max_examples, **REPRODUCIBLE, **options)
