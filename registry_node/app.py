"""The registry FastAPI application: ``create_app(settings)`` is what ``pilot node registry`` serves.

Start-up (``RegistryNode.open``) migrates the database and loads the trust list; the routes are in
``registry_node.routes``. The shared wiring (``/health``, ``/metrics``, ``/contexts/...``, request ids,
problem details, the in-flight cap and body deadline) comes from ``node_core.app.create_node_app``. The
registry has no dashboard and no operator routes: everything it serves is public, and the only thing it
accepts (a status list version) is accepted from its issuer alone.

Metric added here: ``registry_status_list_posts`` (posted versions by outcome: ``created``,
``identical``, or the problem code that refused them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from node_core.app import create_node_app
from node_core.settings import NodeSettings
from registry_node.routes import status, trust
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


def _install_openapi(app: FastAPI) -> None:
    """Add the status list credential's schema (the raw-body routes reference it); drop FastAPI's 422 model."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        _, extra = models_json_schema(
            [(BitstringStatusListCredential, "validation")], ref_template="#/components/schemas/{model}"
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in extra.get("$defs", {}).items():
            schemas.setdefault(name, schema)
        # Request validation failures are 400 problems (node_core.problems), never FastAPI's 422 body; a
        # 422 documented as a problem (STATUS_LIST_INVALID) stays.
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in str(responses.get("422", "")):
                    responses.pop("422")
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: NodeSettings, *, node: RegistryNode | None = None) -> FastAPI:
    """The registry node for ``settings`` (its database migrated before this returns)."""
    registry = node or RegistryNode.open(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            registry.close()

    app = create_node_app(registry, title=f"Registry {settings.node_id}", version=VERSION, description=_DESCRIPTION)
    app.router.lifespan_context = lifespan
    app.state.status_list_posts = app.state.metrics.counter(
        "registry_status_list_posts",
        "Status list versions posted, by outcome: created, identical, or the code that refused them.",
        ["outcome"],
    )
    for module in (status, trust):
        app.include_router(module.router)
    _install_openapi(app)
    return app
