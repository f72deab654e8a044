"""The conformance kit's data model: what a case is, what one run of it found, and a whole report.

A ``CaseSpec`` is the registry's description of a check (id, tier, title, what it checks, a hint for
implementers); a ``CaseResult`` is one run of it against a node (what was sent, expected, actual,
pass or fail); a ``Report`` is every result of one run of a suite, in the order they ran.

A case's title and hint, and what a case expected, are ``Text``: English marked for the catalogues
(``pilot.language.N_``), or a ``Phrase`` when values fill it. ``str()`` gives the English, which the JSON report
and the JUnit XML keep (data for machines); the text and HTML reports show them in the command's language
(``pilot.conformance.report``). What a node answered (``actual``) is quoted as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pilot.language import N_
from schemas.phrase import Phrase

__all__ = ["TIER_NAMES", "CaseFailed", "CaseResult", "CaseSpec", "Report", "Suite", "Text"]

Suite = Literal["port", "exporter"]

#: A report's human-readable text: English as it is (a message id of the catalogues, looked up whole, so it
#: may hold braces), or a phrase, a template filled with values; ``str()`` gives the English either way.
Text = str | Phrase

#: The kit's three tiers (docs/design.md §1, docs/conformance.md).
TIER_NAMES = {1: N_("schema"), 2: N_("signatures and trust"), 3: N_("protocol behaviour")}


@dataclass(frozen=True)
class CaseSpec:
    """One check in the registry: ``<suite>.t<tier>.<name>``, a title, what it checks and a hint."""

    id: str
    tier: int
    title: Text
    checks: str
    hint: Text

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
    title: Text
    sent: str
    expected: Text
    actual: str
    hint: Text
    passed: bool
    duration_ms: int = 0

    @property
    def status(self) -> str:
        """``pass`` or ``fail``."""
        return "pass" if self.passed else "fail"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the report's ``cases`` items), its texts in English."""
        return {
            "id": self.id,
            "tier": self.tier,
            "title": str(self.title),
            "sent": self.sent,
            "expected": str(self.expected),
            "actual": self.actual,
            "hint": str(self.hint),
            "passed": self.passed,
            "duration_ms": self.duration_ms,
            "status": self.status,
        }


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
