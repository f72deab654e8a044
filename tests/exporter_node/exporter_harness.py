"""The exporter app in process for tests: its node, an operator client (``httpx.ASGITransport``), its worker.

``running_exporter`` runs it *without* its lifespan (a test drives the delivery worker itself, with
``worker.run_until_idle``); ``status_support.StatusSetting.exporter`` runs it with its lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from exporter_node.app import create_app
from exporter_node.state import ExporterNode
from node_core.settings import NodeSettings

__all__ = ["ExporterHarness", "running_exporter"]


@dataclass
class ExporterHarness:
    """The exporter app, its node, an operator client (ASGITransport) and its delivery worker."""

    app: Any
    node: ExporterNode
    client: httpx.AsyncClient

    @property
    def worker(self) -> Any:
        return self.app.state.worker


@asynccontextmanager
async def running_exporter(
    settings: NodeSettings, transport: httpx.AsyncBaseTransport, *, node: ExporterNode | None = None
) -> AsyncIterator[ExporterHarness]:
    """An exporter app for ``settings`` (over ``node`` when given, opened already), without its lifespan, whose
    worker reaches its ports through ``transport``; closed afterwards."""
    app = create_app(settings, node=node, transport=transport)
    exporter: ExporterNode = app.state.node
    headers = {"authorization": f"Bearer {exporter.token}"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://exporter.test", headers=headers
        ) as client:
            yield ExporterHarness(app, exporter, client)
    finally:
        await app.state.worker.stop()
        exporter.close()
