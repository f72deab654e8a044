"""The exporter FastAPI application: ``create_app(settings)`` is what ``pilot node exporter`` serves.

Start-up (``ExporterNode.open``) migrates the database and loads the trust list and the node's keys;
the app's lifespan runs the delivery worker, which resumes from the outbox in the database, and the
status publisher, which brings the exporter's status lists up to date and publishes their versions to
the registry (docs/design.md §12). The shared wiring (``/health``, ``/metrics``, ``/v1/trust-list``,
request ids, problem details, the in-flight cap, the OpenAPI document) comes from
``node_core.app.create_node_app``; every ``/v1`` route but the trust list needs the operator token. The
operator's dashboard is at ``GET /`` (``exporter_node.routes.dashboard``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI

from exporter_node.delivery import DEFAULT_PER_PORT, DeliveryWorker, WorkerOptions
from exporter_node.routes import consignments, credentials, dashboard, farms, status
from exporter_node.routes.bodies import documented_models
from exporter_node.state import ExporterNode
from exporter_node.status_publisher import StatusPublisher
from node_core.app import create_node_app, set_lifespan
from node_core.auth import operator_auth
from node_core.logging import configure_logging
from node_core.settings import NodeSettings

__all__ = ["VERSION", "create_app"]

VERSION = "0.1.0"
_DESCRIPTION = (
    "Exporter node of the agri-export pilot: registers farms and plants as signed facility records, "
    "imports certifiers' and the veterinary authority's credentials (verified on import), builds and "
    "signs consignments, pre-checks them against the destination port's published policy, and delivers "
    "them at least once with RFC 9421-signed requests, verifying every receipt, its inclusion proof and "
    "the consistency of the port's log. Every error is an RFC 9457 problem with a stable `code`."
)


def create_app(
    settings: NodeSettings,
    *,
    node: ExporterNode | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    per_port: int = DEFAULT_PER_PORT,
    worker_options: WorkerOptions | None = None,
    publisher_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The exporter node for ``settings``; ``transport`` replaces the network for the delivery worker (tests),
    ``publisher_transport`` the one between the status publisher and the registry (tests).

    ``worker_options`` replace the delivery worker's policies (receipt verifier, consistency checker,
    backoff): only the conformance kit's deliberately faulty stand-ins do.
    """
    if not logging.getLogger().handlers:
        configure_logging(settings.node_id)
    exporter = node or ExporterNode.open(settings)
    app = create_node_app(
        exporter,
        title=f"Exporter {settings.node_id}",
        version=VERSION,
        description=_DESCRIPTION,
        body_models=documented_models(),
    )
    worker = DeliveryWorker(
        exporter, transport=transport, metrics=app.state.metrics, per_port=per_port, **(worker_options or {})
    )
    publisher = StatusPublisher(exporter, transport=publisher_transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await worker.start()
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()
            await worker.stop()
            exporter.close()

    set_lifespan(app, lifespan)
    app.state.worker = worker
    exporter.status.instrument(app.state.metrics)  # status list fetches and cache hits (node_core.status_cache)
    app.state.status_publisher = publisher
    operator = [Depends(operator_auth(exporter.token))]
    for module in (farms, credentials, consignments, status):
        app.include_router(module.router, dependencies=operator)
    app.include_router(dashboard.router)  # the operator's token, or this node's dashboard cookie
    return app
