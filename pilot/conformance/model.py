"""The conformance kit's data model: what a case is, what one run of it found, and a whole report.

A ``CaseSpec`` is the registry's description of a check (id, tier, title, what it checks, a hint for
implementers); a ``CaseResult`` is one run of it against a node (what was sent, expected, actual,
pass or fail); a ``Report`` is every result of one run of a suite, in the order they ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["TIER_NAMES", "CaseFailed", "CaseResult", "CaseSpec", "Report", "Suite"]

Suite = Literal["port", "exporter"]

#: The kit's three tiers (docs/design.md §1, docs/conformance.md).
TIER_NAMES = {1: "schema", 2: "signatures and trust", 3: "protocol behaviour"}


@dataclass(frozen=True)
class CaseSpec:
    """One check in the registry: ``<suite>.t<tier>.<name>``, a title, what it checks and a hint."""

    id: str
    tier: int
    title: str
    checks: str
    hint: str

    @property
    def suite(self) -> str:
        """``port`` or ``exporter``: the kind of node the case tests."""
        return self.id.split(".", 1)[0]


class CaseFailed(Exception):
    """Raised inside a case body: the node's behaviour did not match; ``actual`` says what it did."""

    def __init__(self, actual: str) -> None:
        super().__init__(actual)
        self.actual = actual


@dataclass
class CaseResult:
    """One case's outcome against one node."""

    id: str
    tier: int
    title: str
    sent: str
    expected: str
    actual: str
    hint: str
    passed: bool
    duration_ms: int = 0

    @property
    def status(self) -> str:
        """``pass`` or ``fail``."""
        return "pass" if self.passed else "fail"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the report's ``cases`` items)."""
        return {**asdict(self), "status": self.status}


@dataclass
class Report:
    """Every case result of one run of a suite against one node."""

    suite: Suite
    target: str
    node_id: str
    started_at: str
    results: list[CaseResult] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def failed(self) -> list[CaseResult]:
        """The cases that failed, in run order."""
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        """True when every case passed (and at least one ran)."""
        return bool(self.results) and not self.failed

    def as_dict(self) -> dict[str, Any]:
        """The JSON report."""
        return {
            "suite": self.suite,
            "target": self.target,
            "nodeId": self.node_id,
            "startedAt": self.started_at,
            "elapsedS": round(self.elapsed_s, 3),
            "summary": {
                "total": len(self.results),
                "passed": len(self.results) - len(self.failed),
                "failed": len(self.failed),
            },
            "cases": [r.as_dict() for r in self.results],
        }
