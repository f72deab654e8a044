"""TEST ONLY: deliberate process death at named points, to prove that a crash there loses nothing.

``PILOT_TEST_CRASH_AT=<point>[:<n>]`` makes the port call ``os._exit`` (no cleanup, no answer, like
SIGKILL) the ``n``-th time (default: the first) it passes ``<point>``. Points:

- ``after-commit``: a submission's transaction (row, leaf, checkpoint, receipt) has committed, and the
  answer has not been sent;
- ``mid-batch``: a group of a ``POST /v1/submissions:batch``'s items (at most ``GROUP_LIMIT``) has committed,
  and the batch's later items and its answer have not.

Never set it outside tests: the node dies on purpose. Unset (the normal case) it costs one dict lookup.
"""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["CRASH_ENV", "EXIT_STATUS", "POINTS", "unsafe_test_crash_point"]

CRASH_ENV = "PILOT_TEST_CRASH_AT"
#: The exit status of a deliberate crash, so a test can tell it from any other death.
EXIT_STATUS = 86
POINTS = frozenset({"after-commit", "mid-batch"})

log = logging.getLogger(__name__)
_passes: dict[str, int] = {}
_lock = threading.Lock()


def unsafe_test_crash_point(point: str) -> None:
    """Die here, at once, if ``PILOT_TEST_CRASH_AT`` names ``point`` and this is its ``n``-th pass."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    with _lock:
        _passes[point] = _passes.get(point, 0) + 1
        if _passes[point] < int(nth or 1):
            return
    log.critical("TEST ONLY: crashing on purpose", extra={"crash_point": point})
    os._exit(EXIT_STATUS)
