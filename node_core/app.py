"""The FastAPI application skeleton both node kinds start from: errors, request ids, logs, metrics, limits.

Middleware, outermost first: request id and access log -> the request's language (``Accept-Language``, for
problem details) -> metrics -> request framing and body deadline
-> in-flight cap -> 500 guard -> FastAPI (whose handlers turn ``ProblemError``, validation and HTTP
errors into RFC 9457 problems).
Routes: ``GET /health``, ``GET /metrics`` and ``GET /contexts/...`` (the pilot's JSON-LD contexts); each
node adds its own, and its own checks to ``/health`` (``HealthChecks``).
``create_node_app`` builds the app around a node's state object (``app.state.node``) and adds what every
running node serves besides (docs/design.md §6): ``GET /v1/trust-list``, the list the node holds, and an
OpenAPI document with the node's raw body models and problems instead of FastAPI's 422 (``node_core.openapi``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from node_core.body import RequestBodyMiddleware
from node_core.contexts import router as contexts_router
from node_core.heap import settled_heap
from node_core.inflight import InflightLimitMiddleware
from node_core.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from node_core.openapi import install_openapi
from node_core.problems import install_problem_handlers, problem_responses
from node_core.request_context import RequestContextMiddleware
from node_core.request_language import RequestLanguageMiddleware
from node_core.settings import NodeSettings
from node_core.trust_holder import TrustHolder

__all__ = ["Health", "HealthChecks", "Lifespan", "NodeState", "create_base_app", "create_node_app", "set_lifespan"]


class Health(BaseModel):
    """``GET /health``."""

    model_config = ConfigDict(populate_by_name=True)

    status: Literal["ok"] = "ok"
    node: str
    role: str
    version: str
    trust_list_sequence: int | None = Field(alias="trustListSequence")
    database: str


@dataclass(frozen=True)
class HealthChecks:
    """What a node adds to ``GET /health``: its answer's model, a subclass of ``Health``, and its fields.

    ``checks()`` gives the fields ``model`` adds (``status`` among them, for a node that can be degraded);
    the shared ones (node, role, version, trust list sequence, database) are filled in by the one route.
    """

    model: type[Health]
    checks: Callable[[], dict[str, Any]]
    summary: str | None = None


#: A node's lifespan: what it starts before serving and stops after (FastAPI's ``lifespan``).
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def set_lifespan(app: FastAPI, lifespan: Lifespan) -> None:
    """Make ``lifespan`` ``app``'s, the node serving in between on a settled heap (``node_core.heap``)."""

    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app):
            with settled_heap():
                yield

    app.router.lifespan_context = serving


class NodeState(Protocol):
    """What ``create_node_app`` needs of a node's state (``ExporterNode``, ``PortNode``, ``RegistryNode``)."""

    role: ClassVar[str]
    settings: NodeSettings
    trust: TrustHolder


def create_base_app(
    settings: NodeSettings,
    *,
    title: str,
    version: str,
    description: str,
    role: str,
    trust_info: Callable[[], dict[str, Any]],
    db_kind: str,
    health: HealthChecks | None = None,
) -> FastAPI:
    """A FastAPI app with the shared wiring; ``trust_info()`` returns at least ``{"sequence": int | None}``.

    ``health`` adds a node's own checks to ``GET /health`` (default: none, ``status`` is always ``ok``).
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
    app.add_middleware(RequestLanguageMiddleware)
    app.add_middleware(RequestContextMiddleware)

    extra = health or HealthChecks(Health, dict)

    def answer_health() -> Health:
        sequence = trust_info().get("sequence")
        return extra.model(
            node=settings.node_id,
            role=role,
            version=version,
            trust_list_sequence=sequence if isinstance(sequence, int) else None,
            database=db_kind,
            **extra.checks(),
        )

    app.add_api_route(
        "/health",
        answer_health,
        name="health",
        methods=["GET"],
        response_model=extra.model,
        response_model_by_alias=True,
        tags=["operations"],
        summary=extra.summary,
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


def create_node_app(
    node: NodeState,
    *,
    title: str,
    version: str,
    description: str,
    health: HealthChecks | None = None,
    body_models: Iterable[type[BaseModel]] = (),
) -> FastAPI:
    """``create_base_app`` for a running node: its settings and role, ``/health`` reading its trust list,
    ``GET /v1/trust-list``, and the OpenAPI document with ``body_models`` (what its raw-body routes reference).

    The node is kept as ``app.state.node``, where the routes' dependencies find it.
    """
    settings = node.settings
    app = create_base_app(
        settings,
        title=title,
        version=version,
        description=description,
        role=node.role,
        trust_info=lambda: {"sequence": node.trust.sequence},
        db_kind=settings.database_kind,
        health=health,
    )
    app.state.node = node

    def get_trust_list() -> dict[str, Any]:
        """The held trust list document (503 TRUST_LIST_STALE when none can be relied on)."""
        return node.trust.current().document

    app.add_api_route(
        "/v1/trust-list",
        get_trust_list,
        methods=["GET"],
        tags=["trust"],
        summary="The trust list held",
        description="The newest trust list this node verified against its pinned anchor, as signed by `pilot-gov`.",
        responses=problem_responses(503),
    )
    install_openapi(app, body_models)
    return app
