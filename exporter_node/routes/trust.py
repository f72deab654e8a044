"""``GET /v1/trust-list``: the verified trust list this node holds (public)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from exporter_node.routes.deps import NodeDep
from node_core.problems import problem_responses

router = APIRouter(tags=["trust"])


@router.get("/v1/trust-list", summary="The trust list this node holds", responses=problem_responses(503))
def get_trust_list(node: NodeDep) -> dict[str, Any]:
    """The signed trust list as verified and adopted (503 TRUST_LIST_STALE when none is held)."""
    return node.trust.current().document
