"""The exporter's status list versions: signed, verifiable, numbered one by one, renewed before expiry.

docs/design.md §12. Every version is checked with ``schemas.status_list.verify_status_list`` against the
sandbox trust list, as a port checks it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from exporter_node.errors import ExporterError, NotFoundError
from exporter_node.state import ExporterNode
from exporter_node.status_issuer import RENEW_WITHIN, VALIDITY
from node_core.settings import NodeSettings
from schemas.codes import Code
from schemas.status_list import StatusList, status_list_url, verify_status_list
from schemas.trust import TrustRegistry

pytestmark = [pytest.mark.db]

URL = status_list_url("ru-exp-01", "revocation-1")


@pytest.fixture
def node(settings: NodeSettings) -> Iterator[ExporterNode]:
    settings.status_ttl_s = 7
    opened = ExporterNode.open(settings)
    try:
        yield opened
    finally:
        opened.close()


def _verified(node: ExporterNode, trust: TrustRegistry, sequence: int | None = None) -> StatusList:
    store = node.status_issuer.store
    version = store.latest("revocation-1") if sequence is None else store.version("revocation-1", sequence)
    assert version is not None
    return verify_status_list(version.credential, trust, node.now(), url=URL)


def test_the_first_version_is_signed_once_empty_with_the_node_ttl(node: ExporterNode, trust: TrustRegistry) -> None:
    now = datetime.now(UTC)
    [first] = node.status_issuer.ensure_current(now)
    assert node.status_issuer.ensure_current(now) == []  # already current: nothing more
    verified = _verified(node, trust)
    assert (verified.sequence, verified.purpose, verified.issuer_did) == (
        1,
        "revocation",
        "did:web:pilot.example:ru-exp-01",
    )
    assert not any(verified.bits)
    assert verified.ttl == timedelta(seconds=7)
    assert verified.valid_until - verified.valid_from == VALIDITY
    assert verified.digest == first.digest and first.pending


def test_a_list_close_to_expiry_is_signed_again(node: ExporterNode, trust: TrustRegistry) -> None:
    now = datetime.now(UTC)
    node.status_issuer.ensure_current(now)
    assert node.status_issuer.ensure_current(now + VALIDITY - RENEW_WITHIN - timedelta(hours=1)) == []
    [renewed] = node.status_issuer.ensure_current(now + VALIDITY - RENEW_WITHIN + timedelta(minutes=1))
    assert renewed.sequence == 2
    assert renewed.valid_until > now + VALIDITY


def test_each_change_signs_the_next_version_with_exactly_the_bits_set(node: ExporterNode, trust: TrustRegistry) -> None:
    issuer = node.status_issuer
    for n in range(3):
        issuer.entries(f"urn:uuid:{n}", "ConsignmentManifest", node.now())
    issuer.ensure_current(node.now())
    revoked = issuer.change("urn:uuid:1", "revoke", node.now())
    assert revoked.changed and revoked.version.sequence == 2 and revoked.status == {"revocation": True}
    again = issuer.change("urn:uuid:1", "revoke", node.now())
    assert not again.changed and again.version.sequence == 2  # nothing changed: no new version
    issuer.change("urn:uuid:2", "revoke", node.now())
    verified = _verified(node, trust)
    assert verified.sequence == 3
    assert [i for i in range(8) if verified.is_set(i)] == [1, 2]
    assert [i for i in range(8) if _verified(node, trust, 2).is_set(i)] == [1]
    history = issuer.describe("urn:uuid:1")["history"]
    assert [(h["sequence"], h["set"]) for h in history] == [(1, False), (2, True), (3, True)]


def test_concurrent_changes_each_get_a_version_and_the_last_holds_every_bit(
    node: ExporterNode, trust: TrustRegistry
) -> None:
    issuer = node.status_issuer
    count = 12
    for n in range(count):
        issuer.entries(f"urn:uuid:{n}", "DigitalTraceabilityEvent", node.now())
    issuer.ensure_current(node.now())
    start = threading.Barrier(count)

    def revoke(n: int) -> int:
        start.wait()
        return issuer.change(f"urn:uuid:{n}", "revoke", node.now()).version.sequence

    with ThreadPoolExecutor(count) as pool:
        sequences = sorted(pool.map(revoke, range(count)))
    assert sequences == list(range(2, count + 2))
    versions = issuer.store.versions("revocation-1")
    assert [v.sequence for v in versions] == list(range(1, count + 2))
    # every version holds one more bit than the one before it: none signed over a stale set of bits
    set_counts = [sum(bin(b).count("1") for b in _verified(node, trust, v.sequence).bits) for v in versions]
    assert set_counts == list(range(count + 1))


@pytest.mark.parametrize("action", ["suspend", "reinstate"])
def test_the_exporter_s_records_cannot_be_suspended_or_reinstated(node: ExporterNode, action: str) -> None:
    node.status_issuer.entries("urn:uuid:r", "DigitalFacilityRecord", node.now())
    with pytest.raises(ExporterError) as caught:
        node.status_issuer.change("urn:uuid:r", action, node.now())  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.status) == (Code.REQUEST_INVALID, 422)
    assert node.status_issuer.store.latest("revocation-1") is None  # nothing signed


def test_an_unknown_credential_is_not_found(node: ExporterNode) -> None:
    with pytest.raises(NotFoundError):
        node.status_issuer.change("urn:uuid:never-issued", "revoke", node.now())
