"""JUnit reports stay well-formed XML whatever their inputs hold (docs/reliability.md, attack 17).

A U+0001 in a file or in a node's answer went into the JUnit XML as it was, and XML 1.0 forbids it:
CI servers refused the report. The characters XML 1.0 forbids are now written as visible escapes
(``\\x01``); everything else is kept. Each report is parsed back with ``xml.etree``.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.model import CaseResult, Report
from pilot.conformance.report import ReportFormat, render

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas" / "vectors"
FORBIDDEN = "a\x01b\x1b\x00c\ufffe"

runner = CliRunner()


def test_conformance_validate_junit_is_well_formed_with_u0001_in_the_input(tmp_path: Path) -> None:
    credential = json.loads((VECTORS / "valid" / "credential-facility-record.json").read_text())
    credential["proof"]["verificationMethod"] = f"did:web:x#{FORBIDDEN}"
    path = tmp_path / "credential\x01.json"
    path.write_text(json.dumps(credential))
    result = runner.invoke(
        app,
        [
            "conformance", "validate", str(path), "--format", "junit",
            "--trust-list", str(VECTORS / "trust-list.json"), "--trust-anchor", str(VECTORS / "trust-anchor.json"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    suite = ET.fromstring(result.stdout.encode())
    case = suite.find("testcase")
    assert case is not None and case.get("name", "").endswith("credential\\x01.json")
    failure = case.find("failure")
    assert failure is not None and "ISSUER_UNKNOWN" in (failure.text or "")


def test_conformance_run_junit_is_well_formed_with_u0001_in_the_answers() -> None:
    result = CaseResult(
        id="port.t1.x", tier=1, title=f"title {FORBIDDEN}", sent=f"sent {FORBIDDEN}", expected="201",
        actual=f"the port answered {FORBIDDEN}", hint=f"hint {FORBIDDEN}", passed=False,
    )  # fmt: skip
    passed = CaseResult("port.t1.y", 1, "ok", f"sent {FORBIDDEN}", "201", "201", "", True)
    report = Report("port", "http://node\x01", "cn-port-01", "2026-01-01T00:00:00Z", [result, passed])
    root = ET.fromstring(render(report, ReportFormat.junit).encode())
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "the port answered a\\x01b\\x1b\\x00c\\ufffe"
    assert "hint a\\x01b" in (failure.text or "")
    out = root.find("testsuite/testcase/system-out")
    assert out is not None and "sent a\\x01b" in (out.text or "")
