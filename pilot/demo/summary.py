"""The demo's summary: a results matrix (exporters x ports), the fault table, the log audits, the verdict.

Three renderings of one ``DemoResult``: tables for people (``print_summary``, whole when piped), one JSON
document (``summary_json``, ``pilot demo --format json``) and a standalone HTML page (``render_html``).
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import asdict
from typing import Any

from rich.console import Console

from pilot.demo.scenario import DemoResult, Shipment
from pilot.participants import EXPORTER_IDS, PORT_IDS
from pilot.safe_text import untrusted
from pilot.tables import new_table

SHORT = {"accepted": "acc", "held_for_inspection": "held", "rejected": "rej"}


def cell(shipments: list[Shipment]) -> str:
    """``"2 acc, 1 held"`` for the regular shipments of one exporter-port pair."""
    counts = Counter(s.decision or s.refused_code or s.state for s in shipments)
    return ", ".join(f"{n} {SHORT.get(k, k)}" for k, n in sorted(counts.items())) or "-"


def _pair(result: DemoResult, exporter: str, port: str) -> list[Shipment]:
    return [s for s in result.shipments if s.exporter == exporter and s.port == port and s.kind in ("normal", "outage")]


def registry_outage_row(result: DemoResult) -> tuple[str, str, str, str, str, bool] | None:
    """(case, from, to, expected, actual, matched) for the registry outage (docs/design.md §12), if it ran."""
    outage = result.registry_outage
    if outage is None:
        return None
    actual = (
        f"{outage.held} held (STATUS_UNAVAILABLE), {outage.accepted_with_check} accepted with their lists named, "
        f"{outage.accepted_without_check} accepted without a status check"
    )
    return (
        f"registry down for {outage.seconds:.0f} s",
        "all",
        "cn-port-01",
        "0 accepted without a status check that succeeded",
        actual,
        outage.ok,
    )


def print_summary(result: DemoResult, console: Console) -> None:
    """Rich tables on the terminal."""
    matrix = new_table("exporter", *PORT_IDS, title="Consignments by exporter and port (decisions)")
    for exporter in EXPORTER_IDS:
        matrix.add_row(exporter, *(cell(_pair(result, exporter, port)) for port in PORT_IDS))
    console.print(matrix)

    faults = new_table("case", "from", "to", "expected", "actual", "", title="Fault cases")
    for outcome in result.faults:
        case = outcome.case
        expected = (
            f"{case.expected_decision}: {case.expected_code}"
            if case.expected_decision
            else (f"refused by exporter: {case.expected_code}")
        )
        mark = "[green]matched[/]" if outcome.matched else "[bold red]MISMATCH[/]"
        faults.add_row(case.title, case.exporter, case.port, untrusted(expected), untrusted(outcome.actual), mark)
    outage = result.outage
    if outage:
        ok = outage["delivered"] == outage["shipments"]
        faults.add_row(
            f"{outage['port']} down for {outage['seconds']:.0f} s",
            "all",
            outage["port"],
            "all delivered once",
            f"{outage['delivered']}/{outage['shipments']} delivered, {outage['attempts']} attempts",
            "[green]matched[/]" if ok else "[bold red]MISMATCH[/]",
        )
    row = registry_outage_row(result)
    if row is not None:
        *cells, matched = row
        faults.add_row(*(untrusted(str(c)) for c in cells), "[green]matched[/]" if matched else "[bold red]MISMATCH[/]")
    console.print(faults)

    logs = new_table("port", "entries", "root vs signed checkpoint", title="Port logs audited from outside")
    for audit in result.logs:
        problem = untrusted(audit.problem) if audit.problem else "[green]consistent[/]"
        logs.add_row(audit.port_id, str(audit.size), problem)
    console.print(logs)

    receipts = [s for s in result.shipments if s.receipt is not None]
    verified = sum(1 for s in receipts if s.receipt_problem is None)
    console.print(f"receipts verified from outside: {verified}/{len(receipts)}; elapsed {result.elapsed_s:.1f} s")
    for problem in result.problems:
        console.print(f"[bold red]problem:[/] {untrusted(problem)}")
    if result.ok:
        console.print("[bold green]demo passed:[/] every outcome matched")
    else:
        console.print("[bold red]demo failed:[/] see the problems above")


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
    rows = "".join(
        f"<tr><td>{esc(e)}</td>" + "".join(f"<td>{esc(cell(_pair(result, e, p)))}</td>" for p in PORT_IDS) + "</tr>"
        for e in EXPORTER_IDS
    )
    nodes = "".join(f"<tr><td>{esc(n)}</td><td><code>{esc(u)}</code></td></tr>" for n, u in result.urls.items())
    faults = "".join(
        f"<tr class={'ok' if f.matched else 'bad'}><td>{esc(f.case.title)}</td><td>{esc(f.case.exporter)}</td>"
        f"<td>{esc(f.case.port)}</td><td>{esc(f.case.expected_code)}</td><td>{esc(f.actual)}</td>"
        f"<td>{'matched' if f.matched else 'MISMATCH'}</td></tr>"
        for f in result.faults
    )
    row = registry_outage_row(result)
    if row is not None:
        *cells, matched = row
        faults += (
            f"<tr class={'ok' if matched else 'bad'}>"
            + "".join(f"<td>{esc(str(c))}</td>" for c in cells)
            + f"<td>{'matched' if matched else 'MISMATCH'}</td></tr>"
        )
    logs = "".join(
        f"<tr><td>{esc(a.port_id)}</td><td>{a.size}</td><td>{esc(a.problem or 'consistent')}</td></tr>"
        for a in result.logs
    )
    trails = []
    for s in result.shipments:
        log = (s.receipt or {}).get("credentialSubject", {}).get("log", {})
        attempts = s.detail.get("attemptLog") or []
        steps = "".join(
            f"<li>attempt {i + 1}: {esc(str(a.get('outcome', a)))} {esc(str(a.get('status') or ''))}"
            f" {esc(str(a.get('code') or ''))}</li>"
            for i, a in enumerate(attempts)
        )
        receipt_state = (
            "no receipt"
            if s.receipt is None
            else ("receipt verified" if s.receipt_problem is None else f"receipt FAILED: {s.receipt_problem}")
        )
        trails.append(
            f"<details><summary><code>{esc(s.consignment_id)}</code> {esc(s.exporter)} &rarr; {esc(s.port)}: "
            f"<b>{esc(s.decision or s.refused_code or s.state)}</b></summary><ul>"
            f"<li>kind: {esc(s.kind)}; state: {esc(s.state)}</li>{steps}"
            f"<li>reasons: {esc(', '.join(s.reason_codes) or '-')}</li>"
            f"<li>log index {esc(str(log.get('index', '-')))} in <code>{esc(str(log.get('origin', '-')))}</code></li>"
            f"<li>{esc(receipt_state)}</li></ul></details>"
        )
    verdict = "passed: every outcome matched" if result.ok else "FAILED"
    problems = "".join(f"<li>{esc(p)}</li>" for p in result.problems)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pilot demo report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; }}
tr.ok td:last-child {{ color: #176b2c; }} tr.bad td {{ background: #fde2e2; }}
.verdict {{ font-size: 1.3rem; font-weight: bold; }}
</style></head><body>
<h1>Agri-export pilot: demo report</h1>
<p class="verdict">Demo {esc(verdict)} ({result.elapsed_s:.1f} s)</p>
<ul>{problems}</ul>
<h2>Network</h2><table><tr><th>node</th><th>URL</th></tr>{nodes}</table>
<h2>Decisions by exporter and port</h2>
<table><tr><th>exporter</th>{"".join(f"<th>{esc(p)}</th>" for p in PORT_IDS)}</tr>{rows}</table>
<h2>Fault cases</h2>
<table><tr><th>case</th><th>from</th><th>to</th><th>expected</th><th>actual</th><th></th></tr>{faults}</table>
<h2>Port logs</h2><table><tr><th>port</th><th>entries</th><th>audit</th></tr>{logs}</table>
<h2>Consignment trails</h2>{"".join(trails)}
</body></html>
"""
