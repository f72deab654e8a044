"""The port's ``GET /health``: node_core's fields plus whether the log signs new checkpoints, and why not.

A port restored from an old backup keeps answering (status ``ok``: the process is up and serves its
log and receipts) but ``log.signing`` is false and ``log.problem`` says why intake answers 503.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import Route

from node_core.app import Health
from port_node.context import PortContext

__all__ = ["LogHealth", "PortHealth", "install_port_health"]


class LogHealth(BaseModel):
    """The transparency log's state."""

    size: int
    signing: bool
    problem: str | None = None


class PortHealth(Health):
    """``GET /health`` of a port."""

    model_config = ConfigDict(populate_by_name=True)

    log: LogHealth = Field(description="the log's size, and whether it signs new checkpoints")


def install_port_health(app: FastAPI, port: PortContext, version: str) -> None:
    """Replace node_core's ``/health`` with one that also reports the log."""
    app.router.routes[:] = [r for r in app.router.routes if not (isinstance(r, Route) and r.path == "/health")]
    settings = port.settings

    def health() -> PortHealth:
        refusal = port.log.signing_refusal
        return PortHealth(
            node=settings.node_id,
            role="port_authority",
            version=version,
            trust_list_sequence=port.trust.sequence,
            database=settings.database_kind,
            log=LogHealth(size=port.log.size, signing=refusal is None, problem=refusal),
        )

    app.add_api_route(
        "/health", health, methods=["GET"], response_model=PortHealth, response_model_by_alias=True, tags=["operations"]
    )
