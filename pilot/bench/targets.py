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

__all__ = ["JUDGED", "Target", "judge", "judged_value"]


@dataclass(frozen=True)
class Target:
    """What a figure must reach (``text``) and whether this run's figure did."""

    text: Phrase
    met: bool

    def as_json(self) -> dict[str, object]:
        return {"target": str(self.text), "met": self.met}


#: The value each figure's target judges (``single`` also judges its p99 against its p50); ``pilot.bench.repeat``
#: ranks repeated runs by it too.
JUDGED = {
    "in_process": "of_floor",
    "pg_in_process": "of_in_process",
    "pg_workers": "of_in_process",
    "batch": "of_in_process",
    "single": "of_in_process",
    "proof": "p99_ms",
    "memory": "rest_ratio",
}


def judged_value(figure: Figure) -> float | None:
    """The value ``figure``'s target judges (``JUDGED``); None for a figure with no target, or without it."""
    name = JUDGED.get(figure.key)
    if name is None:
        return None
    value = figure.extra.get(name) if name == "rest_ratio" else getattr(figure, name)
    return None if value is None else float(value)


def judge(figure: Figure) -> Target | None:
    """The target of ``figure`` and whether it is met; None for a figure with no target."""
    value = judged_value(figure)
    if value is None:
        return None
    if figure.key == "in_process":
        return Target(Phrase(">= 50% of the floor"), value >= 0.5)
    if figure.key == "pg_in_process":
        return Target(Phrase(">= 70% of SQLite in process"), value >= 0.7)
    if figure.key == "pg_workers":
        return Target(Phrase(">= 1.7 x one process"), value >= 1.7)
    if figure.key == "batch":
        return Target(Phrase(">= 90% of in process"), value >= 0.9)
    if figure.key == "single":
        if figure.p50_ms is None or figure.p99_ms is None:
            return None
        met = value >= 0.6 and figure.p99_ms <= 2 * figure.p50_ms
        return Target(Phrase(">= 60% of in process, p99 <= 2 x p50"), met)
    if figure.key == "proof":
        return Target(Phrase("p99 <= 2 ms"), value <= 2.0)
    if figure.key == "memory":
        return Target(Phrase("within 10%, apart from the tree"), value <= 1.10)
    return None
