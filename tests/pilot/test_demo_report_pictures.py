"""The demo's HTML report draws a representative set of consignments: timeline and farm maps, nothing external.

``pictured`` chooses, ``render_html`` shows what ``gather_stories`` gathered (the gathering itself runs in
the demo's end-to-end test, against real nodes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pilot.demo.report_pictures import MAX_PICTURED, pictured
from pilot.demo.scenario import DemoResult, Shipment
from pilot.demo.summary import render_html
from pilot.pictures import ConsignmentStory
from tests.support.self_contained import element_names, external_references

VECTORS = Path(__file__).resolve().parents[2] / "schemas" / "vectors"
RECEIPT = {"credentialSubject": {"decision": "accepted"}}


def shipment(n: int, kind: str, exporter: str = "ru-exp-01", port: str = "cn-port-01", **changes: Any) -> Shipment:
    values: dict[str, Any] = {"receipt": RECEIPT, **changes}
    return Shipment(f"c-{n}", exporter, port, kind, **values)


def test_one_regular_consignment_per_pair_with_a_receipt_and_one_of_each_other_kind() -> None:
    shipments = [
        shipment(1, "normal", receipt=None),  # no receipt: the next one of the pair is drawn
        shipment(2, "normal"),
        shipment(3, "normal"),
        shipment(4, "normal", port="cn-port-02"),
        shipment(5, "outage"),
        shipment(6, "outage"),
        shipment(7, "hs-code", refused_code="HS_CODE_NOT_PERMITTED", receipt=None),  # refused: nothing to draw
        shipment(8, "geometry", receipt=None),  # still pending: drawn, its timeline says so
        shipment(9, "hs-code"),
    ]
    assert [s.consignment_id for s in pictured(shipments)] == ["c-2", "c-4", "c-5", "c-8", "c-9"]


def test_at_most_max_pictured_are_drawn() -> None:
    shipments = [shipment(n, f"case-{n}") for n in range(MAX_PICTURED + 5)]
    assert len(pictured(shipments)) == MAX_PICTURED


def test_the_report_shows_each_story_folded_the_first_open_and_refers_to_nothing() -> None:
    submissions = [json.loads((VECTORS / f"valid/submission-ru-exp-0{n}.json").read_text()) for n in (1, 2)]
    stories = {
        str(s["submissionId"]): ConsignmentStory(
            str(s["submissionId"]), "ru-exp-01", "cn-port-01", s, {"createdAt": "2026-08-01T10:00:00Z"}
        )
        for s in submissions
    }
    shipments = [Shipment(c, "ru-exp-01", "cn-port-01", "normal") for c in stories]
    result = DemoResult({"cn-port-01": "http://127.0.0.1:1"}, shipments, [], [], {}, stories=stories)
    html = render_html(result)
    section = html[html.index('<section id="pictures">') : html.index("</section>")]
    assert section.count("<details open>") == 1 and section.count("<details>") == 1
    assert section.count('class="pilot-timeline"') == 2
    assert section.count('class="pilot-farm-map"') == 6  # two farms and a plant each
    assert "(normal) ru-exp-01 &rarr; cn-port-01" in section
    assert external_references(html) == []
    assert "script" not in element_names(html)


def test_a_report_without_stories_has_no_pictures_section() -> None:
    result = DemoResult({}, [], [], [], {})
    assert 'id="pictures"' not in render_html(result)
