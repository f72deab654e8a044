"""Network faults: six exporters deliver through a proxy that drops, delays and resets 30% of connections.

``pilot.faultproxy.FaultProxy`` sits between the senders and a real ``pilot node port``; every request
uses a new connection, so about 30% of attempts meet a fault (a quarter each: dropped, reset before
reaching the port, delayed 0.2-1 s, reset after the port answered, i.e. committed but unheard). The
senders retry as the exporter's delivery worker does. Once 60% of the load has receipts the faults stop;
the rest must be delivered within BOUND_S seconds of that moment, and everything exactly once.
"""

from __future__ import annotations

import sys
import time

import pytest

from pilot.faultproxy import FaultProxy
from tests.e2e.processes.port_process import Load, LogObserver, assert_exactly_once, ci_and_deep, fsck_port, submissions
from tests.support.processes import NodeProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

#: After the faults stop, everything must be delivered within this many seconds.
BOUND_S = 30.0


@ci_and_deep(300, 3000)
def test_thirty_percent_faulty_connections_deliver_exactly_once(
    port: NodeProcess, database_url: str, total: int
) -> None:
    """Deliver ``total`` submissions through the fault proxy (CI: 300, deep: 3,000); print the figures."""
    proxy = FaultProxy(port.port, rate=0.3, seed=8, port=free_port())
    proxy_url = f"http://127.0.0.1:{proxy.port}"
    # The proxy relays bytes untouched, so senders sign for the proxy's origin: the port must own it.
    port.env["PILOT_PUBLIC_ORIGINS"] = f"{port.url},{proxy_url}"
    port.start()
    proxy.start()
    load = Load(lambda: proxy_url, submissions("faults", total), timeout_s=5.0, keepalive=False, per_exporter=2)
    try:
        started = time.monotonic()
        load.start()
        while len(load.receipts) < total * 0.6 and load.alive():
            time.sleep(0.05)
        proxy.faults_on = False
        faults_off = time.monotonic()
        load.join(BOUND_S)
        drained_s = time.monotonic() - faults_off
        figures = assert_exactly_once(load, LogObserver(port.url), total)
    finally:
        proxy.stop()
        port.stop()
    faults = {k: v for k, v in proxy.counts.items() if k in ("drop", "reset-before", "delay", "reset-after")}
    assert sum(faults.values()) > 0.2 * proxy.counts["connections"] * 0.6, "too few faults were injected"
    assert drained_s <= BOUND_S
    report = fsck_port(database_url)
    assert report.ok, report.problem
    figures |= {
        "connections": proxy.counts["connections"],
        "answers and client errors": dict(sorted(load.statuses.items())),
        "faults": faults,
        "seconds with faults": round(faults_off - started, 1),
        "seconds to deliver the rest after the faults stopped": round(drained_s, 2),
    }
    print(f"\nnetwork faults: {figures}", file=sys.stderr)
