"""Test harness for the registry node: a sandbox data dir, a fresh database, the app and signed clients.

No sockets: clients talk to the app through ``httpx.ASGITransport``; issuers sign requests with
``node_core.http_signatures.RequestSigner`` and the sandbox keys of ``pilot.sandbox.build_sandbox``, and
sign status lists with ``schemas.issue.secure`` (their ``assertion`` key), as real issuers do.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import httpx
from fastapi import FastAPI

from node_core.http_signatures import RequestSigner
from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, build_sandbox, write_sandbox
from pilot.synthetic import Signer
from registry_node.app import create_app
from schemas.models.credential import StatusPurpose
from schemas.status_list import DEFAULT_TTL, status_list_url
from tests.support.registry import blocking_transport, list_version

__all__ = [
    "BASE_URL",
    "JSON",
    "REGISTRY_ID",
    "RegistryHarness",
    "as_body",
    "blocking_client",
    "make_registry",
    "sandbox",
    "signed_list",
    "signer_for",
]

REGISTRY_ID = "registry"
BASE_URL = "http://registry.test"
JSON = {"content-type": "application/json"}


@functools.cache
def sandbox() -> Sandbox:
    """The default sandbox (deterministic; built once per process)."""
    return build_sandbox()


def signer_for(participant: str, label: str = "key-1") -> RequestSigner:
    """An httpx auth that signs every request as ``participant`` with its key ``label``."""
    entry = Signer(sandbox().keyrings).key(participant, label)
    return RequestSigner(entry.private_key, entry.verification_method)


def signed_list(
    issuer: str,
    list_name: str,
    sequence: int,
    *,
    set_indexes: Iterable[int] = (),
    signed_by: str | None = None,
    issued_by: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
    purpose: StatusPurpose | None = None,
) -> dict[str, Any]:
    """Version ``sequence`` of ``issuer``'s list ``list_name``, valid now: from a day ago for 30 days unless told.

    ``tests.support.registry.list_version`` with the sandbox's keys: ``issued_by`` names another participant
    as the credential's issuer (its list at ``issuer``'s URL), ``signed_by`` signs with another
    participant's key (default: the credential's issuer's).
    """
    now = datetime.now(UTC).replace(microsecond=0)
    return list_version(
        sandbox().keyrings,
        status_list_url(issuer, list_name),
        sequence=sequence,
        set_indexes=set_indexes,
        ttl=ttl,
        valid_from=valid_from or now - timedelta(days=1),
        valid_until=valid_until or now + timedelta(days=30),
        purpose=purpose,
        issued_by=issued_by,
        signed_by=signed_by,
    )


def as_body(document: Any) -> bytes:
    """Compact JSON bytes of ``document``."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class RegistryHarness:
    """One registry app over one database, and the means to talk to it (``with`` closes it)."""

    data_dir: Path
    database_url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    app: FastAPI = field(init=False)

    def __post_init__(self) -> None:
        self.app = create_app(self.settings())

    def settings(self) -> NodeSettings:
        options: dict[str, Any] = {"public_origins": [BASE_URL], **self.overrides}
        return NodeSettings(node_id=REGISTRY_ID, data_dir=self.data_dir, database_url=self.database_url, **options)

    @property
    def node(self) -> Any:
        return self.app.state.node

    @property
    def metrics(self) -> str:
        rendered: bytes = self.app.state.metrics.render()
        return rendered.decode()

    def client(self, participant: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        """A client for the app; signing as ``participant`` when given."""
        auth = signer_for(participant) if participant else None
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL, auth=auth, **kwargs)

    async def post(self, participant: str, credential: Any, path: str | None = None) -> httpx.Response:
        """POST ``credential`` (a document, or bytes as they are) signed by ``participant`` to its own list path."""
        body = credential if isinstance(credential, bytes) else as_body(credential)
        target = path or str(credential["id"]).removeprefix("https://registry.pilot.example")
        async with self.client(participant) as client:
            return await client.post(target, content=body, headers=JSON)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        async with self.client() as client:
            return await client.get(path, **kwargs)

    def close(self) -> None:
        self.node.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def make_registry(tmp_path: Path, database_url: str, **settings: Any) -> RegistryHarness:
    """A sandbox in ``tmp_path/data`` and a registry over ``database_url``."""
    data_dir = tmp_path / "data"
    write_sandbox(sandbox(), data_dir)
    return RegistryHarness(data_dir, database_url, settings)


@contextmanager
def blocking_client(app: FastAPI, base_url: str = BASE_URL) -> Iterator[httpx.Client]:
    """A synchronous ``httpx.Client`` whose requests the ASGI ``app`` answers in process (no socket).

    For code under test that takes an ``httpx.Client`` (``node_core.status_publish.publish_status_list``);
    the transport is ``tests.support.registry.blocking_transport``.
    """
    with blocking_transport(app) as transport, httpx.Client(transport=transport, base_url=base_url) as client:
        yield client
