"""Running planned cases one after another, turning each outcome (or crash) into a ``CaseResult``.

A case body gets a ``Probe`` to record what it sent and what it expects, and returns what it saw; it
raises ``CaseFailed`` when the node did not behave. Anything else it raises (a transport error, a
malformed answer) fails the case too, with the exception as the actual outcome: a non-conformant node
must never crash the kit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pilot.conformance.model import CaseFailed, CaseResult, CaseSpec, Text

__all__ = ["CaseBody", "PlannedCase", "Probe", "ProgressHook", "run_planned"]


@dataclass
class Probe:
    """What a case sent and what it expected (a ``Text``: shown in the report's language), filled in by the case
    body as it goes."""

    sent: str = ""
    expected: Text = ""


CaseBody = Callable[[Probe], str]
ProgressHook = Callable[[CaseSpec, CaseResult | None], None]


@dataclass(frozen=True)
class PlannedCase:
    """A case ready to run: its spec (for a vector family, with the vector's name filled in) and body."""

    spec: CaseSpec
    body: CaseBody


def run_one(planned: PlannedCase) -> CaseResult:
    """Run one case body and record its outcome."""
    probe = Probe()
    started = time.monotonic()
    try:
        actual = planned.body(probe)
        passed = True
    except CaseFailed as failure:
        actual, passed = failure.actual, False
    except Exception as exc:
        actual, passed = f"the kit could not complete the check: {type(exc).__name__}: {exc}", False
    spec = planned.spec
    return CaseResult(
        id=spec.id,
        tier=spec.tier,
        title=spec.title,
        sent=probe.sent,
        expected=probe.expected,
        actual=actual,
        hint="" if passed else spec.hint,
        passed=passed,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def run_planned(cases: Sequence[PlannedCase], progress: ProgressHook | None = None) -> list[CaseResult]:
    """Run ``cases`` in order; ``progress(spec, None)`` before each and ``progress(spec, result)`` after."""
    results = []
    for planned in cases:
        if progress is not None:
            progress(planned.spec, None)
        result = run_one(planned)
        results.append(result)
        if progress is not None:
            progress(planned.spec, result)
    return results
