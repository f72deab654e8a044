"""FastAPI dependency aliases shared by the port's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from port_node.state import PortNode

__all__ = ["PortDep"]


def _node(request: Request) -> PortNode:
    node: PortNode = request.app.state.node
    return node


PortDep = Annotated[PortNode, Depends(_node)]
