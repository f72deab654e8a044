"""FastAPI dependency aliases shared by the exporter's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from exporter_node.delivery import DeliveryWorker
from exporter_node.state import ExporterNode

__all__ = ["NodeDep", "WorkerDep"]


def _node(request: Request) -> ExporterNode:
    node: ExporterNode = request.app.state.node
    return node


def _worker(request: Request) -> DeliveryWorker:
    worker: DeliveryWorker = request.app.state.worker
    return worker


NodeDep = Annotated[ExporterNode, Depends(_node)]
WorkerDep = Annotated[DeliveryWorker, Depends(_worker)]
