"""FastAPI dependency aliases shared by the registry's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry_node.state import RegistryNode

__all__ = ["RegistryDep"]


def _node(request: Request) -> RegistryNode:
    node: RegistryNode = request.app.state.node
    return node


RegistryDep = Annotated[RegistryNode, Depends(_node)]
