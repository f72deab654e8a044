"""``node_core.status_cache.RegistryStatusLists``: verified lists kept while fresh, fail closed otherwise.

The registry is ``tests.support.registry.RegistryStandin`` behind ``httpx.MockTransport`` (no socket), serving
lists signed with the sandbox keys; the cache's clock is a fake one the tests move on.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from node_core.metrics import Metrics
from node_core.network import PeerDirectory, UnknownPeerError
from node_core.settings import NodeSettings
from node_core.status_cache import FAIL_FAST_S, RegistryStatusLists, max_age_of
from pilot.sandbox import Sandbox, build_sandbox, fixture_status_lists
from schemas.canonical import canonicalize
from schemas.status_list import StatusList, StatusUnavailable, status_list_url
from schemas.trust import TrustRegistry
from tests.support.registry import REGISTRY_URL, RegistryStandin, list_version

AT = datetime(2026, 11, 1, tzinfo=UTC)
ISSUER = "cert-01"
URL = status_list_url(ISSUER, "revocation-1")
PATH = "/v1/status/cert-01/revocation-1"
TTL = timedelta(seconds=300)
#: The version the registry holds at first.
FIRST = 5


@functools.cache
def sandbox() -> Sandbox:
    return build_sandbox()


@functools.cache
def trust() -> TrustRegistry:
    return TrustRegistry.from_document(sandbox().trust_list)


def signed_list(
    sequence: int,
    bits: tuple[int, ...] = (),
    *,
    signer: str | None = None,
    list_name: str = "revocation-1",
    ttl: timedelta = TTL,
    valid_until: datetime = datetime(2027, 1, 1, tzinfo=UTC),
) -> dict[str, Any]:
    """Version ``sequence`` of cert-01's list with ``bits`` set, signed by ``signer`` (cert-01 unless told)."""
    return list_version(
        sandbox().keyrings,
        status_list_url(ISSUER, list_name),
        sequence=sequence,
        set_indexes=bits,
        ttl=ttl,
        valid_until=valid_until,
        signed_by=signer,
    )


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry() -> RegistryStandin:
    return RegistryStandin.serving([signed_list(FIRST)])


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def lookup(registry: RegistryStandin, clock: FakeClock, metrics: Metrics) -> Iterator[RegistryStatusLists]:
    lists = registry.lookup(clock=clock)
    lists.instrument(metrics)
    yield lists
    lists.close()


def found(answer: StatusList | StatusUnavailable) -> StatusList:
    assert isinstance(answer, StatusList), answer
    return answer


def unavailable(answer: StatusList | StatusUnavailable) -> str:
    assert isinstance(answer, StatusUnavailable), answer
    return answer.why


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(f"pilot_{name}", labels)
    return value or 0.0


# -- fetching and caching -------------------------------------------------------------------------------------


def test_a_fetched_list_is_verified_and_served_from_the_cache_while_fresh(
    lookup: RegistryStatusLists, registry: RegistryStandin, clock: FakeClock, metrics: Metrics
) -> None:
    first = found(lookup.status_list(URL, trust(), AT))
    assert (first.url, first.sequence, first.issuer_did) == (URL, FIRST, "did:web:pilot.example:cert-01")
    clock.advance(TTL.total_seconds() - 1)
    assert found(lookup.status_list(URL, trust(), AT)) is first
    assert len(registry.requests) == 1
    assert registry.requests[0].url == httpx.URL(REGISTRY_URL + PATH)
    assert "if-none-match" not in registry.requests[0].headers
    assert sample(metrics, "status_list_fetches_total", outcome="fetched") == 1
    assert sample(metrics, "status_list_cache_hits_total") == 1
    assert lookup.held_urls() == [URL]


def test_once_stale_it_asks_again_conditionally_and_a_304_renews_the_copy(
    lookup: RegistryStatusLists, registry: RegistryStandin, clock: FakeClock, metrics: Metrics
) -> None:
    first = found(lookup.status_list(URL, trust(), AT))
    clock.advance(TTL.total_seconds())
    again = found(lookup.status_list(URL, trust(), AT))
    assert (again.sequence, again.digest) == (first.sequence, first.digest)
    assert registry.requests[1].headers["if-none-match"] == f'"{first.digest}"'
    assert sample(metrics, "status_list_fetches_total", outcome="not_modified") == 1
    clock.advance(TTL.total_seconds() - 1)  # the 304 made it fresh for another ttl
    found(lookup.status_list(URL, trust(), AT))
    assert len(registry.requests) == 2


def test_a_new_version_replaces_the_held_one_once_the_held_one_is_stale(
    lookup: RegistryStatusLists, registry: RegistryStandin, clock: FakeClock
) -> None:
    assert not found(lookup.status_list(URL, trust(), AT)).is_set(7)
    registry.publish(signed_list(FIRST + 1, (7,)))
    assert not found(lookup.status_list(URL, trust(), AT)).is_set(7)  # still fresh: no request
    clock.advance(TTL.total_seconds())
    newer = found(lookup.status_list(URL, trust(), AT))
    assert (newer.sequence, newer.is_set(7)) == (FIRST + 1, True)


@pytest.mark.parametrize(
    ("ttl_s", "max_age", "fresh_s"),
    [
        pytest.param(300, 10, 10, id="max-age-shorter-than-ttl"),
        pytest.param(5, 600, 5, id="ttl-shorter-than-max-age"),
        pytest.param(300, None, 300, id="no-max-age-ttl-alone"),
        pytest.param(300, 0, 0, id="max-age-zero-every-lookup-asks"),
    ],
)
def test_freshness_is_the_shorter_of_ttl_and_max_age(
    clock: FakeClock, ttl_s: int, max_age: int | None, fresh_s: int
) -> None:
    registry = RegistryStandin.serving([signed_list(1, ttl=timedelta(seconds=ttl_s))])
    registry.max_age = max_age
    registry.send_cache_control = max_age is not None
    with_lookup = registry.lookup(clock=clock)
    try:
        found(with_lookup.status_list(URL, trust(), AT))
        if fresh_s:
            clock.advance(fresh_s - 0.5)
            found(with_lookup.status_list(URL, trust(), AT))
            assert len(registry.requests) == 1
            clock.advance(0.5)
        found(with_lookup.status_list(URL, trust(), AT))
        assert len(registry.requests) == 2
    finally:
        with_lookup.close()


def test_freshness_never_reaches_past_the_lists_valid_until(clock: FakeClock) -> None:
    ends = AT + timedelta(seconds=30)
    registry = RegistryStandin.serving([signed_list(1, valid_until=ends)])
    lookup = registry.lookup(clock=clock)
    try:
        found(lookup.status_list(URL, trust(), AT))
        clock.advance(30)
        assert "does not verify" in unavailable(lookup.status_list(URL, trust(), AT + timedelta(seconds=31)))
        assert len(registry.requests) == 2
    finally:
        lookup.close()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("public, max-age=60", 60.0),
        ("max-age=0", 0.0),
        ('max-age="15", public', 15.0),
        ("public, no-cache", 0.0),
        ("no-store", 0.0),
        ("public", None),
        ("", None),
        (None, None),
        ("s-maxage=9", None),
    ],
)
def test_max_age_of(header: str | None, seconds: float | None) -> None:
    assert max_age_of(header) == seconds


# -- fail closed ------------------------------------------------------------------------------------------------


def _tampered() -> dict[str, Any]:
    credential = signed_list(FIRST + 1, (3,))
    credential["credentialSubject"]["encodedList"] = signed_list(FIRST + 1, (4,))["credentialSubject"]["encodedList"]
    return credential


FAILURES: dict[str, tuple[Callable[[RegistryStandin], None], str]] = {
    "registry-down": (lambda r: setattr(r, "fault", "down"), "could not be reached"),
    "timeout": (lambda r: setattr(r, "fault", "timeout"), "could not be reached"),
    "server-error": (lambda r: setattr(r, "fault", 503), "HTTP 503"),
    "rate-limited": (lambda r: setattr(r, "fault", 429), "HTTP 429"),
    "bad-request": (lambda r: setattr(r, "fault", 400), "HTTP 400"),
    "list-withdrawn": (lambda r: r.withdraw(URL), "has no such status list"),
    "tampered-list": (lambda r: r.publish(_tampered()), "does not verify"),
    "signed-by-another-issuer": (lambda r: r.publish(signed_list(FIRST + 1, signer="cert-02")), "does not verify"),
    "another-list-at-this-url": (
        lambda r: r.lists.__setitem__(PATH, canonicalize(signed_list(FIRST + 1, list_name="revocation-2"))),
        "not the status list that was asked for",
    ),
    "not-json": (lambda r: r.lists.__setitem__(PATH, b"{not json"), "not strict JSON"),
    "rollback": (lambda r: r.publish(signed_list(FIRST - 1)), "rollback"),
    "same-version-other-content": (
        lambda r: r.publish(signed_list(FIRST, (9,))),
        f"another status list as version {FIRST}",
    ),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_a_failed_refetch_never_falls_back_on_the_stale_copy(
    name: str, lookup: RegistryStatusLists, registry: RegistryStandin, clock: FakeClock, metrics: Metrics
) -> None:
    found(lookup.status_list(URL, trust(), AT))
    clock.advance(TTL.total_seconds())
    break_it, why = FAILURES[name]
    break_it(registry)
    assert why in unavailable(lookup.status_list(URL, trust(), AT))
    clock.advance(FAIL_FAST_S)  # past the fail-fast pause that follows a registry that did not answer
    assert why in unavailable(lookup.status_list(URL, trust(), AT))  # and again: it asks again, still no list
    assert len(registry.requests) == 3
    failed = sum(
        sample(metrics, "status_list_fetches_total", outcome=o)
        for o in ("not_found", "invalid", "rollback", "unavailable")
    )
    assert failed == 2


def test_it_recovers_when_the_registry_serves_a_good_list_again(
    lookup: RegistryStatusLists, registry: RegistryStandin, clock: FakeClock
) -> None:
    found(lookup.status_list(URL, trust(), AT))
    clock.advance(TTL.total_seconds())
    registry.fault = "down"
    unavailable(lookup.status_list(URL, trust(), AT))
    assert lookup.registry_problem is not None and "could not be reached" in lookup.registry_problem
    registry.fault = None
    clock.advance(FAIL_FAST_S)
    assert found(lookup.status_list(URL, trust(), AT)).sequence == FIRST
    assert lookup.registry_problem is None


@pytest.mark.parametrize("fault", ["down", "timeout", 503])
def test_after_the_registry_failed_to_answer_no_list_asks_it_again_for_a_moment(
    fault: str | int, lookup: RegistryStatusLists, registry: RegistryStandin, clock: FakeClock
) -> None:
    other = status_list_url(ISSUER, "revocation-2")
    registry.publish(signed_list(FIRST, list_name="revocation-2"))
    registry.fault = fault
    unavailable(lookup.status_list(URL, trust(), AT))
    asked = len(registry.requests)
    # Another list, at once: no request, unavailable (a hanging registry costs one timeout, not one per list).
    assert "registry" in unavailable(lookup.status_list(other, trust(), AT))
    assert len(registry.requests) == asked
    registry.fault = None
    clock.advance(FAIL_FAST_S)
    assert found(lookup.status_list(other, trust(), AT)).sequence == FIRST
    assert len(registry.requests) == asked + 1


def test_a_registry_that_answers_no_such_list_does_not_pause_the_others(
    lookup: RegistryStatusLists, registry: RegistryStandin
) -> None:
    missing = URL.replace("revocation-1", "revocation-9")
    unavailable(lookup.status_list(missing, trust(), AT))
    assert found(lookup.status_list(URL, trust(), AT)).sequence == FIRST


def test_a_list_never_fetched_is_unavailable_when_the_registry_is_down(
    lookup: RegistryStatusLists, registry: RegistryStandin
) -> None:
    registry.fault = "down"
    assert "could not be reached" in unavailable(lookup.status_list(URL, trust(), AT))
    assert lookup.held_urls() == []


def test_an_unknown_list_is_unavailable_and_not_remembered(
    lookup: RegistryStatusLists, registry: RegistryStandin
) -> None:
    other = status_list_url(ISSUER, "revocation-404")
    assert unavailable(lookup.status_list(other, trust(), AT)) == "the registry has no such status list"
    assert lookup.registry_problem is None  # the registry answered: it is reachable
    assert lookup.held_urls() == []


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/v1/status/cert-01/revocation-1",
        "http://registry.pilot.example/v1/status/cert-01/revocation-1",
        "https://registry.pilot.example/v1/status/cert-01/revocation-1/../../x",
        "https://registry.pilot.example/v1/status/CERT-01/revocation-1",
    ],
)
def test_a_url_that_is_not_a_pilot_status_list_is_never_fetched(
    url: str, lookup: RegistryStatusLists, registry: RegistryStandin
) -> None:
    assert unavailable(lookup.status_list(url, trust(), AT)) == "not a pilot status list URL"
    assert registry.requests == []


def test_a_held_list_is_verified_again_when_the_trust_list_changes(
    lookup: RegistryStatusLists, registry: RegistryStandin
) -> None:
    found(lookup.status_list(URL, trust(), AT))
    document = copy.deepcopy(sandbox().trust_list)
    for participant in document["participants"]:
        if participant["id"] == ISSUER:
            for key in participant["keys"]:
                key["revokedAt"] = "2026-06-01T00:00:00Z"
    revoked = TrustRegistry.from_document(document)
    assert "does not verify with the current trust list" in unavailable(lookup.status_list(URL, revoked, AT))
    assert len(registry.requests) == 1  # judged again without asking the registry
    assert found(lookup.status_list(URL, trust(), AT)).sequence == FIRST  # the old list refetched and trusted again


def test_an_answer_beyond_the_size_bound_is_not_read(clock: FakeClock, registry: RegistryStandin) -> None:
    lookup = registry.lookup(clock=clock, max_bytes=200)
    try:
        assert "larger than 200 bytes" in unavailable(lookup.status_list(URL, trust(), AT))
    finally:
        lookup.close()


def test_no_registry_known_is_unavailable_and_named_for_health(clock: FakeClock, tmp_path: Any) -> None:
    peers = PeerDirectory(NodeSettings(node_id="cn-port-01", data_dir=tmp_path))
    with pytest.raises(UnknownPeerError):
        peers.url_for("registry")
    lookup = RegistryStatusLists.for_peers(peers, clock=clock)
    try:
        assert unavailable(lookup.status_list(URL, trust(), AT)) == "no registry is known to this node"
        assert lookup.registry_problem == "no registry is known to this node"
    finally:
        lookup.close()


def test_for_peers_finds_the_registry_in_pilot_peer_urls(registry: RegistryStandin, clock: FakeClock) -> None:
    settings = NodeSettings(node_id="cn-port-01", peer_urls={"registry": REGISTRY_URL})
    lookup = RegistryStatusLists.for_peers(PeerDirectory(settings), transport=registry.transport(), clock=clock)
    try:
        assert found(lookup.status_list(URL, trust(), AT)).sequence == FIRST
    finally:
        lookup.close()


# -- one fetch at a time per URL --------------------------------------------------------------------------------


class SlowRegistry(RegistryStandin):
    """Takes ``delay_s`` to answer (in the transport's thread), to make callers overlap."""

    delay_s: float = 0.3

    def handle(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.delay_s)
        return super().handle(request)


@pytest.mark.parametrize("fault", [None, "down", 503])
def test_concurrent_lookups_of_one_url_share_one_fetch(fault: str | int | None) -> None:
    registry = SlowRegistry.serving([signed_list(1)])
    registry.fault = fault
    lookup = registry.lookup()
    answers: list[StatusList | StatusUnavailable] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        answers.append(lookup.status_list(URL, trust(), AT))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        lookup.close()
    assert len(answers) == 8
    assert len(registry.requests) == 1
    kinds = {type(a) for a in answers}
    assert kinds == ({StatusList} if fault is None else {StatusUnavailable})


class GatedRegistry(RegistryStandin):
    """Holds every answer for ``PATH`` until ``gate`` is set (``entered`` is set once one is held)."""

    gate = threading.Event()
    entered = threading.Event()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == PATH:
            self.entered.set()
            self.gate.wait(10)
        return super().handle(request)


def test_a_slow_fetch_of_one_url_does_not_block_another() -> None:
    other = status_list_url("cert-02", "revocation-0")
    registry = GatedRegistry.serving([signed_list(1), fixture_status_lists(sandbox())["cert-02/revocation-0.json"]])
    registry.gate, registry.entered = threading.Event(), threading.Event()
    lookup = registry.lookup()
    slow = threading.Thread(target=lambda: lookup.status_list(URL, trust(), AT))
    try:
        slow.start()
        assert registry.entered.wait(10)  # the slow fetch is under way
        started = time.monotonic()
        assert found(lookup.status_list(other, trust(), AT)).sequence == 1
        assert time.monotonic() - started < 1.0
    finally:
        registry.gate.set()
        slow.join(10)
        lookup.close()
