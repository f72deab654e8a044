"""The sandbox's generation-0 status lists: the status of the published vectors and the test fixtures.

docs/design.md §12. Every credential the sandbox tooling signs (the vectors, the fixtures of the tests,
the demo's fault cases) carries ``credentialStatus`` entries in its issuer's generation-0 lists
(``revocation-0``, and ``suspension-0`` for certificates and attestations). Those records are fixed
by the seed, so their lists are too: ``pilot init`` writes them, signed by each issuer at the sandbox's
fixed times (``pilot.sandbox.fixture_status_lists``), to
``<data dir>/status-lists/<issuer>/<list>.json``, and ``pilot up`` publishes them to the
registry. Records issued at run time use generation 1, allocated by their issuer's own state
(``exporter_node`` for exporters, ``pilot.issuer_state`` for certifiers and ``ru-vet``).

Indexes: a fixture's index is derived from its credential id (a record signed again with the same id
gets the same index) in ``[RESERVED, STATUS_LIST_LENGTH)``, where no bit is ever set; the indexes below
``RESERVED`` are given explicitly to the few vectors whose status is set (``SET_IN_FIXTURES``).
"""

from __future__ import annotations

import hashlib

from pilot.participants import EXPORTER_IDS
from schemas.models.credential import StatusPurpose
from schemas.status_list import STATUS_LIST_LENGTH, purposes_for, status_entries

__all__ = [
    "FIXTURE_GENERATION",
    "ISSUERS",
    "RESERVED",
    "REVOKED_INDEX",
    "SET_IN_FIXTURES",
    "SUSPENDED_INDEX",
    "fixture_index",
    "fixture_status",
]

FIXTURE_GENERATION = 0
#: Every participant that issues credentials, hence keeps status lists.
ISSUERS: tuple[str, ...] = (*EXPORTER_IDS, "cert-01", "cert-02", "ru-vet")
#: Indexes below this are given out explicitly (the vectors whose status is set); the rest are derived.
RESERVED = 16
#: The index of the published revoked certificate and of the published suspended one (both cert-01's).
REVOKED_INDEX = 1
SUSPENDED_INDEX = 2
#: (issuer, purpose) -> the indexes whose bit is set in the sandbox's generation-0 list.
SET_IN_FIXTURES: dict[tuple[str, StatusPurpose], tuple[int, ...]] = {
    ("cert-01", "revocation"): (REVOKED_INDEX,),
    ("cert-01", "suspension"): (SUSPENDED_INDEX,),
}


def fixture_index(credential_id: str) -> int:
    """The generation-0 index of a fixture credential: derived from its id, never a reserved one."""
    digest = int.from_bytes(hashlib.sha256(credential_id.encode()).digest()[:8], "big")
    return RESERVED + digest % (STATUS_LIST_LENGTH - RESERVED)


def fixture_status(
    issuer_id: str, credential_id: str, record_type: str, *, index: int | None = None
) -> list[dict[str, str]]:
    """The ``credentialStatus`` of a fixture credential (``index`` given only for the reserved ones)."""
    chosen = fixture_index(credential_id) if index is None else index
    return status_entries(issuer_id, chosen, purposes_for(record_type), generation=FIXTURE_GENERATION)
