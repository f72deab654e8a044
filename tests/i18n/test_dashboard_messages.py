"""The dashboards' catalogue endpoint and their texts in the catalogues (docs/design.md "Languages").

``GET /dashboard/messages/<language>`` answers a whole catalogue (public, cached with an ETag) to a port over a
fresh database (``harness``, in process); the extraction finds the dashboards' ids in their JavaScript and
HTML, so that tests/i18n/test_catalogues.py fails when a dashboard text has no translation. The switch itself
is checked in headless Chromium (tests/e2e/browser).
"""

from __future__ import annotations

import pytest

from node_core.i18n import messages
from node_core.i18n_extract import message_ids
from schemas.reason_hints import HINTS
from tests.port_node.port_harness import PortHarness

pytestmark = [pytest.mark.anyio]


async def test_a_dashboard_reads_a_whole_catalogue_cached_with_an_etag(harness: PortHarness) -> None:
    async with harness.client() as client:
        first = await client.get("/dashboard/messages/zh")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/json"
        assert "max-age" in first.headers["cache-control"]
        body = first.json()
        assert body["lang"] == "zh"
        catalogue = messages("pilot", "zh")
        assert body["messages"].items() <= catalogue.items()
        assert body["messages"]["Sealed credentials"] == "密封凭证"  # a dashboard's own text
        assert body["messages"]["Request signature invalid"] == catalogue["Request signature invalid"]  # a code
        assert set(HINTS.values()) <= body["messages"].keys()
        assert "Fault cases" in catalogue and "Fault cases" not in body["messages"]  # the pilot command's alone
        assert len(first.content) < 100_000  # small enough to send whole
        again = await client.get("/dashboard/messages/zh", headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        russian = await client.get("/dashboard/messages/ru", headers={"if-none-match": first.headers["etag"]})
        assert russian.status_code == 200
        assert russian.headers["etag"] != first.headers["etag"]


async def test_a_language_the_pilot_does_not_speak_is_not_found(harness: PortHarness) -> None:
    async with harness.client() as client:
        answer = await client.get("/dashboard/messages/fr")
    assert answer.status_code == 404
    assert answer.json()["code"] == "NOT_FOUND"


def test_the_dashboards_texts_are_message_ids() -> None:
    ids = message_ids()
    assert "port_node/dashboard/index.html" in ids["Sealed credentials"]  # an element marked data-i18n
    assert (
        "exporter_node/dashboard/index.html"
        in ids["Consignments still to deliver: each attempt resends the same signed bytes until a receipt verifies."]
    )
    assert "exporter_node/dashboard/app.js" in ids["no consignment yet"]  # a t("...")
    assert "exporter_node/dashboard/app.js" in ids["delivered with warnings"]  # an N_("...")
    assert "node_core/dashboard_shared/chart.js" in ids["Decisions over time, per {width} (UTC)"]  # chartText
    # a t( whose string starts on the next line:
    logged = "log {origin}: {size} entries, {state}; cosigned by {cosigners}; witness {witness}: {evidence}"
    assert "port_node/dashboard/app.js" in ids[logged + " equivocation record(s)"]
