"""``<data dir>/network.json``: where the running nodes are and which processes they are (docs/design.md §6).

Shape: ``{"nodes": {short id: {"url", "pid", "kind", "log"}}, "overview": {"url", "pid", ...} | null,
"basePort": int, "databaseUrlTemplate": str | null, "startedAt": RFC 3339}``. Nodes read only
``nodes.*.url`` (node_core.network); ``pilot status``/``down`` read the pids too. Writes are atomic
(temporary file, then ``os.replace``), so a node re-reading the file never sees half of it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from node_core.durable_files import replace_durably
from schemas.phrase import Phrase

__all__ = [
    "NETWORK_FILE",
    "NetworkRecord",
    "NetworkRecordError",
    "ProcessEntry",
    "read_record",
    "remove_record",
    "write_record",
]

NETWORK_FILE = "network.json"


class NetworkRecordError(ValueError):
    """``network.json`` exists but cannot be read as a record; ``phrase`` says why (``str()``: in English)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


@dataclass(frozen=True)
class ProcessEntry:
    """One process ``pilot up`` started: a node or the overview page."""

    url: str
    pid: int
    kind: str = ""
    log: str = ""


@dataclass
class NetworkRecord:
    """What ``network.json`` says about one running network."""

    nodes: dict[str, ProcessEntry]
    overview: ProcessEntry | None = None
    base_port: int | None = None
    database_url_template: str | None = None
    started_at: str = ""

    def to_json(self) -> dict[str, Any]:
        """The document written to disk."""
        return {
            "nodes": {node_id: _entry_json(entry) for node_id, entry in self.nodes.items()},
            "overview": None if self.overview is None else _entry_json(self.overview),
            "basePort": self.base_port,
            "databaseUrlTemplate": self.database_url_template,
            "startedAt": self.started_at,
        }


def _entry_json(entry: ProcessEntry) -> dict[str, Any]:
    return asdict(entry)


def _entry(value: Any) -> ProcessEntry | None:
    if not isinstance(value, dict):
        return None
    url, pid = value.get("url"), value.get("pid")
    if not isinstance(url, str) or not isinstance(pid, int):
        return None
    return ProcessEntry(url=url, pid=pid, kind=str(value.get("kind", "")), log=str(value.get("log", "")))


def read_record(data_dir: Path) -> NetworkRecord | None:
    """The record in ``data_dir``, or None when there is none; entries without url and pid are skipped.

    ``NetworkRecordError`` (a ``ValueError``) when the file exists but is not a JSON object with ``nodes``.
    """
    path = Path(data_dir) / NETWORK_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetworkRecordError(Phrase("{path}: not readable as JSON: {problem}", path=path, problem=exc)) from exc
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), dict):
        raise NetworkRecordError(Phrase('{path}: expected {{"nodes": {{short id: {{"url", "pid"}}}}}}', path=path))
    nodes = {str(k): e for k, v in document["nodes"].items() if (e := _entry(v)) is not None}
    base_port = document.get("basePort")
    template = document.get("databaseUrlTemplate")
    return NetworkRecord(
        nodes=nodes,
        overview=_entry(document.get("overview")),
        base_port=base_port if isinstance(base_port, int) else None,
        database_url_template=template if isinstance(template, str) else None,
        started_at=str(document.get("startedAt", "")),
    )


def write_record(data_dir: Path, record: NetworkRecord) -> Path:
    """Write ``network.json`` atomically and return its path."""
    target = Path(data_dir) / NETWORK_FILE
    replace_durably(target, (json.dumps(record.to_json(), indent=2) + "\n").encode())
    return target


def remove_record(data_dir: Path) -> bool:
    """Delete ``network.json``; True if there was one."""
    try:
        (Path(data_dir) / NETWORK_FILE).unlink()
    except FileNotFoundError:
        return False
    return True
