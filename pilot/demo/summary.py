"""The demo's summary: a results matrix (exporters x ports), the fault table, the log audits, the verdict.

Three renderings of one ``DemoResult``: tables for people (``print_summary``, whole when piped), one JSON
document (``summary_json``, ``pilot demo --format json``) and a standalone HTML page (``render_html``). The
tables and the page are in the command's language (``pilot demo --lang zh``, ``pilot.language``); ids, codes and
the JSON document never change with it.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import asdict
from typing import Any

from rich.console import Console

from pilot.demo.report_pictures import pictures_section
from pilot.demo.scenario import DemoResult, Shipment
from pilot.language import N_, cli_language, tr
from pilot.participant_labels import participant_html, participant_text, reader_ranges
from pilot.participants import EXPORTER_IDS, PORT_IDS
from pilot.safe_text import untrusted
from pilot.tables import new_table

SHORT = {"accepted": N_("acc"), "held_for_inspection": N_("held"), "rejected": N_("rej")}


def cell(shipments: list[Shipment]) -> str:
    """``"2 acc, 1 held"`` for the regular shipments of one exporter-port pair (codes and states as they are)."""
    counts = Counter(s.decision or s.refused_code or s.state for s in shipments)
    return ", ".join(f"{n} {tr(SHORT[k]) if k in SHORT else k}" for k, n in sorted(counts.items())) or "-"


_FAULT_HEADERS = (N_("case"), N_("from"), N_("to"), N_("expected"), N_("actual"))


def _verdict(matched: bool) -> str:
    return tr("matched") if matched else tr("MISMATCH")


def _mark(matched: bool) -> str:
    return f"[green]{_verdict(matched)}[/]" if matched else f"[bold red]{_verdict(matched)}[/]"


def _pair(result: DemoResult, exporter: str, port: str) -> list[Shipment]:
    return [s for s in result.shipments if s.exporter == exporter and s.port == port and s.kind in ("normal", "outage")]


def registry_outage_row(result: DemoResult) -> tuple[str, str, str, str, str, bool] | None:
    """(case, from, to, expected, actual, matched) for the registry outage (docs/design.md §12), if it ran."""
    outage = result.registry_outage
    if outage is None:
        return None
    actual = tr(
        "{held} held (STATUS_UNAVAILABLE), {checked} accepted with their lists named, {unchecked} accepted without "
        "a status check",
        held=outage.held,
        checked=outage.accepted_with_check,
        unchecked=outage.accepted_without_check,
    )
    return (
        tr("registry down for {seconds:.0f} s", seconds=outage.seconds),
        tr("all"),
        "cn-port-01",
        tr("0 accepted without a status check that succeeded"),
        actual,
        outage.ok,
    )


def print_summary(result: DemoResult, console: Console) -> None:
    """Rich tables on the terminal."""
    matrix = new_table(tr("exporter"), *PORT_IDS, title=tr("Consignments by exporter and port (decisions)"))
    for exporter in EXPORTER_IDS:
        label = participant_text(exporter, reader_ranges())
        matrix.add_row(untrusted(label), *(cell(_pair(result, exporter, port)) for port in PORT_IDS))
    console.print(matrix)

    faults = new_table(*(tr(h) for h in _FAULT_HEADERS), "", title=tr("Fault cases"))
    for outcome in result.faults:
        case = outcome.case
        expected = (
            f"{case.expected_decision}: {case.expected_code}"
            if case.expected_decision
            else tr("refused by exporter: {code}", code=case.expected_code)
        )
        faults.add_row(
            untrusted(tr(case.title)),
            case.exporter,
            case.port,
            untrusted(expected),
            untrusted(outcome.actual),
            _mark(outcome.matched),
        )
    outage = result.outage
    if outage:
        ok = outage["delivered"] == outage["shipments"]
        faults.add_row(
            untrusted(tr("{port} down for {seconds:.0f} s", port=outage["port"], seconds=outage["seconds"])),
            tr("all"),
            outage["port"],
            tr("all delivered once"),
            tr(
                "{delivered}/{shipments} delivered, {attempts} attempts",
                delivered=outage["delivered"],
                shipments=outage["shipments"],
                attempts=outage["attempts"],
            ),
            _mark(ok),
        )
    row = registry_outage_row(result)
    if row is not None:
        *cells, matched = row
        faults.add_row(*(untrusted(str(c)) for c in cells), _mark(matched))
    console.print(faults)

    logs = new_table(
        tr("port"), tr("entries"), tr("root vs signed checkpoint"), title=tr("Port logs audited from outside")
    )
    for audit in result.logs:
        problem = untrusted(audit.problem) if audit.problem else f"[green]{tr('consistent')}[/]"
        logs.add_row(audit.port_id, str(audit.size), problem)
    console.print(logs)

    receipts = [s for s in result.shipments if s.receipt is not None]
    verified = sum(1 for s in receipts if s.receipt_problem is None)
    console.print(
        tr(
            "receipts verified from outside: {verified}/{total}; elapsed {seconds:.1f} s",
            verified=verified,
            total=len(receipts),
            seconds=result.elapsed_s,
        )
    )
    for problem in result.problems:
        console.print(f"[bold red]{tr('problem:')}[/] {untrusted(problem)}")
    if result.ok:
        console.print(f"[bold green]{tr('demo passed:')}[/] {tr('every outcome matched')}")
    else:
        console.print(f"[bold red]{tr('demo failed:')}[/] {tr('see the problems above')}")


def summary_json(result: DemoResult) -> dict[str, Any]:
    """The summary as one JSON document: the verdict, decisions per pair, fault cases, outages, logs, consignments."""
    receipts = [s for s in result.shipments if s.receipt is not None]
    registry_outage = result.registry_outage
    return {
        "ok": result.ok,
        "elapsedS": round(result.elapsed_s, 1),
        "nodes": result.urls,
        "decisions": {
            exporter: {
                port: dict(Counter(s.decision or s.refused_code or s.state for s in _pair(result, exporter, port)))
                for port in PORT_IDS
            }
            for exporter in EXPORTER_IDS
        },
        "faults": [
            {
                "case": outcome.case.key,
                "title": outcome.case.title,
                "exporter": outcome.case.exporter,
                "port": outcome.case.port,
                "expectedDecision": outcome.case.expected_decision,
                "expectedCode": outcome.case.expected_code,
                "actual": outcome.actual,
                "matched": outcome.matched,
            }
            for outcome in result.faults
        ],
        "portOutage": result.outage or None,
        "registryOutage": None if registry_outage is None else {**asdict(registry_outage), "ok": registry_outage.ok},
        "logs": [{"port": audit.port_id, "entries": audit.size, "problem": audit.problem} for audit in result.logs],
        "receipts": {"total": len(receipts), "verified": sum(1 for s in receipts if s.receipt_problem is None)},
        "problems": result.problems,
        "consignments": [
            {
                "consignmentId": s.consignment_id,
                "exporter": s.exporter,
                "port": s.port,
                "kind": s.kind,
                "state": s.state,
                "decision": s.decision,
                "reasons": s.reason_codes,
                "refusedCode": s.refused_code,
                "receiptProblem": s.receipt_problem,
            }
            for s in result.shipments
        ],
    }


def render_html(result: DemoResult) -> str:
    """A standalone HTML report: network, matrix, faults, logs and each consignment's trail."""
    esc = html.escape
    ranges = reader_ranges()
    port_heads = "".join(f"<th>{participant_html(p, ranges)}</th>" for p in PORT_IDS)
    rows = "".join(
        f"<tr><td>{participant_html(e, ranges)}</td>"
        + "".join(f"<td>{esc(cell(_pair(result, e, p)))}</td>" for p in PORT_IDS)
        + "</tr>"
        for e in EXPORTER_IDS
    )
    nodes = "".join(f"<tr><td>{esc(n)}</td><td><code>{esc(u)}</code></td></tr>" for n, u in result.urls.items())
    faults = "".join(
        f"<tr class={'ok' if f.matched else 'bad'}><td>{esc(tr(f.case.title))}</td><td>{esc(f.case.exporter)}</td>"
        f"<td>{esc(f.case.port)}</td><td>{esc(f.case.expected_code)}</td><td>{esc(f.actual)}</td>"
        f"<td>{esc(_verdict(f.matched))}</td></tr>"
        for f in result.faults
    )
    row = registry_outage_row(result)
    if row is not None:
        *cells, matched = row
        faults += (
            f"<tr class={'ok' if matched else 'bad'}>"
            + "".join(f"<td>{esc(str(c))}</td>" for c in cells)
            + f"<td>{esc(_verdict(matched))}</td></tr>"
        )
    logs = "".join(
        f"<tr><td>{esc(a.port_id)}</td><td>{a.size}</td><td>{esc(a.problem or tr('consistent'))}</td></tr>"
        for a in result.logs
    )
    trails = []
    for s in result.shipments:
        log = (s.receipt or {}).get("credentialSubject", {}).get("log", {})
        attempts = s.detail.get("attemptLog") or []
        steps = "".join(
            f"<li>{esc(tr('attempt {number}:', number=i + 1))} {esc(str(a.get('outcome', a)))} "
            f"{esc(str(a.get('status') or ''))}"
            f" {esc(str(a.get('code') or ''))}</li>"
            for i, a in enumerate(attempts)
        )
        receipt_state = (
            tr("no receipt")
            if s.receipt is None
            else (
                tr("receipt verified")
                if s.receipt_problem is None
                else tr("receipt FAILED: {problem}", problem=s.receipt_problem)
            )
        )
        trails.append(
            f"<details><summary><code>{esc(s.consignment_id)}</code> {esc(s.exporter)} &rarr; {esc(s.port)}: "
            f"<b>{esc(s.decision or s.refused_code or s.state)}</b></summary><ul>"
            f"<li>{esc(tr('kind: {kind}; state: {state}', kind=s.kind, state=s.state))}</li>{steps}"
            f"<li>{esc(tr('reasons: {codes}', codes=', '.join(s.reason_codes) or '-'))}</li>"
            f"<li>{esc(tr('log index {index} in', index=log.get('index', '-')))} "
            f"<code>{esc(str(log.get('origin', '-')))}</code></li>"
            f"<li>{esc(receipt_state)}</li></ul></details>"
        )
    verdict = tr("Demo passed: every outcome matched") if result.ok else tr("Demo FAILED")
    problems = "".join(f"<li>{esc(p)}</li>" for p in result.problems)
    language = cli_language()
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{esc(tr("Pilot demo report"))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; }}
tr.ok td:last-child {{ color: #176b2c; }} tr.bad td {{ background: #fde2e2; }}
.verdict {{ font-size: 1.3rem; font-weight: bold; }}
</style></head><body>
<h1>{esc(tr("Agri-export pilot: demo report"))}</h1>
<p class="verdict">{esc(verdict)} ({result.elapsed_s:.1f} s)</p>
<ul>{problems}</ul>
<h2>{esc(tr("Network"))}</h2><table><tr><th>{esc(tr("node"))}</th><th>URL</th></tr>{nodes}</table>
<h2>{esc(tr("Decisions by exporter and port"))}</h2>
<table><tr><th>{esc(tr("exporter"))}</th>{port_heads}</tr>{rows}</table>
<h2>{esc(tr("Fault cases"))}</h2>
<table><tr>{"".join(f"<th>{esc(tr(h))}</th>" for h in _FAULT_HEADERS)}<th></th></tr>{faults}</table>
<h2>{esc(tr("Port logs"))}</h2><table><tr><th>{esc(tr("port"))}</th><th>{esc(tr("entries"))}</th>
<th>{esc(tr("audit"))}</th></tr>{logs}</table>
{pictures_section(result)}
<h2>{esc(tr("Consignment trails"))}</h2>{"".join(trails)}
</body></html>
"""
