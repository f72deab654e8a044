"""The exporter's status tests' setting: ``ru-exp-01`` and the real registry app, both in process.

The registry (``registry_node``, over a database of its own) is reached through ``Switchable``, an
``httpx.ASGITransport`` that can be cut off (``down = True``: every request fails to connect), so a test can
stop the registry and bring it back. ``StatusSetting.exporter()`` runs the exporter app *with* its lifespan
(the delivery worker and the status publisher start and stop as in a real node). ``registry_setting`` (the
conftest's fixture ``status_setting``) gives the registry a database of its own and closes both afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from exporter_node.app import create_app
from exporter_node.state import ExporterNode
from node_core.settings import NodeSettings
from tests.exporter_node.exporter_harness import ExporterHarness
from tests.registry_node.registry_harness import BASE_URL as REGISTRY_URL
from tests.registry_node.registry_harness import RegistryHarness
from tests.support.databases import fresh_database

__all__ = ["REGISTRY_URL", "RunningExporter", "StatusSetting", "Switchable", "registry_over", "registry_setting"]


class Switchable(httpx.AsyncBaseTransport):
    """An ASGI transport to the registry app that refuses connections while ``down``; counts requests."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.down = False
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)

    def posts(self) -> list[httpx.Request]:
        """The POSTs that reached the transport (up or down)."""
        return [r for r in self.requests if r.method == "POST"]


@dataclass
class RunningExporter(ExporterHarness):
    """The exporter app with its lifespan running (the status publisher too), and an operator client."""

    @property
    def publisher(self) -> Any:
        return self.app.state.status_publisher

    async def published(self, timeout_s: float = 5.0) -> None:
        """Wait until the background publisher has emptied the outbox (every version published or refused)."""
        for _ in range(int(timeout_s / 0.02)):
            if not self.node.status_issuer.store.pending():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"status list versions still pending: {self.node.status_issuer.store.pending()}")


@dataclass
class StatusSetting:
    """A registry and the exporter's settings pointing at it."""

    settings: NodeSettings
    registry: RegistryHarness
    network: Switchable = field(init=False)

    def __post_init__(self) -> None:
        self.settings.peer_urls = {**self.settings.peer_urls, "registry": REGISTRY_URL}
        self.network = Switchable(self.registry.app)

    @property
    def network_origin(self) -> str:
        """The origin the exporter signs its requests to the registry for."""
        return REGISTRY_URL

    @asynccontextmanager
    async def exporter(self) -> AsyncIterator[RunningExporter]:
        """``ru-exp-01`` with its lifespan running (publisher started, lists signed), closed afterwards."""
        app = create_app(self.settings, publisher_transport=self.network)
        node: ExporterNode = app.state.node
        headers = {"authorization": f"Bearer {node.token}"}
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://exporter.test", headers=headers) as client,
        ):
            yield RunningExporter(app, node, client)

    async def registry_list(self, path: str) -> dict[str, Any]:
        """The registry's current version at ``path`` (``/v1/status/ru-exp-01/revocation-1``)."""
        response = await self.registry.get(path)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def registry_sequences(self, path: str) -> list[int]:
        """The sequences the registry holds for ``path``, oldest first ([] when it holds none)."""
        response = await self.registry.get(f"{path}/history")
        if response.status_code == 404:
            return []
        return [int(v["sequence"]) for v in response.json()["versions"]]


def registry_over(data_dir: Path, database_url: str) -> RegistryHarness:
    """The real registry app over ``database_url``, with the sandbox of ``data_dir`` (the caller closes it).

    ``registry_setting`` does this and closes it; this remains for ``tests/pilot/test_status_command.py``.
    """
    return RegistryHarness(data_dir, database_url)


@contextmanager
def registry_setting(tmp_path: Path, data_dir: Path, settings: NodeSettings) -> Iterator[StatusSetting]:
    """The real registry over a database of its own (in ``tmp_path``, removed afterwards), with the sandbox of
    ``data_dir``, and ``settings`` pointing at it; the registry is closed afterwards."""
    with fresh_database(tmp_path, "registry") as url, RegistryHarness(data_dir, url) as registry:
        yield StatusSetting(settings, registry)
