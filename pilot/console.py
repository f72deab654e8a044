"""Shared terminal output for the ``pilot`` command: one rich console, exit codes, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

#: DESIGN section 9: 0 success, 1 a failed check, 2 bad usage.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail_usage(message: str) -> NoReturn:
    """Report bad usage (a missing file, a malformed option) and exit 2."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(EXIT_USAGE)


def print_json(value: Any) -> None:
    """Machine output on stdout: indented JSON, nothing else."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
