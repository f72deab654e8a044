"""Shared terminal output for the ``pilot`` command: one rich console, exit codes, JSON output.

Text that did not come from us (files, peers, exception messages quoting either) is printed through
``untrusted`` (``pilot.safe_text``): never as rich markup, control characters made visible. The consoles
do not replace ``:name:`` emoji codes either, so a peer cannot turn its text into pictures.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from pilot.safe_text import untrusted

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "console", "err_console", "fail_usage", "print_json", "untrusted"]

#: docs/design.md §9: 0 success, 1 a failed check, 2 bad usage.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)


def fail_usage(message: str) -> NoReturn:
    """Report bad usage (a missing file, a malformed option) and exit 2; ``message`` is shown literally."""
    err_console.print(f"[bold red]error:[/] {untrusted(message)}")
    raise typer.Exit(EXIT_USAGE)


def print_json(value: Any) -> None:
    """Machine output on stdout: indented JSON, nothing else."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
