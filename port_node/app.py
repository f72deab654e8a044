"""The port-authority FastAPI application: ``create_app(settings)`` is what ``pilot node port`` serves.

Start-up (``PortNode.open``) migrates the database, loads the trust list, the port's keys and
the log tree; the routes are in ``port_node.routes``. The shared wiring (``/health``, ``/metrics``,
``/v1/trust-list``, request ids, problem details, the in-flight cap, the OpenAPI document) comes from
``node_core.app.create_node_app``.

The port is also a witness (``port_node.witness``, routes under ``/v1/witness``), the background
gathering of cosignatures for this port's own checkpoints (``port_node.cosigning``, started by the
lifespan), a ``/health`` that says whether the log signs (``log.signing``, ``log.problem``) and whether
the registry answered the last status list fetch (``registry``), and the operator dashboard at ``GET /``
(``port_node.routes.dashboard``). The lifespan also runs the hourly retention of the port's ``keyAgreement``
keys (``port_node.key_retention``).

``create_worker_app`` is the app factory of one worker process of ``pilot node port --workers N``: its
settings come from the environment the parent set (``PILOT_NODE_ID``, ``PILOT_DATA_DIR``,
``PILOT_LISTEN_HOST``, ``PILOT_LISTEN_PORT``, ``DATABASE_URL``...), every answer names the worker in an
``X-Pilot-Worker`` header (its process id), and a worker whose parent is gone stops itself.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_core.app import create_node_app, set_lifespan
from node_core.network import PeerDirectory
from node_core.settings import NodeSettings
from port_node.api_models import BatchRequest, Submission, SubmissionReceipt
from port_node.cosigning import CosignatureCollector
from port_node.health import install_health_metrics, port_health
from port_node.intake import IntakeOutcome
from port_node.leadership import RoundLock
from port_node.routes import dashboard, inspection, log, sealed, submissions, witness
from port_node.state import PortNode
from port_node.witness import Witness
from schemas.keyring import load_keyring, select_key

__all__ = ["VERSION", "WORKER_HEADER", "WorkerHeaderMiddleware", "create_app", "create_worker_app"]

VERSION = "0.1.0"
#: The response header naming the worker process that answered (``pilot node port --workers N``).
WORKER_HEADER = "X-Pilot-Worker"
_DESCRIPTION = (
    "Port authority of the agri-export pilot: verifies RFC 9421-signed submissions from exporters, "
    "decides them with the port's published policy, answers with signed receipts and keeps a public "
    "RFC 9162 transparency log with C2SP checkpoints. Every error is an RFC 9457 problem with a stable `code`."
)


def _install_metrics(app: FastAPI, port: PortNode) -> None:
    """Port metrics: submissions answered by decision and kind, and the committed log size."""
    metrics = app.state.metrics
    answered = metrics.counter(
        "port_submissions", "Submissions answered, by decision and kind (new or resubmitted).", ["decision", "kind"]
    )
    metrics.gauge("port_log_size", "Leaves in the committed transparency log.").set_function(lambda: port.log.size)

    def count(outcome: IntakeOutcome) -> None:
        answered.labels(outcome.stored.decision, "new" if outcome.status == 201 else "resubmitted").inc()

    port.intake.observers.append(count)


def _witnessing(settings: NodeSettings, port: PortNode) -> tuple[Witness, CosignatureCollector]:
    """The port's witness (its ``witness`` key) and the collector of cosignatures for its own log."""
    key = select_key(load_keyring(settings.key_file.read_bytes(), settings.key_passphrase_bytes), "witness").private_key
    witness_ = Witness(settings.node_id, key, port.engine, port.trust)
    collector = CosignatureCollector(
        settings.node_id,
        port.log,
        port.engine,
        port.trust,
        PeerDirectory(settings).urls,
        turn=RoundLock(port.engine, f"cosigning:{settings.node_id}").turn,
    )
    collector.load()
    port.intake.observers.append(collector.notify)
    return witness_, collector


def create_app(settings: NodeSettings, *, node: PortNode | None = None) -> FastAPI:
    """The port node for ``settings`` (its database migrated and its log loaded before this returns)."""
    port = node or PortNode.open(settings)
    witness_, collector = _witnessing(settings, port)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        collector.start()
        collector.notify()
        port.retention.start()
        try:
            yield
        finally:
            port.retention.stop()
            collector.stop()
            port.close()

    title = f"Port authority {settings.node_id}"
    app = create_node_app(
        port,
        title=title,
        version=VERSION,
        description=_DESCRIPTION,
        health=port_health(port),
        body_models=[Submission, SubmissionReceipt, BatchRequest],  # what the raw-body routes reference
    )
    set_lifespan(app, lifespan)
    app.state.witness = witness_
    app.state.cosigning = collector
    install_health_metrics(app.state.metrics, port, collector)
    port.status.instrument(app.state.metrics)
    _install_metrics(app, port)
    for module in (submissions, log, witness, inspection, dashboard, sealed):
        app.include_router(module.router)
    return app


class WorkerHeaderMiddleware:
    """Adds ``X-Pilot-Worker: <value>`` to every HTTP answer (which worker process served it)."""

    def __init__(self, app: ASGIApp, value: str) -> None:
        self.app = app
        self.header = (WORKER_HEADER.lower().encode(), value.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_named)


def _stop_when_orphaned(parent: int, every_s: float = 1.0) -> None:
    """SIGTERM this process once its parent (the supervisor) is gone: no worker outlives ``pilot node port``."""

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(every_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def create_worker_app() -> FastAPI:
    """One worker of ``pilot node port --workers N`` (uvicorn's app factory; settings from the environment)."""
    from node_core.logging import configure_logging

    settings = NodeSettings()  # node_id, data dir and listen address from PILOT_* (the parent set them)
    configure_logging(settings.node_id)
    _stop_when_orphaned(os.getppid())
    app = create_app(settings)
    app.add_middleware(WorkerHeaderMiddleware, value=str(os.getpid()))
    return app
