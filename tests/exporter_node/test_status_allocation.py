"""The exporter allocates its records' status list indexes from its database (docs/design.md §12).

Unique under concurrency, never reused (not even after a revocation), kept across a restart, and carried
by every record the node signs: facility records, traceability events, manifests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from exporter_node.state import ExporterNode
from node_core.settings import NodeSettings
from schemas.jose import credential_payload
from schemas.status_list import status_list_url

pytestmark = [pytest.mark.db]

AT = datetime(2026, 3, 1, tzinfo=UTC)
REVOCATION = status_list_url("ru-exp-01", "revocation-1")


@pytest.fixture
def node(settings: NodeSettings) -> Iterator[ExporterNode]:
    """``ru-exp-01``'s node state over the test database (no app)."""
    opened = ExporterNode.open(settings)
    try:
        yield opened
    finally:
        opened.close()


def test_concurrent_allocations_get_distinct_consecutive_indexes(node: ExporterNode) -> None:
    threads, each = 8, 25
    start = threading.Barrier(threads)

    def allocate(worker: int) -> list[int]:
        start.wait()
        return [
            node.status_issuer.store.allocate(f"urn:uuid:w{worker}-{n}", "ConsignmentManifest", AT).index
            for n in range(each)
        ]

    with ThreadPoolExecutor(threads) as pool:
        indexes = [i for batch in pool.map(allocate, range(threads)) for i in batch]
    assert sorted(indexes) == list(range(threads * each))


def test_an_index_is_never_given_twice_not_even_after_a_revocation(node: ExporterNode) -> None:
    issuer = node.status_issuer
    first = issuer.entries("urn:uuid:first", "DigitalFacilityRecord", AT)
    assert issuer.entries("urn:uuid:first", "DigitalFacilityRecord", AT) == first  # asked again: the same
    issuer.ensure_current(node.now())
    issuer.change("urn:uuid:first", "revoke", node.now())
    second = issuer.entries("urn:uuid:second", "DigitalFacilityRecord", AT)
    assert [e["statusListIndex"] for e in first + second] == ["0", "1"]


def test_allocations_bits_and_versions_survive_a_restart(settings: NodeSettings) -> None:
    node = ExporterNode.open(settings)
    try:
        node.status_issuer.entries("urn:uuid:a", "DigitalTraceabilityEvent", AT)
        node.status_issuer.entries("urn:uuid:b", "ConsignmentManifest", AT)
        node.status_issuer.ensure_current(node.now())
        node.status_issuer.change("urn:uuid:a", "revoke", node.now())
    finally:
        node.close()
    again = ExporterNode.open(settings)
    try:
        [entry] = again.status_issuer.entries("urn:uuid:c", "ConsignmentManifest", AT)
        assert entry["statusListIndex"] == "2"
        assert again.status_issuer.describe("urn:uuid:a")["status"] == {"revocation": True}
        latest = again.status_issuer.store.latest("revocation-1")
        assert latest is not None and latest.sequence == 2
    finally:
        again.close()


def test_every_record_the_exporter_signs_carries_a_revocation_entry(node: ExporterNode) -> None:
    trust = node.trust.current()
    records = [
        node.issuer.issue(record_type, {"id": f"urn:pilot:test:{n}"}, trust=trust, at=AT)
        for n, record_type in enumerate(["DigitalFacilityRecord", "DigitalTraceabilityEvent", "ConsignmentManifest"])
    ]
    entries: list[dict[str, Any]] = [e for record in records for e in record["credentialStatus"]]
    assert [e["statusPurpose"] for e in entries] == ["revocation"] * 3
    assert {e["statusListCredential"] for e in entries} == {REVOCATION}
    assert [e["statusListIndex"] for e in entries] == ["0", "1", "2"]
    for record, entry in zip(records, entries, strict=True):
        allocation = node.status_issuer.store.allocation(credential_payload(record)["id"])
        assert allocation is not None and str(allocation.index) == entry["statusListIndex"]
