"""Status list credentials as files: where a data dir keeps them, and reading them back.

docs/design.md §12. ``pilot init`` signs every issuer's generation-0 lists into
``<data dir>/status-lists/<issuer>/<list>.json`` (``pilot.sandbox.STATUS_LISTS_DIR``), and the issuers
that are not nodes keep their current generation-1 lists there too (``pilot.issuer_state``); ``pilot up``
publishes them all (``pilot.status_publishing``), and the conformance kit's stand-in port checks status
against them. ``pilot credential verify`` and ``pilot conformance validate`` take lists as files
(``--status-list FILE``, ``--status-lists DIR``: ``load_status_lists``).

Every reader goes through ``read_status_list_file``: bounded (the registry takes at most 1 MiB), strict
JSON (``schemas.jsonio``), a JSON object. Nothing here verifies a list: that is done when it is looked up
(``schemas.status_list.verify_status_list``, ``StaticStatusLists``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pilot.input_files import InputTooLargeError, read_bounded
from pilot.sandbox import STATUS_LISTS_DIR
from schemas.errors import JsonMalformedError
from schemas.jsonio import parse_json
from schemas.phrase import Phrase
from schemas.status_list import StaticStatusLists

__all__ = [
    "MAX_STATUS_LIST_FILE",
    "StatusListFileError",
    "data_dir_list_path",
    "load_status_lists",
    "read_status_list_file",
    "status_list_files",
]

#: The largest status list credential file read (the registry takes at most 1 MiB).
MAX_STATUS_LIST_FILE = 1024 * 1024


class StatusListFileError(ValueError):
    """A file or directory given as status lists cannot be used; the message says which and why.

    ``str()`` is the English text; ``phrase`` the same as a template and values, to be shown in the ``pilot``
    command's language (``pilot.language.localized``).
    """

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


def data_dir_list_path(data_dir: Path, issuer: str, list_name: str) -> Path:
    """``<data dir>/status-lists/<issuer>/<list>.json``: the current version of one list kept in a data dir."""
    return Path(data_dir) / STATUS_LISTS_DIR / issuer / f"{list_name}.json"


def status_list_files(data_dir: Path) -> list[Path]:
    """Every ``*.json`` under ``<data dir>/status-lists``, in a stable order."""
    return sorted((Path(data_dir) / STATUS_LISTS_DIR).glob("**/*.json"))


def read_status_list_file(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (not verified); ``StatusListFileError`` when it cannot be read as one."""
    try:
        document = parse_json(read_bounded(path, MAX_STATUS_LIST_FILE))
    except (JsonMalformedError, InputTooLargeError, OSError) as exc:
        raise StatusListFileError(
            Phrase("{path} is not a readable status list credential: {problem}", path=path, problem=exc)
        ) from exc
    if not isinstance(document, Mapping):
        raise StatusListFileError(Phrase("{path} is not a JSON object", path=path))
    return dict(document)


def load_status_lists(files: Sequence[Path] = (), directories: Sequence[Path] = ()) -> StaticStatusLists | None:
    """The status list credentials in ``files`` and in every ``*.json`` below ``directories``; None if none given.

    ``StatusListFileError`` for a path that does not exist or a file that is not a JSON object.
    """
    if not files and not directories:
        return None
    paths = list(files)
    for directory in directories:
        if not directory.is_dir():
            raise StatusListFileError(Phrase("{path} is not a directory", path=directory))
        paths += sorted(directory.rglob("*.json"))
    lists = StaticStatusLists()
    for path in paths:
        if not path.is_file():
            raise StatusListFileError(Phrase("{path} does not exist", path=path))
        lists.add(read_status_list_file(path))
    return lists
