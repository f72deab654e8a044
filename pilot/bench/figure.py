"""One measured figure of a benchmark, and its ratios to the cryptographic floor and to the in-process path.

A figure has a stable ``key`` (``floor``, ``in_process``, ``single``, ...) that the JSON output and the tests
use, a ``title`` and a ``note`` kept as phrases (shown translated, written in English in JSON), and what was
measured: a ``rate`` in ``unit`` per second, latencies, and anything else in ``extra``. ``relate`` fills the
ratios of every submission rate once the floor and the in-process figures are known: ``baseline`` names the
in-process figure a figure is compared with (SQLite's ``in_process``, or ``pg_in_process`` for the figures
taken on PostgreSQL; for ``pg_in_process`` itself, SQLite's, and for N workers, one worker's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.phrase import Phrase

__all__ = ["SUBMISSIONS", "Figure", "percentile", "relate"]

#: The unit of a figure that counts submissions (or consignments, one submission each) per second.
SUBMISSIONS = "submissions"


@dataclass
class Figure:
    """One measured figure."""

    key: str
    title: Phrase
    unit: str = SUBMISSIONS
    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    #: ``rate`` over the cryptographic floor's rate (submissions only).
    of_floor: float | None = None
    #: ``rate`` over the rate of the figure ``baseline`` (submissions only).
    of_in_process: float | None = None
    baseline: str = "in_process"
    note: Phrase | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The figure as JSON: numbers, the stable key, the English title and note."""
        return {
            "key": self.key,
            "name": str(self.title),
            "unit": self.unit,
            "rate": self.rate,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "of_floor": self.of_floor,
            "of_in_process": self.of_in_process,
            "baseline": self.baseline,
            "note": None if self.note is None else str(self.note),
            "extra": self.extra,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def relate(figures: Iterable[Figure]) -> None:
    """Set every submission figure's ratios to the floor (key ``floor``) and to its ``baseline`` figure."""
    figures = list(figures)
    rates = {f.key: f.rate for f in figures}
    floor = rates.get("floor")
    for figure in figures:
        if figure.unit != SUBMISSIONS or figure.rate is None:
            continue
        if floor and figure.key != "floor":
            figure.of_floor = figure.rate / floor
        baseline = rates.get(figure.baseline)
        if baseline and figure.key != figure.baseline:
            figure.of_in_process = figure.rate / baseline
