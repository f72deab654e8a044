"""``RegistryStatusLists`` against the real registry app (``registry_node``), in process (no socket).

Lists are published to the registry as issuers publish them (``node_core.status_publish``, RFC 9421-signed),
and fetched by the cache through the registry's ``GET /v1/status/{issuer}/{list}`` with its real ETag and
Cache-Control; the cache's clock is a fake one the tests move on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from node_core.metrics import Metrics
from node_core.status_cache import RegistryStatusLists
from node_core.status_publish import publish_status_list
from pilot.synthetic import Signer
from schemas.status_list import StatusList, StatusUnavailable, status_list_url
from schemas.trust import TrustRegistry
from tests.registry_node.registry_harness import BASE_URL, RegistryHarness, blocking_client, sandbox
from tests.support.registry import blocking_transport, list_version

pytestmark = pytest.mark.db

URL = status_list_url("cert-01", "revocation-1")
TTL = timedelta(seconds=60)


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def publish(registry_app: RegistryHarness, sequence: int, bits: tuple[int, ...] = ()) -> None:
    """Publish version ``sequence`` of cert-01's ``revocation-1`` as cert-01 does."""
    now = datetime.now(UTC).replace(microsecond=0)
    credential = list_version(
        sandbox().keyrings,
        URL,
        sequence=sequence,
        set_indexes=bits,
        ttl=TTL,
        valid_from=now - timedelta(hours=1),
        valid_until=now + timedelta(days=30),
    )
    with blocking_client(registry_app.app) as client:
        published = publish_status_list(client, BASE_URL, credential, Signer(sandbox().keyrings).key("cert-01"))
    assert (published.status, published.sequence) == (201, sequence)


def test_fetch_cache_revalidate_and_follow_new_versions_from_the_real_registry(registry_app: RegistryHarness) -> None:
    trust = TrustRegistry.from_document(sandbox().trust_list)
    clock, metrics = FakeClock(), Metrics()
    publish(registry_app, 1)
    with blocking_transport(registry_app.app) as transport:
        lookup = RegistryStatusLists(lambda: BASE_URL, transport=transport, clock=clock)
        lookup.instrument(metrics)
        try:
            at = datetime.now(UTC)
            first = lookup.status_list(URL, trust, at)
            assert isinstance(first, StatusList) and (first.sequence, first.is_set(3)) == (1, False)

            clock.now += TTL.total_seconds()  # stale: asked again with If-None-Match, answered 304
            again = lookup.status_list(URL, trust, at)
            assert isinstance(again, StatusList) and again.digest == first.digest

            publish(registry_app, 2, (3,))  # cert-01 revokes index 3
            assert lookup.status_list(URL, trust, at) == again  # still fresh: the cache answers
            clock.now += TTL.total_seconds()
            newer = lookup.status_list(URL, trust, at)
            assert isinstance(newer, StatusList) and (newer.sequence, newer.is_set(3)) == (2, True)

            unknown = lookup.status_list(status_list_url("cert-01", "revocation-404"), trust, at)
            assert unknown == StatusUnavailable("the registry has no such status list")
        finally:
            lookup.close()

    def count(outcome: str) -> float:
        return metrics.registry.get_sample_value("pilot_status_list_fetches_total", {"outcome": outcome}) or 0.0

    assert (count("fetched"), count("not_modified"), count("not_found")) == (2, 1, 1)
    assert metrics.registry.get_sample_value("pilot_status_list_cache_hits_total") == 1
