"""Conformance reports in four formats: text (a rich table), JSON, JUnit XML and a standalone HTML page.

Every format carries, per case: id, tier, title, what was sent, what was expected, what happened, a
hint when it failed, and pass or fail. ``render`` gives the text of a report; ``print_table`` shows
the text format on a terminal. What the node under test answered is outside text: the table shows it
literally (``pilot.safe_text.untrusted``, never rich markup), the HTML escapes it, and the JUnit XML
writes the characters XML 1.0 forbids as visible escapes (``xml_document``), so the report stays well-formed.

The text and HTML reports are in the command's language (``pilot --lang``, ``pilot.language``): the verdict,
the labels, the headings, each case's title, what it expected and its hint (``model.Text``); a case's id, its
pass/fail mark, what was sent and what the node answered, the JSON report and the JUnit XML (read by
machines, in English) never change with it.
"""

from __future__ import annotations

import html
import json
from enum import StrEnum
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.table import Column

from node_core.i18n import translate
from pilot.conformance.model import TIER_NAMES, CaseResult, Report, Text
from pilot.language import N_, cli_language, tr
from pilot.safe_text import untrusted, visible, xml_document
from pilot.tables import new_table

__all__ = ["ReportFormat", "print_table", "render"]


class ReportFormat(StrEnum):
    """Output formats of ``pilot conformance run``."""

    text = "text"
    json = "json"
    junit = "junit"
    html = "html"


def render(report: Report, output_format: ReportFormat) -> str:
    """The report as text in ``output_format``."""
    if output_format is ReportFormat.json:
        return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if output_format is ReportFormat.junit:
        return _junit(report)
    if output_format is ReportFormat.html:
        return _html(report)
    return _plain(report)


def _summary(report: Report) -> str:
    failed = len(report.failed)
    return tr(
        "{verdict}: {passed} of {total} cases passed, {failed} failed ({suite} {node} at {target}, {seconds:.1f} s)",
        verdict=tr("CONFORMANT") if report.ok else tr("NOT CONFORMANT"),
        passed=len(report.results) - failed,
        total=len(report.results),
        failed=failed,
        suite=report.suite,
        node=report.node_id,
        target=report.target,
        seconds=report.elapsed_s,
    )


def shown(text: Text) -> str:
    """``text`` in the command's language (English where the catalogues have no translation)."""
    return translate(text, cli_language())


def _labelled(label: str, value: str, width: int) -> str:
    """``      label:    value``, the values of one case aligned (a label may be wider in another language)."""
    return f"      {label:<{width}} {value}"


def _plain(report: Report) -> str:
    lines = []
    labels = [tr("sent:"), tr("expected:"), tr("actual:"), tr("hint:")]
    width = max(len(label) for label in labels)
    for r in report.results:
        lines.append(f"{r.status.upper()}  {r.id}  {shown(r.title)}")
        if not r.passed:
            values = [r.sent, shown(r.expected), r.actual, shown(r.hint)]
            lines += [_labelled(label, value, width) for label, value in zip(labels, values, strict=True)]
    lines.append(_summary(report))
    return visible("\n".join(lines)) + "\n"  # no escape sequence reaches a terminal that shows the file


def print_table(report: Report, console: Console) -> None:
    """The text report as a rich table: every case, details for failures, then the verdict."""
    width = max((len(r.id) for r in report.results), default=10)
    table = new_table("", Column(tr("case"), min_width=width), tr("tier"), tr("expected"), tr("actual"))
    for r in report.results:
        mark = "[green]pass[/]" if r.passed else "[bold red]FAIL[/]"
        actual = untrusted(r.actual)
        if not r.passed:
            hint = untrusted(shown(r.hint))
            actual += f"\n[dim]{tr('sent:')} {untrusted(r.sent)}[/]\n[yellow]{tr('hint:')} {hint}[/]"
        table.add_row(mark, untrusted(r.id), str(r.tier), untrusted(shown(r.expected)), actual)
    console.print(table)
    style = "bold green" if report.ok else "bold red"
    console.print(f"[{style}]{untrusted(_summary(report))}[/]")


def _junit(report: Report) -> str:
    root = ET.Element(
        "testsuites",
        name=f"pilot conformance {report.suite}",
        tests=str(len(report.results)),
        failures=str(len(report.failed)),
        time=f"{report.elapsed_s:.3f}",
    )
    for tier in sorted({r.tier for r in report.results}):
        results = [r for r in report.results if r.tier == tier]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{report.suite}.t{tier} {TIER_NAMES.get(tier, '')}",
            tests=str(len(results)),
            failures=str(sum(1 for r in results if not r.passed)),
            time=f"{sum(r.duration_ms for r in results) / 1000:.3f}",
        )
        for r in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"{report.suite}.t{tier}", name=r.id, time=f"{r.duration_ms / 1000:.3f}"
            )
            details = f"title: {r.title}\nsent: {r.sent}\nexpected: {r.expected}\nactual: {r.actual}"
            if r.passed:
                ET.SubElement(case, "system-out").text = details
            else:
                failure = ET.SubElement(case, "failure", message=r.actual[:500], type="NonConformance")
                failure.text = f"{details}\nhint: {r.hint}"
    return xml_document(root) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} .ok{color:#1a7f37} .bad{color:#cf222e}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ddd;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f6f8fa} tr.fail{background:#fff0f0} code{font-size:.95em}
.hint{color:#9a6700} details{margin:0}
"""


_HTML_HEADERS = (N_("status"), N_("case"), N_("tier"), N_("title"), N_("sent"), N_("expected"), N_("actual"))


def _row(r: CaseResult) -> str:
    e = html.escape
    status = '<b class="ok">pass</b>' if r.passed else '<b class="bad">FAIL</b>'
    hint = f'<div class="hint">{e(tr("hint:"))} {e(shown(r.hint))}</div>' if str(r.hint) else ""
    tier = f'<td title="{e(tr(TIER_NAMES[r.tier]))}">{r.tier}</td>' if r.tier in TIER_NAMES else f"<td>{r.tier}</td>"
    return (
        f'<tr class="{r.status}" id="{e(r.id)}"><td>{status}</td><td><code>{e(r.id)}</code></td>{tier}'
        f"<td>{e(shown(r.title))}</td><td>{e(r.sent)}</td><td>{e(shown(r.expected))}</td><td>{e(r.actual)}{hint}</td>"
        f"<td>{r.duration_ms}</td></tr>"
    )


def _html(report: Report) -> str:
    e = html.escape
    verdict = (
        f'<span class="ok">{e(tr("conformant"))}</span>'
        if report.ok
        else f'<span class="bad">{e(tr("not conformant"))}</span>'
    )
    rows = "\n".join(_row(r) for r in report.results)
    heading = e(tr("Conformance of {suite} {node} at {target}:", suite="\0", node="\1", target="\2"))
    heading = (
        heading.replace("\0", e(report.suite))
        .replace("\1", f"<code>{e(report.node_id)}</code>")
        .replace("\2", f"<code>{e(report.target)}</code>")
    )
    headers = "".join(f"<th>{e(tr(h))}</th>" for h in _HTML_HEADERS)
    started = tr("Started {time}.", time=report.started_at)
    tiers = tr("Tiers: 1 schema, 2 signatures and trust, 3 protocol behaviour.")
    return f"""<!doctype html>
<html lang="{cli_language()}"><head><meta charset="utf-8">
<title>{e(tr("Conformance: {suite} {node}", suite=report.suite, node=report.node_id))}</title>
<style>{_CSS}</style></head><body>
<h1>{heading} {verdict}</h1>
<p>{e(_summary(report))}. {e(started)} {e(tiers)}</p>
<table><thead><tr>{headers}<th>ms</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""
