"""The figures of a benchmark run: a table in the command's language (``tr``), or JSON (never translated).

The table shows each figure's rate, latencies, ratio to the cryptographic floor and to its in-process
baseline, the issue's target for it (``targets``) and a note; JSON carries the same figures with stable keys.
"""

from __future__ import annotations

from pilot.bench.figure import Figure
from pilot.bench.targets import judge
from pilot.console import console, print_json
from pilot.language import localized, tr
from pilot.tables import new_table

__all__ = ["report"]


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _ratio(figure: Figure) -> str:
    if figure.of_in_process is None:
        return ""
    if figure.key == "pg_workers":  # a multiple of one process, not a share of it
        return f"{figure.of_in_process:.2f} x"
    return format(figure.of_in_process, ".0%")


def report(figures: list[Figure], title: str, as_json: bool) -> None:
    """Print ``figures`` as a table titled ``title`` (already translated), or as a JSON list."""
    if as_json:
        print_json([figure.as_json() | {"target": _target_json(figure)} for figure in figures])
        return
    table = new_table(
        tr("figure"),
        tr("per second"),
        tr("p50 ms"),
        tr("p99 ms"),
        tr("of floor"),
        tr("of in process"),
        tr("target"),
        tr("note"),
        title=title,
    )
    for figure in figures:
        target = judge(figure)
        verdict = ""
        if target is not None:
            verdict = (
                tr("{target}: met", target=localized(target.text))
                if target.met
                else tr("{target}: not met", target=localized(target.text))
            )
        table.add_row(
            localized(figure.title),
            _fmt(figure.rate, ",.0f"),
            _fmt(figure.p50_ms, ".2f"),
            _fmt(figure.p99_ms, ".2f"),
            _fmt(figure.of_floor, ".0%"),
            _ratio(figure),
            verdict,
            "" if figure.note is None else localized(figure.note),
        )
    console.print(table)


def _target_json(figure: Figure) -> dict[str, object] | None:
    target = judge(figure)
    return None if target is None else target.as_json()
