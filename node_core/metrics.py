"""Prometheus metrics with one registry per app, so several nodes can live in one test process.

Every request is counted by method, route template and status, and timed by method and route. No label
value comes from the request as sent, so no client can grow the label set (each new value is a new time
series, kept for the life of the process):

- ``method``: one of ``KNOWN_METHODS``, else ``other``;
- ``route``: the template of the route that matched (``/v1/receipts/{submission_id}``), else
  ``<unmatched>``;
- ``status``: a status code of ``http.HTTPStatus`` or ``499`` (the client hung up before the answer),
  else ``other``.

Node-specific metrics are made with ``Metrics.counter`` / ``Metrics.histogram`` / ``Metrics.gauge``; their
label values must come from a fixed set in the code, never from input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from http import HTTPStatus

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from node_core.asgi import HttpMiddleware, StatusWatch
from node_core.request_context import CLIENT_CLOSED_REQUEST, answered_status

__all__ = [
    "KNOWN_METHODS",
    "OTHER",
    "UNMATCHED_ROUTE",
    "Metrics",
    "MetricsMiddleware",
    "method_label",
    "metrics_endpoint",
    "status_label",
]

UNMATCHED_ROUTE = "<unmatched>"
#: The label of a method or status outside the known sets.
OTHER = "other"
#: RFC 9110 section 9 methods, plus PATCH (RFC 5789).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
_KNOWN_STATUSES = frozenset({int(status) for status in HTTPStatus} | {CLIENT_CLOSED_REQUEST})
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """A registry with the standard request metrics, plus factories for node-specific ones."""

    def __init__(self, namespace: str = "pilot") -> None:
        self.namespace = namespace
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests",
            "HTTP requests handled, by method, route template and status.",
            ["method", "route", "status"],
            namespace=namespace,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            namespace=namespace,
            registry=self.registry,
            buckets=_LATENCY_BUCKETS,
        )

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A new counter in this registry (``name`` without the ``_total`` suffix)."""
        return Counter(name, documentation, list(labels), namespace=self.namespace, registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """A new gauge in this registry."""
        return Gauge(name, documentation, list(labels), namespace=self.namespace, registry=self.registry)

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = _LATENCY_BUCKETS,
    ) -> Histogram:
        """A new histogram in this registry."""
        return Histogram(
            name,
            documentation,
            list(labels),
            namespace=self.namespace,
            registry=self.registry,
            buckets=tuple(buckets),
        )

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


def method_label(method: object) -> str:
    """``method`` when it is a known one, else ``other``."""
    return method if isinstance(method, str) and method in KNOWN_METHODS else OTHER


def status_label(status: int) -> str:
    """``status`` as text when it is a known code, else ``other``."""
    return str(status) if status in _KNOWN_STATUSES else OTHER


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class MetricsMiddleware(HttpMiddleware):
    """ASGI middleware observing every HTTP request into ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            method = method_label(scope.get("method"))
            route = _route_template(scope)
            self.metrics.requests.labels(method, route, status_label(answered_status(scope, watch.status))).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Response]:
    """A route handler returning ``metrics`` in the text format (for ``app.add_api_route``)."""

    def get_metrics(request: Request) -> Response:
        del request
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return get_metrics
