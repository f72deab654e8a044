"""Several runs of a benchmark as one: for every figure, the run that is the median by what its target judges.

This machine's speed drifts by up to a fifth between runs a few minutes apart (docs/performance.md), so one
run's verdict near a threshold is a coin toss. ``pilot bench port --repeat N`` measures everything N times and
reports, for each figure, the figures of its **median run**: the run whose value on the figure's own yardstick
(``ranking_value``: the ratio its target judges, or the rate for a figure with no target) is the median of the
N (the lower middle one for an even N). The figure shown is that run's, whole: its rate, latencies, ratios and
notes belong together, so a target is judged on one real run and not on medians of different runs stitched
together. Every run's values stay in ``extra["runs"]`` (JSON) and their range in the note (the table).

Ratios are taken within each run (``relate``) before runs are compared: the floor and the in-process path
measured minutes apart on a drifting machine would not be a fair ratio.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pilot.bench.figure import Figure
from pilot.bench.targets import JUDGED, judged_value
from schemas.phrase import Phrase

__all__ = ["median_runs", "ranking_value"]


def _yardstick(figure: Figure) -> str:
    """The name of what ranks runs of ``figure``: the value its target judges (``pilot.bench.targets.JUDGED``),
    else its rate."""
    return JUDGED.get(figure.key, "rate")


def ranking_value(figure: Figure) -> float | None:
    """What ranks runs of ``figure`` (``_yardstick``); None when this run has no such value."""
    if figure.key in JUDGED:
        return judged_value(figure)
    return figure.rate


def _summary(figure: Figure) -> dict[str, float | None]:
    return {
        "rate": figure.rate,
        "p50_ms": figure.p50_ms,
        "p99_ms": figure.p99_ms,
        "of_floor": figure.of_floor,
        "of_in_process": figure.of_in_process,
        "ranked_by": ranking_value(figure),
    }


def _spread(figure: Figure, lowest: float, highest: float) -> Phrase:
    """The range of the runs' values, written as the table writes that value."""
    name = _yardstick(figure)
    if name == "p99_ms":
        return Phrase("p99 {low:.2f} to {high:.2f} ms", low=lowest, high=highest)
    if name == "rate":
        return Phrase("{low:,.0f} to {high:,.0f}/s", low=lowest, high=highest)
    if figure.key == "pg_workers":  # a multiple of one process
        return Phrase("{low:.2f} x to {high:.2f} x", low=lowest, high=highest)
    return Phrase("{low:.0%} to {high:.0%}", low=lowest, high=highest)


def median_runs(runs: Sequence[Sequence[Figure]]) -> list[Figure]:
    """One figure per key (in the first run's order): each the median run's, by ``ranking_value``.

    A figure missing from a run, or with no value to rank by, is left out of that key's ranking; a run of one
    is returned as it is.
    """
    if len(runs) == 1:
        return list(runs[0])
    combined: list[Figure] = []
    for figure in runs[0]:
        candidates = [f for run in runs for f in run if f.key == figure.key]
        ranked = sorted((f for f in candidates if ranking_value(f) is not None), key=lambda f: ranking_value(f) or 0.0)
        if not ranked:
            combined.append(figure)
            continue
        median = ranked[(len(ranked) - 1) // 2]
        values = [value for f in ranked if (value := ranking_value(f)) is not None]
        spread = _spread(median, min(values), max(values))
        note = (
            Phrase("median of {runs} runs ({spread})", runs=len(values), spread=spread)
            if median.note is None
            else Phrase("{note}; median of {runs} runs ({spread})", note=median.note, runs=len(values), spread=spread)
        )
        combined.append(
            dataclasses.replace(median, note=note, extra=median.extra | {"runs": [_summary(f) for f in candidates]})
        )
    return combined
