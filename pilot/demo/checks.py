"""Outside checks the demo makes after the scenario: every receipt, and every port's whole log.

These use only ``schemas`` and public endpoints (through ``node_core.port_client``), as a sceptic with
the trust list would: a receipt's signature (the port's ``assertion`` key), its inclusion proof against
its checkpoint, the checkpoint's signature (the port's ``log`` key); and for each log, every entry
fetched, the tree rebuilt and its root compared with the latest signed checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from node_core.port_client import PeerAnswerInvalid, SyncPortClient
from schemas.canonical import canonicalize
from schemas.errors import VerificationError
from schemas.identifiers import log_origin
from schemas.merkle import MerkleTree, leaf_hash
from schemas.receipt import verify_receipt
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
