"""Shared terminal output for the ``pilot`` command: one rich console, exit codes, JSON output.

Text that did not come from us (files, peers, exception messages quoting either) is printed through
``untrusted`` (``pilot.safe_text``): never as rich markup, control characters made visible. The consoles
do not replace ``:name:`` emoji codes either, so a peer cannot turn its text into pictures.

Output that survives a pipe (docs/design.md §9): on a terminal the consoles lay out to its width; written
anywhere else (a pipe, a file, a CI log) they have no width at all (``PipeAwareConsole``), whatever
``COLUMNS`` says, so a table is as wide as its content and never cuts or splits a code, an id or a path.
Off a terminal rich writes no colour or other escape codes (unless ``FORCE_COLOR`` or ``TTY_COMPATIBLE=1``
asks for them); ``NO_COLOR`` turns colour off on a terminal too. Nothing printed here may fill the
console's width (an expanded table or panel): off a terminal that width is unbounded. ``rule`` is the
exception that keeps a fixed width there.

Text for people is in the command's language (``pilot.language``, docs/design.md §9 "Languages"): a message is
translated with ``tr`` where it is written, or carried as a ``Phrase`` (an error whose English ``str()`` may also
reach JSON output) and translated where it is shown (``localized``; ``fail_usage`` takes either).
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.align import AlignMethod
from rich.console import Console, ConsoleDimensions
from rich.rule import Rule
from rich.style import Style
from rich.text import TextType

from pilot.language import localized, tr
from pilot.safe_text import untrusted
from schemas.phrase import Phrase

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UNBOUNDED_WIDTH",
    "PipeAwareConsole",
    "console",
    "err_console",
    "fail_usage",
    "print_json",
    "untrusted",
]

#: docs/design.md §9: 0 success, 1 a failed check, 2 bad usage.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: The width of a console that does not write to a terminal: wider than any line the pilot prints.
UNBOUNDED_WIDTH = 1_000_000
#: The width of a rule (a separator line) off a terminal, where the console's own width is unbounded.
RULE_WIDTH = 80


class PipeAwareConsole(Console):
    """A rich console as wide as its terminal, or unbounded when it does not write to one.

    Rich gives a console that writes to a pipe a width of 80 columns (or ``COLUMNS``) and shrinks tables
    to it, cutting cells with "…". This one asks, each time it lays something out, whether its file is a
    terminal (the file can change: ``sys.stdout`` is looked up when printing), and when it is not, lays
    out without a width limit.
    """

    @property
    def on_terminal(self) -> bool:
        """True when the file written to is a terminal (whatever ``FORCE_COLOR`` says about escape codes)."""
        isatty = getattr(self.file, "isatty", None)
        try:
            return bool(isatty is not None and isatty())
        except ValueError:  # a closed file
            return False

    @property
    def size(self) -> ConsoleDimensions:
        """The terminal's size; off a terminal, ``UNBOUNDED_WIDTH`` wide."""
        dimensions = super().size
        if self.on_terminal:
            return dimensions
        return ConsoleDimensions(UNBOUNDED_WIDTH, dimensions.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size

    def rule(
        self,
        title: TextType = "",
        *,
        characters: str = "─",
        style: str | Style = "rule.line",
        align: AlignMethod = "center",
    ) -> None:
        """A separator line: across the terminal, or ``RULE_WIDTH`` wide off one."""
        if self.on_terminal:
            super().rule(title, characters=characters, style=style, align=align)
        else:
            self.print(Rule(title=title, characters=characters, style=style, align=align), width=RULE_WIDTH)


console = PipeAwareConsole(highlight=False, emoji=False)
err_console = PipeAwareConsole(stderr=True, highlight=False, emoji=False)


def fail_usage(message: Phrase | str) -> NoReturn:
    """Report bad usage (a missing file, a malformed option) and exit 2; ``message`` is shown literally.

    ``message`` is a text in the command's language (``tr``) or a phrase, shown in it (``localized``); the
    ``error:`` before it is translated here.
    """
    err_console.print(f"[bold red]{tr('error:')}[/] {untrusted(localized(message))}")
    raise typer.Exit(EXIT_USAGE)


def print_json(value: Any) -> None:
    """Machine output on stdout: indented JSON, nothing else."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
