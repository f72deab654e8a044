"""``docs/design.md`` stays the design the code cites: its sections exist, and §7 lists every stable code.

Comments cite the design as "docs/design.md §N"; a citation naming a section the page does not have is
a dangling reference. §7 must list every ``schemas.codes.Code``, each in a table row that also gives its
``HTTP_STATUS`` when it has one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.codes import HTTP_STATUS, Code

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "design.md"
SECTIONS = range(1, 13)
#: Where citations may be written: product code, tests, docs, deployment files.
CITING_SUFFIXES = {".py", ".md", ".json", ".yml", ".yaml", ".toml", ".sql", ".txt", ".cfg", ".ini", ".sh"}
CITING_NAMES = {"Dockerfile", "run"}
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

_HEADING = re.compile(r"^## (\d+)\. \S", re.MULTILINE)
# "docs/design.md §6", "design.md §4, §7", "docs/design.md §§6 and 9", "docs/design.md §6.2".
_CITATION = re.compile(r"design\.md\s*§+\s*(\d+(?:\.\d+)*(?:\s*(?:,|and|or|to|/)\s*§*\s*\d+(?:\.\d+)*)*)")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def _text() -> str:
    return DESIGN.read_text(encoding="utf-8")


def _section(number: int) -> str:
    text = _text()
    start = re.search(rf"^## {number}\. ", text, re.MULTILINE)
    assert start is not None, f"docs/design.md has no section {number}"
    following = _HEADING.search(text, start.end())
    return text[start.start() : following.start() if following else len(text)]


def _cited_sections(text: str) -> list[int]:
    return [int(number.split(".")[0]) for match in _CITATION.finditer(text) for number in _NUMBER.findall(match[1])]


def _citing_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and (path.suffix in CITING_SUFFIXES or path.name in CITING_NAMES):
            files.append(path)
    return files


def test_sections_are_numbered_one_to_twelve_in_order() -> None:
    numbers = [int(n) for n in _HEADING.findall(_text())]
    assert numbers == list(SECTIONS)


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_section_7_lists_every_code_with_its_http_status(code: Code) -> None:
    rows = [line for line in _section(7).splitlines() if line.startswith("|") and f"`{code.value}`" in line]
    assert rows, f"{code.value} is not in a table row of docs/design.md §7"
    status = HTTP_STATUS.get(code)
    if status is not None:
        cells = [cell.strip() for row in rows for cell in row.strip("|").split("|")]
        assert str(status) in cells, f"{code.value}: its HTTP status {status} is not in its row of §7"


def test_the_citation_pattern_reads_lists_of_sections() -> None:
    text = "see docs/design.md §6, docs/design.md §§4 and 7, design.md §5.2, docs/design.md §8/§9."
    assert _cited_sections(text) == [6, 4, 7, 5, 8, 9]


def test_every_citation_names_a_section_that_exists() -> None:
    dangling = []
    for path in _citing_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "design.md" not in text:
            continue
        for line_number, line in enumerate(text.splitlines(), start=1):
            for number in _cited_sections(line):
                if number not in SECTIONS:
                    dangling.append(f"{path.relative_to(ROOT)}:{line_number}: §{number}")
    assert not dangling, "citations of sections docs/design.md does not have:\n" + "\n".join(dangling)
