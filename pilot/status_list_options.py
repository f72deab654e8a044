"""``--status-list FILE`` and ``--status-lists DIR``: status lists given on the command line, defined once.

docs/design.md §12. ``pilot credential verify`` and ``pilot conformance validate`` check credentials' status
only against status list credentials given as files; without any, status is not checked and the reports
say so (``STATUS_NOT_RUN_CHECKS``, ``STATUS_NOT_RUN_REASON``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilot.console import fail_usage
from pilot.language import N_
from pilot.status_files import StatusListFileError, load_status_lists
from schemas.status_list import StaticStatusLists

__all__ = [
    "STATUS_NOT_RUN_CHECKS",
    "STATUS_NOT_RUN_REASON",
    "StatusListDirsOpt",
    "StatusListFilesOpt",
    "given_status_lists",
]

#: What is not checked without status lists, and why (a ``pilot.reports.NotRun`` of the file checks). English as
#: kept in JSON reports; marked for the catalogues, to be shown with ``tr`` in the text ones.
STATUS_NOT_RUN_CHECKS = (N_("credential status"),)
STATUS_NOT_RUN_REASON = N_("no status lists: pass --status-list FILE or --status-lists DIR")

StatusListFilesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--status-list",
        help="A status list credential to check credentials' status against (repeatable; without any"
        " --status-list or --status-lists, status is not checked).",
    ),
]
StatusListDirsOpt = Annotated[
    list[Path] | None,
    typer.Option("--status-lists", help="A directory of status list credentials (every *.json below it)."),
]


def given_status_lists(files: list[Path] | None, directories: list[Path] | None) -> StaticStatusLists | None:
    """The lists the two options name (None when neither is given); bad usage (exit 2) for an unusable path."""
    try:
        return load_status_lists(files or (), directories or ())
    except StatusListFileError as exc:
        fail_usage(exc.phrase)
