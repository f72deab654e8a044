"""Overload: the port's work in flight capped (``PILOT_MAX_INFLIGHT``) and three times that offered at once.

A real ``pilot node port`` with ``PILOT_MAX_INFLIGHT=4`` gets twelve concurrent senders (two per exporter,
each retrying on 429/503 like the exporter's delivery worker). Every answer must be a normal one (200,
201), ``429 RATE_LIMITED`` or ``503``; no connection may fail; every submission ends with exactly one
receipt and one log entry; afterwards the port answers at once again (``/health``, a new submission).
"""

from __future__ import annotations

import json
import sys
import time

import httpx
import pytest

from tests.e2e.processes.port_process import JSON, Load, LogObserver, assert_exactly_once, ci_and_deep, submissions
from tests.port_node.port_harness import fresh_submission, signer_for
from tests.support.processes import NodeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CAP = 4


@ci_and_deep(300, 3000)
def test_three_times_the_cap_only_normal_answers_nothing_lost(port: NodeProcess, total: int) -> None:
    """Offer ``total`` submissions (CI: 300, deep: 3,000) from 3 x CAP concurrent senders; print the figures."""
    port.start({"PILOT_MAX_INFLIGHT": str(CAP)})
    load = Load(lambda: port.url, submissions("overload", total), retry_s=0.02, per_exporter=3 * CAP // 6)
    try:
        started = time.monotonic()
        load.start()
        load.join(600)
        elapsed = time.monotonic() - started
        figures = assert_exactly_once(load, LogObserver(port.url), total)
        unexpected = {k: v for k, v in load.statuses.items() if k not in {"200", "201", "429", "503"}}
        assert not unexpected, f"answers other than 200/201/429/503: {unexpected}"
        assert load.statuses.get("429", 0) > 0, "the cap was never reached: the test did not overload the port"
        # Recovery: a fresh submission is answered at once, health is fine.
        recovered_at = time.monotonic()
        assert httpx.get(f"{port.url}/health", timeout=5).status_code == 200
        with httpx.Client(auth=signer_for("ru-exp-01"), timeout=5) as client:
            after = client.post(
                f"{port.url}/v1/submissions", content=json.dumps(fresh_submission("ru-exp-01", "after")), headers=JSON
            )
        assert after.status_code == 201, after.text
        recovery_ms = (time.monotonic() - recovered_at) * 1000
    finally:
        port.stop()
    figures |= {
        "answers": dict(sorted(load.statuses.items())),
        "seconds": round(elapsed, 1),
        "recovery ms": round(recovery_ms),
    }
    print(f"\noverload (cap {CAP}, {3 * CAP} senders): {figures}", file=sys.stderr)
