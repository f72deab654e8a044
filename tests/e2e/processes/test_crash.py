"""The port killed with SIGKILL under a load from six exporters, and at named points: nothing lost, nothing twice.

Random kills: while six exporters deliver (retrying until each submission has a receipt), the port is
SIGKILLed each time its log has grown by another share of the load; between kill and restart the
database is checked offline with ``fsck`` (leaves, tree, checkpoints, rows); after each restart a
consistency proof from every checkpoint seen before to the new one must verify. At the end: every
submission has exactly one receipt and one log entry, indices are gap-free, fsck is clean (the root
rebuilt from the stored leaves equals the last checkpoint). On SQLite, and on PostgreSQL under ``-m db``
with ``PILOT_TEST_DATABASE_URL``.

Deterministic kills use the test-only hook ``PILOT_TEST_CRASH_AT`` (``port_node.crash_points``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import httpx
import pytest

from port_node.crash_points import CRASH_ENV, EXIT_STATUS
from port_node.storage import GROUP_LIMIT
from tests.e2e.processes.port_process import (
    JSON,
    Load,
    LogObserver,
    assert_exactly_once,
    fsck_port,
    port_process,
    submissions,
)
from tests.port_node.port_harness import check_receipt, fresh_submission, signer_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]


def run_kills(tmp_path: Path, database_url: str, total: int, kills: int) -> dict[str, int]:
    """Deliver ``total`` submissions from six exporters while killing the port ``kills`` times."""
    port = port_process(tmp_path, database_url)
    port.start()
    observer = LogObserver(port.url)
    load = Load(lambda: port.url, submissions("crash", total))
    consistency_checks = 0
    try:
        load.start()
        for k in range(1, kills + 1):
            target = total * k // (kills + 1)
            while observer.checkpoint()[0] < target and load.alive():
                time.sleep(0.02)
            port.kill()
            report = fsck_port(database_url)
            assert report.ok, f"after kill {k}: {report.problem}"
            port.start()
            consistency_checks += observer.check_consistency()
        load.join(600)
        figures = assert_exactly_once(load, observer, total)
        consistency_checks += observer.check_consistency()
    finally:
        port.stop()
    report = fsck_port(database_url)
    assert report.ok, report.problem
    assert report.leaves == total
    figures |= {"kills": kills, "consistency proofs verified": consistency_checks, "fsck leaves": report.leaves}
    print(f"\ncrash run ({database_url.split(':')[0]}): {figures}", file=sys.stderr)
    return figures


@pytest.mark.db
def test_sigkill_three_times_under_six_exporters(tmp_path: Path, database_url: str) -> None:
    """CI size: 500 submissions, 3 kills: 0 lost, 0 twice, gap-free, fsck clean, proofs consistent."""
    run_kills(tmp_path, database_url, 500, 3)


@pytest.mark.slow
def test_sigkill_twenty_times_under_six_exporters(tmp_path: Path, database_url: str) -> None:
    """Deep: 5,000 submissions, 20 kills."""
    run_kills(tmp_path, database_url, 5000, 20)


def _post(url: str, exporter: str, path: str, body: bytes) -> httpx.Response:
    with httpx.Client(auth=signer_for(exporter), timeout=10) as client:
        return client.post(f"{url}{path}", content=body, headers=JSON)


@pytest.mark.db
def test_crash_after_commit_before_answering(tmp_path: Path, database_url: str) -> None:
    """Killed after the 3rd commit, before its answer: the retry gets the committed receipt (200), index 2."""
    port = port_process(tmp_path, database_url)
    port.start({CRASH_ENV: "after-commit:3"})
    documents = [fresh_submission("ru-exp-01", f"after-commit-{n}") for n in range(4)]
    bodies = [json.dumps(d).encode() for d in documents]
    try:
        for body in bodies[:2]:
            assert _post(port.url, "ru-exp-01", "/v1/submissions", body).status_code == 201
        with pytest.raises(httpx.TransportError):
            _post(port.url, "ru-exp-01", "/v1/submissions", bodies[2])
        assert port.wait_exit() == EXIT_STATUS
        report = fsck_port(database_url)
        assert report.ok and report.leaves == 3, report
        port.start()
        again = _post(port.url, "ru-exp-01", "/v1/submissions", bodies[2])
        assert again.status_code == 200, again.text
        check_receipt(again.content, expect_index=2)
        fourth = _post(port.url, "ru-exp-01", "/v1/submissions", bodies[3])
        assert fourth.status_code == 201
        check_receipt(fourth.content, expect_index=3)
    finally:
        port.stop()
    assert fsck_port(database_url).ok


@pytest.mark.db
def test_crash_mid_batch(tmp_path: Path, database_url: str) -> None:
    """Killed after the 1st group of a batch committed: its leaves stay; the resent batch answers 200s, then 201s.

    A batch is written in groups of at most ``GROUP_LIMIT`` (docs/design.md §10): one more item than that makes
    two groups, and the crash point fires after the first one committed, before the second and the answer.
    """
    size = GROUP_LIMIT + 3
    port = port_process(tmp_path, database_url)
    port.start({CRASH_ENV: "mid-batch:1"})
    documents = [fresh_submission("ru-exp-02", f"mid-batch-{n}") for n in range(size)]
    body = json.dumps({"submissions": documents}).encode()
    try:
        with pytest.raises(httpx.TransportError):
            _post(port.url, "ru-exp-02", "/v1/submissions:batch", body)
        assert port.wait_exit() == EXIT_STATUS
        report = fsck_port(database_url)
        assert report.ok and report.leaves == GROUP_LIMIT, report
        port.start()
        response = _post(port.url, "ru-exp-02", "/v1/submissions:batch", body)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == [200] * GROUP_LIMIT + [201] * 3
        for index, result in enumerate(results):
            check_receipt(json.dumps(result["receipt"]).encode(), expect_index=index)
    finally:
        port.stop()
    report = fsck_port(database_url)
    assert report.ok and report.leaves == size, report
