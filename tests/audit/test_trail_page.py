"""``pilot audit trail ID --format html``: one self-contained page with the timeline, the farm maps and every step.

The consignment is decided and logged by the conformance kit's port stand-in, with real signatures and a
real cosignature of the latest checkpoint by cn-port-02's witness key (``tests.audit.evidence``); the page
is built from it exactly as the command builds it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.audit.trail import Step, build_trail
from pilot.audit.trail_page import CONTENT_SECURITY_POLICY, gather_story, trail_page_html
from pilot.cli import app
from pilot.pictures import ConsignmentStory
from tests.audit.evidence import Evidence, make_evidence
from tests.support.self_contained import element_names, external_references

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def evidence() -> Evidence:
    return make_evidence(consignment="c-trail-page")


@pytest.fixture(scope="module")
def told(evidence: Evidence) -> tuple[list[Step], ConsignmentStory]:
    with evidence.network() as network:
        return build_trail(network, evidence.consignment), gather_story(network, evidence.consignment)


def _svgs(page: str, css_class: str) -> list[ET.Element]:
    found = []
    start = 0
    while (start := page.find(f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}"', start)) != -1:
        end = page.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(page[start:end]))
        start = end
    return found


def test_the_story_has_the_verified_receipt_and_the_witness_cosignature(
    told: tuple[list[Step], ConsignmentStory], evidence: Evidence
) -> None:
    _, story = told
    assert story.exporter == "ru-exp-01" and story.port == "cn-port-01"
    assert story.receipt_verified is True
    assert story.submission == evidence.submission
    (cosignature,) = story.cosignatures
    assert cosignature.witness == "cn-port-02"
    assert cosignature.checkpoint_size > evidence.subject["log"]["index"]


def test_the_page_draws_the_timeline_and_the_farms_then_every_step(told: tuple[list[Step], ConsignmentStory]) -> None:
    steps, story = told
    page = trail_page_html("c-trail-page", steps, story)
    (timeline,) = _svgs(page, "pilot-timeline")
    rows = [g for g in timeline.iter(f"{SVG}g") if g.get("class") == "milestone"]
    stages = [g.get("data-stage") for g in rows]
    assert stages.count("farm_lot") == 2 and stages[-3:] == ["decision", "log", "cosigned"]
    decision = rows[stages.index("decision")]
    assert decision.get("data-outcome") == "ok"
    assert len(_svgs(page, "pilot-farm-map")) == 3  # two farms and the plant
    assert page.count("<tr>") == len(steps) + 1  # the header and a row per step, none failed
    assert "Every step verified." in page


def test_the_page_is_self_contained_and_forbids_loading_anything(told: tuple[list[Step], ConsignmentStory]) -> None:
    steps, story = told
    page = trail_page_html("c-trail-page", steps, story)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in page
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none';")
    assert external_references(page) == []
    assert "script" not in element_names(page)


def test_a_step_that_fails_is_marked_on_the_page(evidence: Evidence) -> None:
    with evidence.network(served={}) as network:  # the registry no longer serves the versions relied on
        steps = build_trail(network, evidence.consignment)
        story = gather_story(network, evidence.consignment)
    page = trail_page_html(evidence.consignment, steps, story)
    failed = sum(1 for step in steps if step.verified is False)
    assert failed >= 1 and page.count('<tr class="bad">') == failed
    assert "Some steps did NOT verify" in page


def test_a_hostile_step_is_text_on_the_page(told: tuple[list[Step], ConsignmentStory]) -> None:
    _, story = told
    hostile = Step("<i>now</i>", "</td><script>x()</script>", "a & b", False, '"><img src=x>')
    page = trail_page_html("c-<b>", [hostile], story)
    assert "<script>x()" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;/td&gt;&lt;script&gt;x()&lt;/script&gt;" in page
    assert external_references(page) == []


def test_output_needs_the_html_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["audit", "trail", "c-1", "--data-dir", str(tmp_path), "-o", str(tmp_path / "t.html")]
    )
    assert result.exit_code == 2, result.output
    assert "give --format html" in result.output
    assert not (tmp_path / "t.html").exists()
