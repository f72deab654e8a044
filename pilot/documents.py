"""File-level checks shared by ``pilot credential`` and ``pilot conformance validate``.

Credentials' status (docs/design.md §12) is checked only against status list credentials given as files
(``load_status_lists``: ``--status-list FILE`` and ``--status-lists DIR``); without any, status is not
checked and the reports say so (``STATUS_NOT_RUN_CHECKS``, ``STATUS_NOT_RUN_REASON``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pilot.input_files import InputTooLargeError, read_bounded
from schemas.assess import assess_submission
from schemas.codes import Code
from schemas.errors import JsonMalformedError, Reason
from schemas.jsonio import parse_json
from schemas.status_list import StaticStatusLists, StatusCheck, StatusLookup, check_status
from schemas.trust import TrustRegistry
from schemas.verify import check_credential

Kind = Literal["credential", "submission"]

#: What is not checked without status lists, and why (a ``pilot.reports.NotRun`` of the file checks).
STATUS_NOT_RUN_CHECKS = ("credential status",)
STATUS_NOT_RUN_REASON = "no status lists: pass --status-list FILE or --status-lists DIR"
#: The largest status list credential file read (the registry takes at most 1 MiB).
MAX_STATUS_LIST_FILE = 1024 * 1024


class StatusListFileError(ValueError):
    """A file or directory given as status lists cannot be used; the message says which and why."""


def load_status_lists(files: Sequence[Path] = (), directories: Sequence[Path] = ()) -> StaticStatusLists | None:
    """The status list credentials in ``files`` and in every ``*.json`` below ``directories``; None if none given.

    The credentials are verified when looked up (``StaticStatusLists``), not here. ``StatusListFileError``
    for a path that does not exist or a file that is not a JSON object.
    """
    if not files and not directories:
        return None
    paths = list(files)
    for directory in directories:
        if not directory.is_dir():
            raise StatusListFileError(f"{directory} is not a directory")
        paths += sorted(directory.rglob("*.json"))
    lists = StaticStatusLists()
    for path in paths:
        if not path.is_file():
            raise StatusListFileError(f"{path} does not exist")
        try:
            document = parse_json(read_bounded(path, MAX_STATUS_LIST_FILE))
        except (JsonMalformedError, InputTooLargeError, OSError) as exc:
            raise StatusListFileError(f"{path} is not a readable status list credential: {exc}") from exc
        if not isinstance(document, Mapping):
            raise StatusListFileError(f"{path} is not a JSON object")
        lists.add(document)
    return lists


@dataclass
class FileVerdict:
    """What a file-level check found: the kind of document, and every problem."""

    path: Path
    kind: Kind | None
    problems: list[Reason] = field(default_factory=list)
    decision: str | None = None
    #: A hint for a problem, when the check that found it gives one (the shared-schema checks do).
    hints: dict[Reason, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Reason]:
        """Error-level problems only."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def outcome(self) -> str:
        """``accept`` or the first error code: the form ``expected.json`` uses."""
        return str(self.errors[0].code) if self.errors else "accept"


def kind_of(document: Any) -> Kind:
    """A submission has ``manifest``; anything else is checked as a credential."""
    return "submission" if isinstance(document, Mapping) and "manifest" in document else "credential"


def check_file(
    path: Path,
    trust: TrustRegistry,
    at: datetime,
    *,
    port_id: str = "cn-port-01",
    status: StatusLookup | None = None,
) -> FileVerdict:
    """Check one file as a credential or a submission to ``port_id`` at time ``at``.

    ``status``: the status lists to check credentials' status against (docs/design.md §12); None:
    status is not checked.
    """
    try:
        document = parse_json(path.read_bytes())
    except JsonMalformedError as exc:
        return FileVerdict(path, None, [Reason(Code.JSON_MALFORMED, "", exc.message)])
    kind = kind_of(document)
    if kind == "credential":
        report = check_credential(document, trust, at)
        problems = list(report.problems)
        if status is not None:
            found = StatusCheck()
            check_status(report, status, trust, at, found)
            problems += found.reasons
        return FileVerdict(path, kind, problems)
    assessment = assess_submission(document, trust, port_id=port_id, at=at, status=status)
    return FileVerdict(path, kind, assessment.reasons, assessment.decision)
