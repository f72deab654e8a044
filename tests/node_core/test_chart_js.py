"""The port dashboard's ``chart.js`` counts decisions per time bucket as the chart must show them.

Node.js runs the browser file itself (it exports its pure functions when loaded as a module); the drawing
is checked in headless Chromium (tests/e2e/browser/test_dashboard.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from node_core.dashboard import SHARED_ASSETS

CHART_JS = SHARED_ASSETS / "chart.js"


def buckets(items: list[dict[str, str]]) -> dict[str, Any]:
    """``decisionBuckets(items)`` as Node.js computes it, bucket starts as ISO text."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed: run scripts/test-deps.sh"
    script = (
        "const chart = require(process.argv[1]);"
        "const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const r = chart.decisionBuckets(items);"
        "process.stdout.write(JSON.stringify({widthS: r.widthS,"
        " buckets: r.buckets.map((b) => ({start: new Date(b.start).toISOString(), counts: b.counts}))}));"
    )
    done = subprocess.run(
        [node, "-e", script, str(CHART_JS)], input=json.dumps(items), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


#: 2025-12-18T00:00:00Z: a multiple of every bucket, a week's included (Unix time starts on a Thursday).
WEEK_ALIGNED = 2920 * 7 * 86400


def item(at: str, decision: str) -> dict[str, str]:
    return {"receivedAt": at, "decision": decision}


def test_decisions_are_counted_per_bucket_with_the_empty_buckets_between() -> None:
    result = buckets(
        [
            item("2026-12-01T03:00:05Z", "accepted"),
            item("2026-12-01T03:00:09Z", "rejected"),
            item("2026-12-01T03:00:31Z", "held_for_inspection"),
            item("2026-12-01T03:00:02Z", "accepted"),
        ]
    )
    assert result == {
        "widthS": 10,
        "buckets": [
            {"start": "2026-12-01T03:00:00.000Z", "counts": {"accepted": 2, "rejected": 1}},
            {"start": "2026-12-01T03:00:10.000Z", "counts": {}},
            {"start": "2026-12-01T03:00:20.000Z", "counts": {}},
            {"start": "2026-12-01T03:00:30.000Z", "counts": {"held_for_inspection": 1}},
        ],
    }


@pytest.mark.parametrize(
    ("start", "span_s", "width_s"),
    [
        (0, 0, 10),
        (0, 290, 10),  # buckets 0..29
        (0, 300, 30),  # 31 buckets of 10 s
        (5, 289, 10),  # from :05 to :294, buckets 0..29
        (5, 296, 30),  # to :301, a 31st bucket of 10 s: the span fits 30 only when aligned
        (0, 900, 60),
        (0, 3 * 3600, 900),
        (0, 2 * 86400, 6 * 3600),
        (0, 90 * 86400, 7 * 86400),
    ],
)
def test_the_bucket_is_the_shortest_that_keeps_at_most_30_bars(start: int, span_s: int, width_s: int) -> None:
    first = WEEK_ALIGNED + start
    result = buckets([item(_iso(first), "accepted"), item(_iso(first + span_s), "accepted")])
    assert result["widthS"] == width_s
    assert len(result["buckets"]) <= 30


def test_beyond_30_weeks_the_bucket_stays_a_week() -> None:
    result = buckets([item(_iso(WEEK_ALIGNED), "accepted"), item(_iso(WEEK_ALIGNED + 40 * 7 * 86400), "rejected")])
    assert result["widthS"] == 7 * 86400 and len(result["buckets"]) == 41


def test_an_unreadable_time_is_left_out_and_no_item_gives_no_bucket() -> None:
    result = buckets([item("yesterday", "accepted"), item("2026-12-01T03:00:00Z", "rejected")])
    assert [b["counts"] for b in result["buckets"]] == [{"rejected": 1}]
    assert buckets([])["buckets"] == []


def _iso(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
