"""``GET /v1/trust-list``: the signed trust list the registry holds and verifies lists with (docs/design.md §5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from node_core.problems import problem_responses
from registry_node.routes.deps import RegistryDep

router = APIRouter(tags=["trust"])


@router.get(
    "/v1/trust-list",
    summary="The trust list held",
    description="The newest trust list this node verified against its pinned anchor, as signed by `pilot-gov`.",
    responses=problem_responses(503),
)
def get_trust_list(registry: RegistryDep) -> dict[str, Any]:
    """The held trust list document."""
    return registry.trust.current().document
