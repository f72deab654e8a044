"""Report formats for file checks: text, JSON and JUnit XML (a tester attaches them to a ticket)."""

from __future__ import annotations

import json
from enum import StrEnum
from xml.etree import ElementTree as ET

from pilot.documents import FileVerdict


class Format(StrEnum):
    """Output formats of ``pilot conformance validate``."""

    text = "text"
    json = "json"
    junit = "junit"


def render_verdicts(verdicts: list[FileVerdict], output_format: Format) -> str:
    """The report in ``output_format``."""
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
                            "problems": [p.as_dict() for p in v.problems],
                        }
                        for v in verdicts
                    ],
                    "accepted": sum(1 for v in verdicts if not v.errors),
                    "refused": sum(1 for v in verdicts if v.errors),
                },
                indent=2,
            )
            + "\n"
        )
    if output_format is Format.junit:
        suite = ET.Element(
            "testsuite",
            name="pilot conformance validate",
            tests=str(len(verdicts)),
            failures=str(sum(1 for v in verdicts if v.errors)),
        )
        for verdict in verdicts:
            case = ET.SubElement(suite, "testcase", classname=verdict.kind or "file", name=str(verdict.path))
            if verdict.errors:
                failure = ET.SubElement(case, "failure", message=verdict.outcome, type=verdict.outcome)
                failure.text = "\n".join(f"{p.code} {p.path}: {p.message}" for p in verdict.problems)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
    lines = [
        f"{v.outcome}\t{v.path}" + "".join(f"\n  {p.code} {p.path}: {p.message}" for p in v.problems) for v in verdicts
    ]
    return "\n".join(lines) + "\n"
