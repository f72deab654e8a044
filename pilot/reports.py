"""Report formats for file checks: text, JSON and JUnit XML (a tester attaches them to a ticket).

File names and problem messages quote their inputs; the JUnit XML writes the characters XML 1.0 forbids
in them (U+0001 and the like) as visible escapes (``pilot.safe_text.xml_document``), so it stays well-formed.
The text report is in the command's language (``pilot.language``: messages, hints, labels; codes, paths and
outcomes as they are); JSON and JUnit XML are the same in every language.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET

from node_core.i18n import translate
from pilot.documents import FileVerdict
from pilot.language import cli_language, tr
from pilot.safe_text import xml_document
from schemas.errors import Reason


class Format(StrEnum):
    """Output formats of ``pilot conformance validate``."""

    text = "text"
    json = "json"
    junit = "junit"


@dataclass(frozen=True)
class NotRun:
    """Checks that could not run, and why (the run's status does not fail for it)."""

    checks: tuple[str, ...]
    reason: str

    @property
    def message(self) -> str:
        """``not run: <checks> (<reason>)``."""
        return f"not run: {', '.join(self.checks)} ({self.reason})"

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's ``notRun`` item."""
        return {"checks": list(self.checks), "reason": self.reason, "message": self.message}


def _problem_dict(verdict: FileVerdict, problem: Reason) -> dict[str, str]:
    hint = verdict.hints.get(problem)
    return {**problem.as_dict(), "hint": hint} if hint else problem.as_dict()


def problem_lines(verdict: FileVerdict, indent: str = "") -> list[str]:
    """Each problem as ``CODE path: message``, followed by its hint when it has one."""
    lines = []
    for problem in verdict.problems:
        lines.append(f"{indent}{problem.code} {problem.path}: {problem.message}")
        if hint := verdict.hints.get(problem):
            lines.append(f"{indent}  hint: {hint}")
    return lines


def _shown_lines(verdict: FileVerdict) -> list[str]:
    """``problem_lines`` in the command's language: each message (by its phrase) and hint translated."""
    language = cli_language()
    lines = []
    for problem in verdict.problems:
        message = translate(problem.phrase, language) if problem.phrase is not None else problem.message
        lines.append(f"  {problem.code} {problem.path}: {message}")
        if hint := verdict.hints.get(problem):
            lines.append("    " + tr("hint: {hint}", hint=translate(hint, language)))
    return lines


def _not_run_text(item: NotRun) -> str:
    checks = ", ".join(translate(check, cli_language()) for check in item.checks)
    return tr("not run: {checks} ({reason})", checks=checks, reason=translate(item.reason, cli_language()))


def render_verdicts(verdicts: list[FileVerdict], output_format: Format, not_run: Sequence[NotRun] = ()) -> str:
    """The report in ``output_format``; ``not_run`` lists checks that could not run (said in every format)."""
    if output_format is Format.json:
        return (
            json.dumps(
                {
                    "files": [
                        {
                            "file": str(v.path),
                            "kind": v.kind,
                            "outcome": v.outcome,
                            "decision": v.decision,
                            "problems": [_problem_dict(v, p) for p in v.problems],
                        }
                        for v in verdicts
                    ],
                    "accepted": sum(1 for v in verdicts if not v.errors),
                    "refused": sum(1 for v in verdicts if v.errors),
                    "notRun": [item.as_dict() for item in not_run],
                },
                indent=2,
            )
            + "\n"
        )
    if output_format is Format.junit:
        suite = ET.Element(
            "testsuite",
            name="pilot conformance validate",
            tests=str(len(verdicts) + len(not_run)),
            failures=str(sum(1 for v in verdicts if v.errors)),
            skipped=str(len(not_run)),
        )
        for verdict in verdicts:
            case = ET.SubElement(suite, "testcase", classname=verdict.kind or "file", name=str(verdict.path))
            if verdict.errors:
                failure = ET.SubElement(case, "failure", message=verdict.outcome, type=verdict.outcome)
                failure.text = "\n".join(problem_lines(verdict))
        for item in not_run:
            case = ET.SubElement(suite, "testcase", classname="not-run", name=", ".join(item.checks))
            ET.SubElement(case, "skipped", message=item.message)
        return xml_document(suite) + "\n"
    lines = ["\n".join([f"{v.outcome}\t{v.path}", *_shown_lines(v)]) for v in verdicts]
    lines += [_not_run_text(item) for item in not_run]
    return "\n".join(lines) + "\n"
