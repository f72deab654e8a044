"""A registry stand-in for in-process tests: ``GET /v1/status/{issuer}/{list}`` over ``httpx.MockTransport``.

It answers as the registry's API does (docs/design.md §12): the current status list credential as stored,
``ETag: "<digest>"``, ``Cache-Control: public, max-age=N`` (the list's ``ttl``, or ``max_age`` when set),
``304`` for a matching ``If-None-Match``, a ``404 NOT_FOUND`` problem for an unknown list. ``fault`` makes
it misbehave: ``"down"`` (every request fails to connect), ``"timeout"``, or an HTTP status to answer with.
``requests`` records every request that reached it. ``lookup()`` is a ``RegistryStatusLists`` over it.

``blocking_transport(app)`` puts the real registry app (``registry_node``) behind a synchronous transport
instead, for the code that fetches lists with an ``httpx.Client`` (``node_core.status_cache``).

``from_data_dir`` serves every list ``pilot init`` wrote under ``<data dir>/status-lists``; ``follow(node)``
also serves an exporter node's own current lists, read from its database (the exporter publishes them to a
registry itself, from its app's lifespan, which in-process tests do not run).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import anyio.from_thread
import httpx

from node_core.status_cache import RegistryStatusLists
from pilot.sandbox import STATUS_LISTS_DIR
from schemas.canonical import canonicalize
from schemas.digest import credential_digest, sha256_digest
from schemas.issue import secure
from schemas.keyring import KeyEntry
from schemas.models.credential import StatusPurpose
from schemas.status_list import (
    DEFAULT_TTL,
    purpose_of_list,
    split_status_list_url,
    status_list_credential,
    status_list_path,
)

if TYPE_CHECKING:
    from exporter_node.state import ExporterNode

__all__ = ["REGISTRY_URL", "RegistryStandin", "blocking_transport", "list_version", "status_entries_of"]

REGISTRY_URL = "http://registry.test"


@dataclass
class RegistryStandin:
    """Status lists by path, served with ETag and Cache-Control; switchable faults."""

    lists: dict[str, bytes] = field(default_factory=dict)
    fault: str | int | None = None
    max_age: int | None = None  # None: the list's ttl
    send_cache_control: bool = True
    requests: list[httpx.Request] = field(default_factory=list)
    followed: list[ExporterNode] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def serving(cls, credentials: Iterable[Mapping[str, Any]]) -> Self:
        """A registry holding ``credentials`` (the last one given for a list is its current version)."""
        registry = cls()
        for credential in credentials:
            registry.publish(credential)
        return registry

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Self:
        """A registry holding every ``<data dir>/status-lists/<issuer>/<list>.json``."""
        files = sorted((data_dir / STATUS_LISTS_DIR).rglob("*.json"))
        return cls.serving(json.loads(path.read_text()) for path in files)

    def publish(self, credential: Mapping[str, Any]) -> None:
        """Make ``credential`` the current version of its list (no checks: the stand-in serves what it is given)."""
        path = status_list_path(str(credential["id"]))
        assert path is not None, credential["id"]
        with self._lock:
            self.lists[path] = canonicalize(credential)

    def follow(self, node: ExporterNode) -> None:
        """Serve ``node``'s own lists too: their newest version in its database (version 1 signed if none)."""
        with self._lock:
            self.followed.append(node)

    def _followed(self, path: str) -> bytes | None:
        for node in list(self.followed):
            prefix = f"/v1/status/{node.node_id}/"
            if not path.startswith(prefix):
                continue
            name, store = path.removeprefix(prefix), node.status_issuer.store
            if store.latest(name) is None:
                node.status_issuer.ensure_current(datetime.now(UTC))
            version = store.latest(name)
            return canonicalize(version.credential) if version is not None else None
        return None

    def withdraw(self, url: str) -> None:
        """Forget the list at ``url`` (it is answered 404 from now on)."""
        with self._lock:
            self.lists.pop(status_list_path(url) or url, None)

    def paths(self) -> list[str]:
        """The paths of the lists held."""
        with self._lock:
            return sorted(self.lists)

    def fetches(self, path_part: str = "") -> list[httpx.Request]:
        """The requests that reached the registry whose path contains ``path_part``."""
        return [r for r in self.requests if path_part in r.url.path]

    def transport(self) -> httpx.MockTransport:
        """This registry in process (no socket)."""
        return httpx.MockTransport(self.handle)

    def lookup(self, **options: Any) -> RegistryStatusLists:
        """A ``RegistryStatusLists`` that reaches this registry (the caller closes it)."""
        return RegistryStatusLists(lambda: REGISTRY_URL, transport=self.transport(), **options)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the registry would (or fail as ``fault`` says)."""
        with self._lock:
            self.requests.append(request)
            fault, body = self.fault, self.lists.get(request.url.path)
        if body is None:
            body = self._followed(request.url.path)
        if fault == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(fault, int):
            return _problem(fault, "INTERNAL" if fault >= 500 else "FAULT", "scripted fault")
        if request.method != "GET" or body is None:
            return _problem(404, "NOT_FOUND", "no such status list")
        try:
            credential = json.loads(body)
            etag, ttl_s = f'"{credential_digest(credential)}"', int(credential["credentialSubject"]["ttl"]) // 1000
        except (ValueError, KeyError, TypeError):  # a broken list, served as it is
            etag, ttl_s = f'"{sha256_digest(body)}"', 60
        headers = {"etag": etag}
        if self.send_cache_control:
            headers["cache-control"] = f"public, max-age={self.max_age if self.max_age is not None else ttl_s}"
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers=headers)
        return httpx.Response(200, content=body, headers={**headers, "content-type": "application/json"})


@contextmanager
def blocking_transport(app: Any) -> Iterator[httpx.BaseTransport]:
    """A synchronous transport whose requests the ASGI ``app`` answers in process, on a loop in a helper thread."""
    with anyio.from_thread.start_blocking_portal() as portal:
        inner = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))

        class Blocking(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                async def send() -> httpx.Response:
                    answer = await inner.send(request)
                    content = await answer.aread()
                    return httpx.Response(answer.status_code, headers=answer.headers, content=content)

                response: httpx.Response = portal.call(send)
                return response

        try:
            yield Blocking()
        finally:
            portal.call(inner.aclose)


def list_version(
    keyrings: Mapping[str, list[KeyEntry]],
    url: str,
    *,
    sequence: int,
    set_indexes: Iterable[int] = (),
    ttl: timedelta = DEFAULT_TTL,
    valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    valid_until: datetime = datetime(2037, 1, 1, tzinfo=UTC),
    purpose: StatusPurpose | None = None,
    issued_by: str | None = None,
    signed_by: str | None = None,
) -> dict[str, Any]:
    """Version ``sequence`` of the list at ``url`` with ``set_indexes`` set, signed with an ``assertion`` key.

    By default its issuer is the one ``url`` names, its purpose the one its list id names, and it is signed
    with the issuer's first key. ``issued_by`` names another participant as the credential's issuer (still
    at ``url``), ``signed_by`` signs with another participant's first key, ``purpose`` sets the purpose:
    the faulty lists a registry or a port must refuse.
    """
    parts = split_status_list_url(url)
    assert parts is not None, url
    issuer, name = parts
    holder = issued_by or issuer
    credential = status_list_credential(
        issuer_id=holder,
        issuer_name=holder,
        list_name=name,
        purpose=purpose or purpose_of_list(name) or "revocation",
        sequence=sequence,
        set_indexes=set_indexes,
        valid_from=valid_from,
        valid_until=valid_until,
        ttl=ttl,
    )
    credential["id"] = url
    credential["credentialSubject"]["id"] = f"{url}#list"
    key = keyrings[signed_by or holder][0]
    return secure(credential, key.private_key, key.verification_method, created=valid_from)


def status_entries_of(credential: Mapping[str, Any], purpose: str = "revocation") -> tuple[str, int]:
    """``(list URL, index)`` of an embedded-proof credential's status entry for ``purpose``."""
    for entry in credential.get("credentialStatus", []):
        if entry["statusPurpose"] == purpose:
            return str(entry["statusListCredential"]), int(entry["statusListIndex"])
    raise LookupError(f"no {purpose} entry")


def _problem(status: int, code: str, detail: str) -> httpx.Response:
    body = {"type": "about:blank", "title": detail, "status": status, "code": code, "detail": detail}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})
