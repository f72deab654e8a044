"""The ``pilot`` command's text in its language: ``--lang``, else the environment (docs/design.md §9, Languages).

The demo's summary and HTML report and the conformance report are rendered in Chinese and Russian; ids,
codes and the JSON summary are the same in every language. ``--lang`` is checked and applies to one
invocation only.
"""

from __future__ import annotations

import io
import json

import pytest
import typer
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.model import CaseResult, Report
from pilot.conformance.report import ReportFormat, render
from pilot.console import PipeAwareConsole
from pilot.demo.checks import LogAudit
from pilot.demo.faults import CASES, FaultOutcome
from pilot.demo.scenario import DemoResult, Shipment
from pilot.demo.summary import print_summary, render_html, summary_json
from pilot.language import LangOpt, cli_language, set_cli_language, tr
from pilot.participants import EXPORTER_IDS, PORT_IDS


def demo_result() -> DemoResult:
    faults = [
        FaultOutcome(case, f"{case.expected_decision}: {case.expected_code}", i != 1) for i, case in enumerate(CASES)
    ]
    shipments = [
        Shipment(f"{exporter}-{port}-0", exporter, port, "normal", "delivered", "rejected", ["HS_CODE_NOT_PERMITTED"])
        for exporter in EXPORTER_IDS
        for port in PORT_IDS
    ]
    logs = [LogAudit(port, 42, None, {}) for port in PORT_IDS]
    outage = {"port": "cn-port-02", "seconds": 8.0, "shipments": 6, "delivered": 6, "attempts": 14}
    return DemoResult({"cn-port-01": "http://127.0.0.1:18101"}, shipments, faults, logs, outage, 61.0, [])


def summary_text(result: DemoResult) -> str:
    out = io.StringIO()
    print_summary(result, PipeAwareConsole(file=out, highlight=False, emoji=False))
    return out.getvalue()


def test_the_demo_summary_in_chinese() -> None:
    result = demo_result()
    set_cli_language("zh")
    text = summary_text(result)
    for chinese in (
        "按出口商和口岸统计的货批（决定）",
        "故障用例",
        "记录在签名后被改动",
        "不一致",
        "从外部审计的口岸日志",
    ):
        assert chinese in text
    assert "演示失败：" in text and "从外部验证的回执：0/0；用时 61.0 秒" in text
    assert "1 拒绝" in text  # the matrix cells
    # Ids and codes stay as they are.
    assert all(code in text for code in ("ru-exp-01", "cn-port-03", CASES[0].expected_code))
    assert "Fault cases" not in text and "demo failed" not in text


def test_the_demo_summary_in_russian_and_english() -> None:
    result = demo_result()
    set_cli_language("ru")
    assert "Случаи с ошибками" in summary_text(result)
    set_cli_language("en")
    english = summary_text(result)
    assert "Fault cases" in english and "demo failed:" in english and "1 rej" in english


def test_the_json_summary_never_changes_with_the_language() -> None:
    result = demo_result()
    set_cli_language("en")
    english = json.dumps(summary_json(result))
    set_cli_language("zh")
    assert json.dumps(summary_json(result)) == english


def test_the_html_report_in_chinese() -> None:
    set_cli_language("zh")
    page = render_html(demo_result())
    assert '<html lang="zh">' in page
    assert "<title>试点演示报告</title>" in page and "<h2>故障用例</h2>" in page and "演示失败" in page


def report() -> Report:
    failed = CaseResult(
        "t2.proof-tampered", 2, "tampered proof", "a changed record", "PROOF_INVALID", "201", "sign it", False
    )
    passed = CaseResult("t1.schema", 1, "schema", "a valid record", "accept", "accept", "", True)
    return Report("port", "http://127.0.0.1:8101", "cn-port-01", "2026-11-01T00:00:00Z", [passed, failed], 1.5)


def test_the_conformance_report_in_russian() -> None:
    set_cli_language("ru")
    text = render(report(), ReportFormat.text)
    assert "НЕ СООТВЕТСТВУЕТ: пройдено случаев — 1 из 2, не пройдено — 1 (port cn-port-01 по адресу" in text
    assert "      подсказка:  sign it" in text  # labels aligned to the longest one
    assert "FAIL  t2.proof-tampered" in text  # marks and ids are never translated
    html = render(report(), ReportFormat.html)
    assert '<html lang="ru">' in html and "<th>фактически</th>" in html and "<code>cn-port-01</code>" in html
    assert render(report(), ReportFormat.json) == render(report(), ReportFormat.json)


def test_the_text_report_in_english_is_unchanged() -> None:
    text = render(report(), ReportFormat.text)
    assert "      hint:     sign it" in text
    assert text.rstrip().endswith(
        "NOT CONFORMANT: 1 of 2 cases passed, 1 failed (port cn-port-01 at http://127.0.0.1:8101, 1.5 s)"
    )


def test_the_environment_chooses_when_no_option_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert cli_language() == "zh"
    assert tr("Fault cases") == "故障用例"
    monkeypatch.setenv("LC_ALL", "ru_RU.UTF-8")
    assert cli_language() == "ru"


def _probe() -> typer.Typer:
    """A command like ``pilot demo`` that prints one translated line, under the real ``pilot`` callback."""
    probe = typer.Typer()

    @probe.command()
    def show(lang: LangOpt = None) -> None:
        del lang
        typer.echo(tr("Fault cases"))

    return probe


def test_lang_options_apply_to_one_invocation() -> None:
    runner = CliRunner()
    app.add_typer(_probe(), name="i18n-probe")
    try:
        assert runner.invoke(app, ["--lang", "zh", "i18n-probe", "show"]).output.strip() == "故障用例"
        assert runner.invoke(app, ["i18n-probe", "show", "--lang", "ru-RU"]).output.strip() == "Случаи с ошибками"
        assert runner.invoke(app, ["--lang", "zh", "i18n-probe", "show", "--lang", "ru"]).output.strip() == (
            "Случаи с ошибками"
        )
        assert runner.invoke(app, ["i18n-probe", "show"]).output.strip() == "Fault cases"  # nothing left over
    finally:
        app.registered_groups.pop()


@pytest.mark.parametrize("args", [["--lang", "fr", "status"], ["demo", "--lang", "klingon"]])
def test_an_unknown_language_is_bad_usage(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "is not one of en, ru, zh" in result.output
