"""The table of cases in ``docs/conformance.md``, generated from the registry (and checked by a test).

``python -m pilot.conformance.doc_table docs/conformance.md`` rewrites the table between the
``<!-- cases:begin -->`` and ``<!-- cases:end -->`` markers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from pilot.conformance.model import TIER_NAMES, CaseSpec
from pilot.conformance.suites import ALL_CASES

__all__ = ["BEGIN", "END", "markdown_table", "replace_table"]

BEGIN, END = "<!-- cases:begin -->", "<!-- cases:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(cases: Iterable[CaseSpec] = ALL_CASES) -> str:
    """One row per case: id, tier, title, what it checks, the hint shown when it fails."""
    lines = ["| case | tier | title | checks | hint when it fails |", "|---|---|---|---|---|"]
    for spec in cases:
        tier = f"{spec.tier} ({TIER_NAMES[spec.tier]})"
        lines.append(
            f"| `{spec.id}` | {tier} | {_cell(str(spec.title))} | {_cell(spec.checks)} | {_cell(str(spec.hint))} |"
        )
    return "\n".join(lines) + "\n"


def replace_table(document: str) -> str:
    """``document`` with the text between the markers replaced by the current table."""
    head, _, rest = document.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{markdown_table()}{END}{tail}"


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(replace_table(path.read_text()))
