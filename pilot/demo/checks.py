"""Outside checks the demo makes after the scenario: every receipt, every port's whole log, sealed data at rest.

These use only ``schemas`` and public endpoints (through ``node_core.port_client``), as a sceptic with
the trust list would: a receipt's signature (the port's ``assertion`` key), its inclusion proof against
its checkpoint, the checkpoint's signature (the port's ``log`` key); and for each log, every entry
fetched, the tree rebuilt and its root compared with the latest signed checkpoint.

``check_sealed_at_rest`` looks where an operator would: at the bytes of the nodes' SQLite files (the
main file, the write-ahead log and its index), searched for laboratory values known to be in the sealed
plaintext, which must be found in the sealed credentials once opened with the port's key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from node_core.port_client import PeerAnswerInvalid, SyncPortClient
from schemas.canonical import canonicalize
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import log_origin
from schemas.merkle import MerkleTree, leaf_hash
from schemas.receipt import verify_receipt
from schemas.sealing import is_sealed, open_sealed_credential
from schemas.signed_note import verify_checkpoint
from schemas.trust import TrustRegistry


def check_receipt(receipt: Mapping[str, Any], port_id: str, trust: TrustRegistry, at: datetime) -> str | None:
    """None when the receipt verifies completely (``schemas.verify_receipt``), else what failed."""
    try:
        verify_receipt(receipt, trust, port_id=port_id, at=at)
    except (VerificationError, KeyError, TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class LogAudit:
    """What auditing one port's whole log found."""

    port_id: str
    size: int
    problem: str | None
    submission_counts: dict[tuple[str, str], int]


def audit_log(client: httpx.Client, base_url: str, port_id: str, trust: TrustRegistry) -> LogAudit:
    """Fetch the checkpoint and every entry, rebuild the tree, compare roots; count entries per submission."""
    log_key = trust.keys_of(port_id, "log")[-1]
    port = SyncPortClient(base_url, client=client)
    text = port.checkpoint()
    try:
        checkpoint = verify_checkpoint(text, log_origin(port_id), log_key.public_key)
    except VerificationError as exc:
        return LogAudit(port_id, 0, f"checkpoint: {exc}", {})
    try:
        entries = port.entries(0, checkpoint.size)
    except PeerAnswerInvalid as exc:  # not exactly the entries of the checkpoint's tree
        return LogAudit(port_id, checkpoint.size, f"entries: {exc}", {})
    tree = MerkleTree()
    counts: dict[tuple[str, str], int] = {}
    for item in entries:
        tree.append(leaf_hash(canonicalize(item.entry)))
        key = (item.entry["exporter"], item.entry["submissionId"])
        counts[key] = counts.get(key, 0) + 1
    problem = None
    if tree.root() != checkpoint.root_hash:
        problem = "the root rebuilt from the entries differs from the signed checkpoint"
    return LogAudit(port_id, checkpoint.size, problem, counts)


#: The files SQLite keeps a database in: the main file, and the write-ahead log and its index while open.
SQLITE_SUFFIXES = ("", "-wal", "-shm")


@dataclass
class SealedAtRest:
    """What the check of laboratory results at rest found (docs/design.md §8).

    ``opened``: sealed credentials opened with the port's key and found to hold their results; ``files``:
    the database files searched (None: not searched, the nodes keep their data in PostgreSQL); ``leaks``:
    (file, how many distinct values) where a value rests in clear.
    """

    opened: int = 0
    files: list[Path] | None = field(default_factory=list)
    leaks: list[tuple[Path, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every sealed credential opened to its results, and no value rests in clear in the files searched."""
        return self.opened > 0 and not self.leaks and not self.problems


def database_files(data_dir: Path, node_ids: Iterable[str]) -> list[Path]:
    """The SQLite files of ``node_ids`` in ``data_dir`` (``<id>.db`` and its ``-wal``/``-shm`` when present)."""
    return [
        path
        for node_id in node_ids
        for suffix in SQLITE_SUFFIXES
        if (path := data_dir / f"{node_id}.db{suffix}").is_file()
    ]


def check_sealed_at_rest(
    sent: Mapping[str, Any],
    values: Mapping[str, list[str]],
    agreement_keys: Mapping[str, X25519PrivateKey],
    files: list[Path] | None,
) -> SealedAtRest:
    """Laboratory results travel and rest sealed: they are found in no byte of ``files``, but are found in
    the sealed credentials of the submissions ``sent`` once opened with ``agreement_keys``.

    ``sent``: consignment id -> the submission the exporter sent; ``values``: consignment id -> the
    laboratory values it carries (ASCII). The second half is what lets the first fail: values that are not
    where they should be prove nothing by their absence elsewhere. ``files`` None: there are no files to
    search (PostgreSQL); an empty list is a problem.
    """
    found = SealedAtRest(files=None if files is None else list(files))
    for consignment_id, submission in sent.items():
        opened = b""
        for credential in submission.get("credentials", []) if isinstance(submission, Mapping) else []:
            if not is_sealed(credential):
                continue
            try:
                opened += canonicalize(open_sealed_credential(credential, agreement_keys).credential)
            except PilotSchemaError as exc:
                found.problems.append(f"{consignment_id}: a sealed credential does not open: {exc}")
                continue
            found.opened += 1
        missing = [v for v in values.get(consignment_id, []) if v.encode() not in opened]
        if missing or not opened:
            found.problems.append(f"{consignment_id}: its laboratory results are not in what it sent sealed")
    wanted = {v.encode() for vs in values.values() for v in vs}
    for path in files or []:
        data = path.read_bytes()
        count = sum(1 for value in wanted if value in data)
        if count:
            found.leaks.append((path, count))
    if files == []:
        found.problems.append("no database file to search (the nodes keep no SQLite file here)")
    return found
