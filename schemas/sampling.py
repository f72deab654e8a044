"""Inspection sampling a port applies and an auditor checks afterwards (docs/design.md §6).

A port whose policy has ``inspection.samplingRate`` r > 0 holds a submission for inspection when

    sample = first 8 bytes of HMAC-SHA256(day key, ASCII of the submission digest), big-endian, / 2**64
    sample < r

where the day key is ``HMAC-SHA256(port secret, "sampling/" + the UTC date of the port's receive time,
YYYY-MM-DD)``. The port secret never leaves the port's data directory; the day key is published by the
port (``GET /v1/inspection/sampling-keys/{YYYY-MM-DD}``) only once that UTC day is over. So an exporter
cannot tell in advance which of its submissions will be held (the submission digest is its own, the key
is not), and anyone can check afterwards, from the public log entries (digest, decision, receive time)
and the published keys, that every decision followed the published rate.

Pure: no I/O; the port keeps the secret (``port_node.sampling``), the auditor fetches the keys.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from schemas.time import parse_time

__all__ = ["SAMPLING_KEY_BYTES", "SamplingAudit", "audit_sampling", "day_key", "is_sampled", "sample_value"]

#: Length of a day key (HMAC-SHA256 output), and of a port secret.
SAMPLING_KEY_BYTES = 32


def day_key(port_secret: bytes, day: date) -> bytes:
    """The sampling key of ``day`` (UTC): HMAC-SHA256(port secret, ``sampling/YYYY-MM-DD``)."""
    return hmac.new(port_secret, f"sampling/{day.isoformat()}".encode("ascii"), hashlib.sha256).digest()


def sample_value(key: bytes, submission_digest: str) -> float:
    """The submission's sample in [0, 1): HMAC-SHA256(key, digest) read as a 64-bit fraction."""
    mac = hmac.new(key, submission_digest.encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") / 2**64


def is_sampled(key: bytes, submission_digest: str, rate: float) -> bool:
    """True when a port sampling at ``rate`` with ``key`` holds the submission for inspection."""
    return rate > 0 and sample_value(key, submission_digest) < rate


@dataclass
class SamplingAudit:
    """What checking a port's log entries against its published day keys found."""

    checked: int = 0
    #: Days with entries but no published key (today's, or a key the port did not publish).
    days_without_key: set[date] = field(default_factory=set)
    #: Accepted although the sample selected them: the port skipped an inspection it owed.
    accepted_but_sampled: list[Mapping[str, Any]] = field(default_factory=list)
    #: Held although the sample did not select them: held by another rule (``holdHsCodes``, which the
    #: log entry cannot show), or by no rule at all; worth a look at the receipt.
    held_not_sampled: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """True when no accepted entry should have been held."""
        return not self.accepted_but_sampled


def audit_sampling(entries: Iterable[Mapping[str, Any]], keys: Mapping[date, bytes], rate: float) -> SamplingAudit:
    """Check public log entries (``submissionDigest``, ``decision``, ``receivedAt``) against day keys.

    ``rate`` is the ``samplingRate`` of the port's policy in the trust list in force. Rejected entries
    are not sampled (a rejection comes first) and are skipped.
    """
    audit = SamplingAudit()
    for entry in entries:
        decision = entry.get("decision")
        if decision not in ("accepted", "held_for_inspection"):
            continue
        day = parse_time(str(entry["receivedAt"])).date()
        key = keys.get(day)
        if key is None:
            audit.days_without_key.add(day)
            continue
        audit.checked += 1
        sampled = is_sampled(key, str(entry["submissionDigest"]), rate)
        if decision == "accepted" and sampled:
            audit.accepted_but_sampled.append(entry)
        elif decision == "held_for_inspection" and not sampled:
            audit.held_not_sampled.append(entry)
    return audit
