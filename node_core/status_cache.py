"""Status lists fetched from the registry and kept while fresh: the port's and the exporter's ``StatusLookup``.

docs/design.md §12. ``RegistryStatusLists.status_list(url, trust, at)`` answers for a pilot status list URL
(``https://registry.pilot.example/v1/status/<issuer>/<list>``, a name, not a location) by GETting the same
path from the registry this node knows (peer id ``registry``: ``PILOT_PEER_URLS`` or ``network.json``).
The rules, all fail closed (never a list that was not verified, never a stale one):

1. Every list fetched is verified (``schemas.status_list.verify_status_list`` against the trust list at
   the judged time, and that it is the list at that URL) before it is used or kept.
2. A verified list is used, without asking again, for the shorter of its ``ttl`` and the registry's
   ``Cache-Control: max-age`` (never past its ``validUntil``), counted from when the fetch started.
   A list kept is verified again when the trust list changes.
3. After that, the registry is asked again with ``If-None-Match``; ``304`` renews the freshness of the
   copy held. Anything else that is not a good list (a transport error, a timeout, a 5xx, a 404, an
   answer beyond ``MAX_STATUS_LIST_BYTES``, not strict JSON, a list that fails verification, a
   ``sequence`` lower than one already seen here, i.e. a rollback, or another list under a sequence
   already seen) gives ``StatusUnavailable`` and the stale copy is NOT used: the caller holds the
   submission (``STATUS_UNAVAILABLE``) rather than accept it without a status check that succeeded.
4. One fetch at a time per URL: callers that arrive while a fetch runs wait for it and take its outcome,
   failure included (so a registry that is down costs each caller at most one timeout, not one per
   waiter). No fetch runs while a lock shared by all URLs is held.
5. Fail fast: once the registry could not be reached (no answer, a timeout, a 5xx), no URL asks it again
   for ``FAIL_FAST_S``; those lookups are unavailable at once. A registry that hangs then costs a
   submission citing several lists one timeout, not one per list.

Messages never quote the URL or anything else from the input: they end up in receipts.

Metrics (``instrument``): ``status_list_fetches_total{outcome}`` (outcomes in ``OUTCOMES``) and
``status_list_cache_hits_total``. ``registry_problem`` says why the registry could not be reached at the
last fetch (None once it answers again), for the node's ``/health``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from prometheus_client import Counter

from node_core.metrics import Metrics
from node_core.network import PeerDirectory, UnknownPeerError
from schemas.errors import PilotSchemaError, VerificationError
from schemas.jsonio import parse_json
from schemas.status_list import StatusList, StatusUnavailable, status_list_path, verify_status_list
from schemas.trust import TrustRegistry

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "FAIL_FAST_S",
    "MAX_STATUS_LIST_BYTES",
    "OUTCOMES",
    "REGISTRY_PEER",
    "Outcome",
    "RegistryStatusLists",
    "max_age_of",
]

_log = logging.getLogger(__name__)

#: The peer id of the registry in ``network.json`` and ``PILOT_PEER_URLS``.
REGISTRY_PEER = "registry"
#: The largest status list credential read (the registry refuses a bigger one).
MAX_STATUS_LIST_BYTES = 1024 * 1024
#: Connect and read timeout of one fetch (``PILOT_STATUS_TIMEOUT_S``); the whole answer gets twice this.
DEFAULT_TIMEOUT_S = 2.0
#: After the registry could not be reached, how long no fetch is tried (module doc, rule 5).
FAIL_FAST_S = 1.0

Outcome = Literal["fetched", "not_modified", "not_found", "invalid", "rollback", "unavailable"]
#: How a fetch ended: a new verified list; 304 for the copy held; the registry has no such list; a list
#: that is not usable (not JSON, fails verification, another list); an older or conflicting version; no
#: usable answer (transport error, timeout, 5xx, 429, too large, another status, no registry known).
OUTCOMES: tuple[Outcome, ...] = ("fetched", "not_modified", "not_found", "invalid", "rollback", "unavailable")

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)", re.IGNORECASE)


def max_age_of(cache_control: str | None) -> float | None:
    """Seconds a response may be used for by its ``Cache-Control`` (0 for no-cache/no-store), None if it says none."""
    if not cache_control:
        return None
    if _NO_CACHE.search(cache_control):
        return 0.0
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


class _Failed(Exception):
    """A fetch that gave no usable list: ``outcome`` for the metrics, ``why`` for the reason's message."""

    def __init__(self, outcome: Outcome, why: str, *, registry_down: bool = False) -> None:
        super().__init__(why)
        self.outcome, self.why, self.registry_down = outcome, why, registry_down


@dataclass(frozen=True)
class _Held:
    """A verified version as fetched: the credential, its ETag, and what it verified to with which trust list."""

    credential: Mapping[str, Any]
    etag: str | None
    verified: StatusList
    trust: TrustRegistry


@dataclass
class _Entry:
    """What is known of one URL; ``lock`` serialises its fetches (module doc, rule 4)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0
    held: _Held | None = None
    fresh_until: float = float("-inf")
    highest: StatusList | None = None
    #: Fetches completed so far; a caller notes the count when it arrives.
    fetches: int = 0
    #: Why the last fetch failed (None when it gave a list).
    failure: str | None = None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class RegistryStatusLists:
    """A thread-safe ``schemas.status_list.StatusLookup`` over the registry's ``GET /v1/status/...`` (module doc).

    ``registry_url()`` gives the registry's base URL now (``UnknownPeerError`` when none is known);
    ``transport`` replaces the network (tests); ``clock`` is a monotonic clock in seconds.
    """

    def __init__(
        self,
        registry_url: Callable[[], str],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = MAX_STATUS_LIST_BYTES,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry_url = registry_url
        self._max_bytes = max_bytes
        self._deadline_s = 2 * timeout_s
        self._clock = clock
        self._http = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout_s), trust_env=False)
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # guards _entries only; never held during a fetch
        self._fetches: Counter | None = None
        self._hits: Counter | None = None
        self.registry_problem: str | None = None
        #: The monotonic time before which the registry is not asked again (rule 5).
        self._quiet_until = float("-inf")

    @classmethod
    def for_peers(cls, peers: PeerDirectory, **options: Any) -> RegistryStatusLists:
        """The lookup of a node that finds the registry among its peers (peer id ``registry``)."""
        return cls(lambda: peers.url_for(REGISTRY_PEER), **options)

    def instrument(self, metrics: Metrics) -> None:
        """Count fetches by outcome and cache hits into ``metrics`` (the node's registry)."""
        self._fetches = metrics.counter(
            "status_list_fetches", "Status list fetches from the registry, by outcome.", ["outcome"]
        )
        for outcome in OUTCOMES:
            self._fetches.labels(outcome)
        self._hits = metrics.counter("status_list_cache_hits", "Status list lookups answered from the cache.")

    def held_urls(self) -> list[str]:
        """The URLs for which a verified list is held (fresh or not)."""
        with self._lock:
            return sorted(url for url, entry in self._entries.items() if entry.held is not None)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    # -- StatusLookup ---------------------------------------------------------------------------------------

    def status_list(self, url: str, trust: TrustRegistry, at: datetime) -> StatusList | StatusUnavailable:
        """The current verified list at ``url``, or why there is none to rely on (never raises)."""
        path = status_list_path(url)
        if path is None:
            return StatusUnavailable("not a pilot status list URL")
        entry, arrived = self._enter(url)
        try:
            with entry.lock:
                if entry.held is not None and self._clock() < entry.fresh_until:
                    if self._hits is not None:
                        self._hits.inc()
                    return self._reverified(entry, entry.held, url, trust, at)
                if entry.failure is not None and entry.fetches > arrived:
                    return StatusUnavailable(entry.failure)  # a fetch that ended while this caller waited failed
                return self._refresh(entry, url, path, trust, at)
        finally:
            self._leave(url, entry)

    # -- entries --------------------------------------------------------------------------------------------

    def _enter(self, url: str) -> tuple[_Entry, int]:
        """The URL's entry, and how many fetches of it had ended when this caller arrived."""
        with self._lock:
            entry = self._entries.setdefault(url, _Entry())
            entry.users += 1
            return entry, entry.fetches

    def _leave(self, url: str, entry: _Entry) -> None:
        """Forget a URL nobody is waiting for and no list was ever verified for (URLs come from input)."""
        with self._lock:
            entry.users -= 1
            if entry.users == 0 and entry.highest is None:
                self._entries.pop(url, None)

    def _reverified(
        self, entry: _Entry, held: _Held, url: str, trust: TrustRegistry, at: datetime
    ) -> StatusList | StatusUnavailable:
        """The held list, verified again if the trust list changed since (a key may have been revoked)."""
        if held.trust is trust:
            return held.verified
        try:
            verified = verify_status_list(held.credential, trust, at, url=url)
        except VerificationError as exc:
            entry.fresh_until = float("-inf")
            return StatusUnavailable(f"the status list held does not verify with the current trust list: {_first(exc)}")
        entry.held = _Held(held.credential, held.etag, verified, trust)
        return verified

    # -- fetching ---------------------------------------------------------------------------------------------

    def _refresh(
        self, entry: _Entry, url: str, path: str, trust: TrustRegistry, at: datetime
    ) -> StatusList | StatusUnavailable:
        started = self._clock()
        try:
            held, outcome, max_age = self._fetch(entry, url, path, trust, at)
        except _Failed as failure:
            return self._failed(entry, url, failure)
        except Exception:  # never raise, never accept: whatever went wrong, there is no list to rely on
            _log.exception("status list fetch failed unexpectedly", extra={"status_list": url})
            return self._failed(entry, url, _Failed("invalid", "the status list could not be read"))
        self.registry_problem = None
        self._count(outcome)
        verified = held.verified
        lifetimes = [verified.ttl.total_seconds(), (verified.valid_until - at).total_seconds()]
        if max_age is not None:
            lifetimes.append(max_age)
        entry.held, entry.failure = held, None
        entry.fetches += 1
        entry.fresh_until = started + max(0.0, min(lifetimes))
        if entry.highest is None or verified.sequence > entry.highest.sequence:
            entry.highest = verified
        return verified

    def _failed(self, entry: _Entry, url: str, failure: _Failed) -> StatusUnavailable:
        """Record a failed fetch (the stale copy stays unused) and say why."""
        entry.failure = failure.why
        entry.fetches += 1
        self._count(failure.outcome)
        self.registry_problem = failure.why if failure.registry_down else None
        if failure.registry_down:
            self._quiet_until = max(self._quiet_until, self._clock() + FAIL_FAST_S)
        _log.warning(
            "status list unavailable", extra={"status_list": url, "outcome": failure.outcome, "why": failure.why}
        )
        return StatusUnavailable(failure.why)

    def _fetch(
        self, entry: _Entry, url: str, path: str, trust: TrustRegistry, at: datetime
    ) -> tuple[_Held, Outcome, float | None]:
        """GET the list (conditionally when one is held) and verify it; ``_Failed`` when there is no good one."""
        if self._clock() < self._quiet_until:
            raise _Failed(
                "unavailable", self.registry_problem or "the registry could not be reached", registry_down=True
            )
        try:
            base = self._registry_url()
        except UnknownPeerError as exc:
            raise _Failed("unavailable", "no registry is known to this node", registry_down=True) from exc
        held = entry.held
        headers = {"accept": "application/json", "accept-encoding": "identity"}
        if held is not None and held.etag is not None:
            headers["if-none-match"] = held.etag
        answer = self._get(base.rstrip("/") + path, headers)
        max_age = max_age_of(answer.headers.get("cache-control"))
        outcome: Outcome
        if answer.status == 304 and held is not None and "if-none-match" in headers:
            credential, etag, outcome = held.credential, held.etag, "not_modified"
        elif answer.status == 200:
            credential, etag, outcome = _credential(answer.body), answer.headers.get("etag"), "fetched"
        elif answer.status == 404:
            raise _Failed("not_found", "the registry has no such status list")
        elif answer.status == 429 or answer.status >= 500:
            raise _Failed("unavailable", f"the registry answered HTTP {answer.status}", registry_down=True)
        else:
            raise _Failed("unavailable", f"the registry answered HTTP {answer.status}")
        try:
            verified = verify_status_list(credential, trust, at, url=url)
        except VerificationError as exc:
            raise _Failed("invalid", f"the status list from the registry does not verify: {_first(exc)}") from exc
        highest = entry.highest
        if highest is not None and verified.sequence < highest.sequence:
            raise _Failed(
                "rollback",
                f"the registry served version {verified.sequence} of a status list after version "
                f"{highest.sequence} (a rollback)",
            )
        if highest is not None and verified.sequence == highest.sequence and verified.digest != highest.digest:
            raise _Failed("rollback", f"the registry served another status list as version {verified.sequence}")
        return _Held(credential, etag, verified, trust), outcome, max_age

    def _get(self, url: str, headers: dict[str, str]) -> _Answer:
        """One bounded GET: at most ``max_bytes`` of body, within the deadline; ``_Failed`` otherwise."""
        deadline = self._clock() + self._deadline_s
        try:
            with self._http.stream("GET", url, headers=headers) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_bytes:
                    raise _Failed("unavailable", f"the registry's answer is larger than {self._max_bytes} bytes")
                body = bytearray()
                for chunk in _raw(response):
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise _Failed("unavailable", f"the registry's answer is larger than {self._max_bytes} bytes")
                    if self._clock() > deadline:
                        raise _Failed(
                            "unavailable",
                            f"the registry's answer took longer than {self._deadline_s:g} s",
                            registry_down=True,
                        )
                return _Answer(response.status_code, response.headers, bytes(body))
        except httpx.HTTPError as exc:
            raise _Failed(
                "unavailable", f"the registry could not be reached ({type(exc).__name__})", registry_down=True
            ) from exc

    def _count(self, outcome: Outcome) -> None:
        if self._fetches is not None:
            self._fetches.labels(outcome).inc()


def _credential(body: bytes) -> Any:
    try:
        return parse_json(body)
    except PilotSchemaError as exc:
        raise _Failed("invalid", "the registry's answer is not strict JSON") from exc


def _first(exc: VerificationError) -> str:
    return exc.problems[0].message if exc.problems else "no reason given"


def _raw(response: httpx.Response) -> Iterator[bytes]:
    """The body as received (not decoded); an in-memory answer (``httpx.MockTransport``) is already read."""
    if response.is_stream_consumed:
        yield response.content
        return
    yield from response.iter_raw()
