"""The kit without sockets: its case registry, the doc table, the vector wrapping and the report formats."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import pilot.conformance as kit
from pilot.conformance.doc_table import BEGIN, END, markdown_table
from pilot.conformance.material import VECTORS_DIR, KitMaterial
from pilot.conformance.model import CaseResult, Report
from pilot.conformance.report import ReportFormat, render
from pilot.conformance.status_sources import sandbox_status_lists
from pilot.conformance.submissions import Vector, published_vectors, wrap_credential
from schemas import assess_submission
from tests.support.surface import assert_all_lists_the_public_names

DOC = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"
ID = re.compile(r"^(port|exporter)\.t([123])\.([a-z0-9-]+|invalid\.<vector>|valid\.<vector>)$")


def test_public_surface() -> None:
    assert_all_lists_the_public_names(kit)


def test_case_ids_are_unique_and_name_their_tier() -> None:
    ids = [spec.id for spec in kit.ALL_CASES]
    assert len(ids) == len(set(ids))
    for spec in kit.ALL_CASES:
        match = ID.match(spec.id)
        assert match, spec.id
        assert int(match.group(2)) == spec.tier
        assert spec.title and spec.checks and spec.hint


def test_the_docs_table_matches_the_registry() -> None:
    document = DOC.read_text()
    table = document.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert table == markdown_table(), "run: python -m pilot.conformance.doc_table docs/conformance.md"


@pytest.mark.parametrize(
    "vector",
    [v for v in published_vectors() if v.kind == "credential" and v.expect not in ("accept", "JSON_MALFORMED")],
    ids=lambda v: v.stem,
)
def test_a_wrapped_credential_vector_is_rejected_with_its_code(vector: Vector) -> None:
    material = KitMaterial.load(VECTORS_DIR)
    document = wrap_credential(material, vector, f"unit-{vector.stem}", "cn-port-01")
    assessment = assess_submission(
        document,
        material.registry,
        port_id="cn-port-01",
        at=datetime.now(UTC),
        exporter_id="ru-exp-03",
        status=sandbox_status_lists(material),
    )
    assert assessment.decision == "rejected"
    assert vector.expect in assessment.reason_codes


def _report() -> Report:
    results = [
        CaseResult("port.t1.invalid.x", 1, "Invalid <vector>", "POST a & b", "400", "HTTP 400", "", True, 3),
        CaseResult(
            "port.t2.receipt-signature",
            2,
            "Receipt signed",
            "(receipt)",
            "verifies",
            "PROOF_INVALID",
            "sign it",
            False,
            1,
        ),
    ]
    return Report("port", "http://127.0.0.1:1", "cn-port-01", "2026-11-23T00:00:00Z", results, 1.5)


def test_reports_carry_every_field_in_every_format() -> None:
    report = _report()
    data = json.loads(render(report, ReportFormat.json))
    assert data["summary"] == {"total": 2, "passed": 1, "failed": 1}
    assert data["cases"][1] | {"duration_ms": 0} == {
        "id": "port.t2.receipt-signature",
        "tier": 2,
        "title": "Receipt signed",
        "sent": "(receipt)",
        "expected": "verifies",
        "actual": "PROOF_INVALID",
        "hint": "sign it",
        "passed": False,
        "status": "fail",
        "duration_ms": 0,
    }
    junit = ET.fromstring(render(report, ReportFormat.junit))
    assert junit.get("failures") == "1"
    failures = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["port.t2.receipt-signature"]
    assert "hint: sign it" in (failures[0].find("failure").text or "")  # type: ignore[union-attr]
    page = render(report, ReportFormat.html)
    assert "Invalid &lt;vector&gt;" in page and "POST a &amp; b" in page and "not conformant" in page
    text = render(report, ReportFormat.text)
    assert "hint:     sign it" in text and text.rstrip().endswith("1.5 s)")
