"""The FastAPI application skeleton both node kinds start from: errors, request ids, logs, metrics, limits.

Middleware, outermost first: request id and access log -> metrics -> request framing and body deadline
-> in-flight cap -> 500 guard -> FastAPI (whose handlers turn ``ProblemError``, validation and HTTP
errors into RFC 9457 problems).
Routes: ``GET /health``, ``GET /metrics`` and ``GET /contexts/...`` (the pilot's JSON-LD contexts); each
node adds its own (``GET /v1/trust-list`` included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from node_core.body import RequestBodyMiddleware
from node_core.contexts import router as contexts_router
from node_core.inflight import InflightLimitMiddleware
from node_core.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from node_core.problems import install_problem_handlers
from node_core.request_context import RequestContextMiddleware
from node_core.settings import NodeSettings

__all__ = ["Health", "create_base_app"]


class Health(BaseModel):
    """``GET /health``."""

    model_config = ConfigDict(populate_by_name=True)

    status: Literal["ok"] = "ok"
    node: str
    role: str
    version: str
    trust_list_sequence: int | None = Field(alias="trustListSequence")
    database: str


def create_base_app(
    settings: NodeSettings,
    *,
    title: str,
    version: str,
    description: str,
    role: str,
    trust_info: Callable[[], dict[str, Any]],
    db_kind: str,
) -> FastAPI:
    """A FastAPI app with the shared wiring; ``trust_info()`` returns at least ``{"sequence": int | None}``.

    The settings, the ``Metrics`` object and the in-flight middleware settings are kept on ``app.state``.
    """
    app = FastAPI(title=title, version=version, description=description)
    metrics = Metrics()
    app.state.settings = settings
    app.state.metrics = metrics

    install_problem_handlers(app)  # adds the innermost middleware: the 500 guard
    app.add_middleware(InflightLimitMiddleware, max_inflight=settings.max_inflight)
    app.add_middleware(RequestBodyMiddleware, timeout_s=settings.body_timeout_s)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestContextMiddleware)

    def health() -> Health:
        sequence = trust_info().get("sequence")
        return Health(
            node=settings.node_id,
            role=role,
            version=version,
            trust_list_sequence=sequence if isinstance(sequence, int) else None,
            database=db_kind,
        )

    app.add_api_route(
        "/health",
        health,
        methods=["GET"],
        response_model=Health,
        response_model_by_alias=True,
        tags=["operations"],
    )
    app.add_api_route(
        "/metrics",
        metrics_endpoint(metrics),
        methods=["GET"],
        include_in_schema=True,
        tags=["operations"],
        response_class=PlainTextResponse,
    )
    app.include_router(contexts_router)
    return app
