"""The garbage collector of a serving node: what start-up made is set aside, and young objects are collected less often.

A node's start-up leaves about 160,000 container objects that live as long as the process (modules, pydantic
and SQLAlchemy schemas, the trust list, the routes), and a port's intake adds long-lived ones as it warms up
(``schemas.validated_records``, status lists, caches). CPython's full collection walks every one of them (about
100 ms of CPU over an opened port's 165,000 objects on this project's machine), and the request that triggers it
waits: measured with ``pilot bench port`` (three interleaved pairs of runs), single submissions over HTTP had a
p99 of 2.0 to 2.4 x their p50 with the plain collector and 1.3 x with this one, at the same CPU per submission.
``settled_heap`` moves what exists when a node has started into the collector's permanent generation
(``gc.freeze``), so full collections walk only what was made since, and raises the first generation's threshold
from 700 allocations to ``YOUNG_THRESHOLD``, so that most of a request's short-lived objects are freed before a
collection looks at them. Nothing is left uncollected for good: leaving the context unfreezes and restores the
thresholds.

Every node's lifespan runs inside it (``node_core.app.set_lifespan``);
``pilot bench port``'s in-process loops enter it after their warm-up, as a started node would.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG_THRESHOLD", "settled_heap"]

#: Allocations (less deallocations) of container objects between two young collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


@contextmanager
def settled_heap() -> Iterator[None]:
    """Freeze what exists now into the permanent generation and collect young objects less often, until exit."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(YOUNG_THRESHOLD, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
