"""The registry FastAPI application: ``create_app(settings)`` is what ``pilot node registry`` serves.

Start-up (``RegistryNode.open``) migrates the database and loads the trust list; the routes are in
``registry_node.routes``. The shared wiring (``/health``, ``/metrics``, ``/contexts/...``, ``/v1/trust-list``,
request ids, problem details, the in-flight cap and body deadline, the OpenAPI document) comes from
``node_core.app.create_node_app``. The registry has no dashboard and no operator routes: everything it
serves is public, and the only thing it accepts (a status list version) is accepted from its issuer alone.

Metric added here: ``registry_status_list_posts`` (posted versions by outcome: ``created``,
``identical``, or the problem code that refused them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from node_core.app import create_node_app, set_lifespan
from node_core.settings import NodeSettings
from registry_node.routes import status
from registry_node.state import RegistryNode
from schemas.models.status import BitstringStatusListCredential

__all__ = ["VERSION", "create_app"]

VERSION = "0.1.0"
_DESCRIPTION = (
    "Registry of the agri-export pilot, run by `pilot-gov`: serves the trust list, every issuer's W3C "
    "Bitstring Status List credentials (with `ETag` and `Cache-Control`; every version kept, and the one "
    "held at any time) and the pilot's JSON-LD contexts; accepts a new status list version only from its "
    "issuer, RFC 9421-signed, with a valid proof and a strictly increasing `sequence`. Every error is an "
    "RFC 9457 problem with a stable `code`."
)


def create_app(settings: NodeSettings, *, node: RegistryNode | None = None) -> FastAPI:
    """The registry node for ``settings`` (its database migrated before this returns)."""
    registry = node or RegistryNode.open(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            registry.close()

    app = create_node_app(
        registry,
        title=f"Registry {settings.node_id}",
        version=VERSION,
        description=_DESCRIPTION,
        body_models=[BitstringStatusListCredential],  # what POST /v1/status/... references
    )
    set_lifespan(app, lifespan)
    app.state.status_list_posts = app.state.metrics.counter(
        "registry_status_list_posts",
        "Status list versions posted, by outcome: created, identical, or the code that refused them.",
        ["outcome"],
    )
    app.include_router(status.router)
    return app
