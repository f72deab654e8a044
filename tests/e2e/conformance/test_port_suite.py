"""The port suite against our own port (a real ``pilot node port`` process): every case passes, in all formats."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.cases_port import PORT_CASES, vector_case_ids
from pilot.conformance.cases_status import STATUS_CASES

pytestmark = pytest.mark.e2e


def _run(sandbox: Path, url: str, fmt: str, out: Path) -> int:
    result = CliRunner().invoke(
        app, ["conformance", "run", "--port", url, "--data-dir", str(sandbox), "--format", fmt, "-o", str(out)]
    )
    return result.exit_code


def test_our_port_passes_every_case_in_every_format(sandbox: Path, our_port: str, tmp_path: Path) -> None:
    expected_ids = {s.id for s in PORT_CASES + STATUS_CASES if "<vector>" not in s.id} | set(vector_case_ids())
    paths = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "junit", "html", "text")}
    for fmt, path in paths.items():  # four runs against the same port: the suite is re-runnable too
        assert _run(sandbox, our_port, fmt, path) == 0, path.read_text()[-3000:]

    report = json.loads(paths["json"].read_text())
    failed = [c for c in report["cases"] if c["status"] != "pass"]
    assert not failed, failed
    assert {c["id"] for c in report["cases"]} == expected_ids
    assert report["summary"] == {"total": len(expected_ids), "passed": len(expected_ids), "failed": 0}

    junit = ET.fromstring(paths["junit"].read_text())
    assert junit.get("failures") == "0" and junit.get("tests") == str(len(expected_ids))
    assert {c.get("name") for c in junit.iter("testcase")} == expected_ids

    page = paths["html"].read_text()
    assert "conformant</span>" in page and "FAIL" not in page
    assert all(f'id="{case_id}"' in page for case_id in expected_ids)

    text = paths["text"].read_text()
    assert text.rstrip().splitlines()[-1].startswith(f"CONFORMANT: {len(expected_ids)} of {len(expected_ids)}")
