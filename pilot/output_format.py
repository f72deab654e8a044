"""``--format text|json`` (with the shorthand ``--json``): how a ``pilot`` command prints its result, defined once.

docs/design.md §9. ``text``: tables and lines for people (``pilot.console``, whole when piped). ``json``:
one JSON document on stdout and nothing else there; what a person would read along the way (progress,
notes) goes to stderr (``notes_console``). ``--json`` is kept where it was first offered, as a shorthand
for ``--format json``. The conformance kit's commands have formats of their own (``junit``, ``html``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pilot.console import PipeAwareConsole, console, err_console

__all__ = ["FormatOpt", "JsonFlagOpt", "OutputFormat", "notes_console", "wants_json"]


class OutputFormat(StrEnum):
    """What a command prints its result as."""

    text = "text"
    json = "json"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", help="Result as text (for people) or json (one JSON document on stdout)."),
]
JsonFlagOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]


def wants_json(output_format: OutputFormat, json_flag: bool = False) -> bool:
    """True when ``--format json`` or ``--json`` was given."""
    return json_flag or output_format is OutputFormat.json


def notes_console(machine: bool) -> PipeAwareConsole:
    """Where notes for people go: stdout, or stderr when stdout carries JSON (``machine``)."""
    return err_console if machine else console
