"""``pilot conformance`` in Russian and Chinese (docs/design.md §9, "Languages").

What the kit prints for people follows ``--lang``: the validate table and its tally, the run's errors, and in
the text and HTML reports each case's title, hint and what it expected. File names, codes, case ids, what was
sent and what the node answered never change, nor do the JSON report and the JUnit XML, which stay English.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.cases_port import NO_LOG_ENTRY, PORT_CASES, VECTOR_TITLES
from pilot.conformance.model import CaseFailed, Report
from pilot.conformance.report import ReportFormat, render
from pilot.conformance.runner import PlannedCase, Probe, run_planned
from pilot.language import set_cli_language
from schemas.phrase import Phrase

VECTORS = Path(__file__).resolve().parents[2] / "schemas" / "vectors"
REVOKED = VECTORS / "invalid" / "credential-status-revoked.json"
VALIDATE = ["conformance", "validate", str(REVOKED), "--trust-list", str(VECTORS / "trust-list.json")]
AT = ["--at", "2026-11-01T00:00:00Z", "--status-lists", str(VECTORS / "status")]
CASES = {spec.id: spec for spec in PORT_CASES}

runner = CliRunner()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", ("файл", "проблемы", "принято: 0, отклонено: 1")),
        ("zh", ("文件", "问题", "接受 0 个，拒绝 1 个")),
    ],
)
def test_validate_prints_its_table_in_the_language_and_codes_as_they_are(language: str, words: tuple[str, ...]) -> None:
    result = runner.invoke(app, ["--lang", language, *VALIDATE, *AT])
    assert result.exit_code == 1, result.output
    assert all(word in result.stdout for word in words), result.stdout
    assert "CREDENTIAL_REVOKED" in result.stdout and str(REVOKED) in result.stdout  # codes and paths unchanged
    assert "accepted," not in result.stdout and "refused" not in result.stdout
    english = runner.invoke(app, [*VALIDATE, *AT])
    assert "0 accepted, 1 refused" in english.stdout


def test_validate_says_what_did_not_run_in_the_language() -> None:
    result = runner.invoke(app, ["--lang", "zh", *VALIDATE, "--at", "2026-11-01T00:00:00Z"])
    assert (
        "未执行：" in result.stdout
        and "没有参考目录：请传入 --reference-dir 或设置 PILOT_REFERENCE_DIR" in result.stdout
    )


def test_run_explains_bad_usage_in_the_language() -> None:
    result = runner.invoke(app, ["--lang", "ru", "conformance", "run"])
    assert result.exit_code == 2
    assert "укажите ровно одно из двух: --port URL или --exporter URL" in result.output
    result = runner.invoke(app, ["conformance", "run", "--port", "ftp://x", "--lang", "zh"])
    assert result.exit_code == 2
    assert "'ftp://x' 不是 http(s) URL" in result.output


def _refused(probe: Probe) -> str:
    probe.sent = "POST /v1/submissions without a signature"
    probe.expected = Phrase(NO_LOG_ENTRY, status=401, code="REQUEST_SIGNATURE_INVALID")
    raise CaseFailed("HTTP 201 <node's own words>")


def _report() -> Report:
    """Two real cases of the registry run by the real runner: one passes, one fails."""
    planned = [
        PlannedCase(CASES["port.t3.batch"], lambda probe: "200, two 201 receipts in order"),
        PlannedCase(CASES["port.t2.request-unsigned"], _refused),
    ]
    return Report("port", "http://127.0.0.1:8101", "cn-port-01", "2026-11-01T00:00:00Z", run_planned(planned), 0.5)


def test_the_reports_show_titles_hints_and_expectations_in_the_language() -> None:
    report = _report()
    set_cli_language("en")
    machine = {fmt: render(report, fmt) for fmt in (ReportFormat.json, ReportFormat.junit)}
    english = render(report, ReportFormat.text)
    assert "FAIL  port.t2.request-unsigned  Unsigned submission refused (401)" in english
    assert "401 REQUEST_SIGNATURE_INVALID, no log entry" in english
    set_cli_language("ru")
    text = render(report, ReportFormat.text)
    assert "PASS  port.t3.batch  Пакет подач" in text
    assert "FAIL  port.t2.request-unsigned  Неподписанная подача отклонена (401)" in text
    assert "401 REQUEST_SIGNATURE_INVALID, без записи в журнале" in text
    assert "Проверяйте подлинность до того, как что-либо попадёт в журнал (docs/design.md §6)." in text
    assert "POST /v1/submissions without a signature" in text and "HTTP 201 <node's own words>" in text
    set_cli_language("zh")
    page = render(report, ReportFormat.html)
    assert "<td>未签名的提交被拒绝（401）</td>" in page and "401 REQUEST_SIGNATURE_INVALID，不写入日志" in page
    assert 'title="签名与信任"' in page  # the tier's name
    assert {fmt: render(report, fmt) for fmt in machine} == machine  # data for machines: English in every language
    cases = json.loads(machine[ReportFormat.json])["cases"]
    assert cases[1]["title"] == "Unsigned submission refused (401)"
    assert cases[1]["expected"] == "401 REQUEST_SIGNATURE_INVALID, no log entry"
    assert cases[1]["hint"] == "Authenticate before anything is logged (docs/design.md §6)."


def test_a_hint_with_braces_is_shown_whole() -> None:
    batch = CASES["port.t3.batch"]
    set_cli_language("zh")
    page = render(
        Report("port", "u", "cn-port-01", "t", run_planned([PlannedCase(batch, _refused)])), ReportFormat.html
    )
    assert "结果为 `{status, receipt}` 或 `{status, problem}`" in page


def test_a_vector_cases_title_is_its_familys_title_and_the_vectors_name() -> None:
    for family, template in VECTOR_TITLES.items():
        assert str(Phrase(template, vector="submission-x")) == f"{CASES[family].title}: submission-x"
