"""Issue 17's targets, judged on the figures of a run: what each figure must reach, and whether it did.

- in process (SQLite): at least 50% of the cryptographic floor;
- single submissions over HTTP: at least 60% of in-process, and p99 at most 2 x p50;
- batches over HTTP: at least 90% of in-process;
- in process on PostgreSQL: at least 70% of SQLite's; N processes on it: at least 1.7 x one (for 2);
- inclusion proof at the log's size: p99 at most 2 ms;
- memory: after N submissions within 10% of after N/10, apart from an in-memory tree.

A target is information in the output, not a test: the figures depend on the machine and its load.
"""

from __future__ import annotations

from dataclasses import dataclass

from pilot.bench.figure import Figure
from schemas.phrase import Phrase

__all__ = ["Target", "judge"]


@dataclass(frozen=True)
class Target:
    """What a figure must reach (``text``) and whether this run's figure did."""

    text: Phrase
    met: bool

    def as_json(self) -> dict[str, object]:
        return {"target": str(self.text), "met": self.met}


def _ratio(value: float | None, at_least: float, text: Phrase) -> Target | None:
    return None if value is None else Target(text, value >= at_least)


def judge(figure: Figure) -> Target | None:
    """The target of ``figure`` and whether it is met; None for a figure with no target."""
    if figure.key == "in_process":
        return _ratio(figure.of_floor, 0.5, Phrase(">= 50% of the floor"))
    if figure.key == "pg_in_process":
        return _ratio(figure.of_in_process, 0.7, Phrase(">= 70% of SQLite in process"))
    if figure.key == "pg_workers":
        return _ratio(figure.of_in_process, 1.7, Phrase(">= 1.7 x one process"))
    if figure.key == "batch":
        return _ratio(figure.of_in_process, 0.9, Phrase(">= 90% of in process"))
    if figure.key == "single":
        if figure.of_in_process is None or figure.p50_ms is None or figure.p99_ms is None:
            return None
        met = figure.of_in_process >= 0.6 and figure.p99_ms <= 2 * figure.p50_ms
        return Target(Phrase(">= 60% of in process, p99 <= 2 x p50"), met)
    if figure.key == "proof" and figure.p99_ms is not None:
        return Target(Phrase("p99 <= 2 ms"), figure.p99_ms <= 2.0)
    if figure.key == "memory" and "rest_ratio" in figure.extra:
        return Target(Phrase("within 10%, apart from the tree"), figure.extra["rest_ratio"] <= 1.10)
    return None
