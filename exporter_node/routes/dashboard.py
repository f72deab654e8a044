"""The exporter's own dashboard at ``GET /`` and the JSON it reads (``/v1/dashboard/*``), operator only.

The page is plain HTML, CSS and JavaScript bundled in ``exporter_node/dashboard`` (no build step, no CDN),
with the browser code every dashboard shares from ``node_core/dashboard_shared``. The operator token and
its cookie are handled as on a port (``node_core.dashboard``: ``?token=`` traded once for an HttpOnly cookie
named for this node, then redirected without it). The page lists the farms, certificates, consignments and
outbox (``exporter_node.dashboard_data``), refreshes them every few seconds, and checks each receipt's
inclusion proof itself (RFC 9162 §2.1.3.2), as the port's dashboard does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from exporter_node.dashboard_data import ConsignmentDetail, DashboardOverview, consignment_detail, overview
from exporter_node.routes.consignments import consignment_view
from exporter_node.routes.deps import NodeDep
from exporter_node.state import ExporterNode
from node_core.dashboard import OperatorAccess, asset_response, operator_access, shared_assets_router
from node_core.problems import problem_responses

router = APIRouter(tags=["dashboard"])
router.include_router(shared_assets_router)

ASSETS = Path(__file__).resolve().parent.parent / "dashboard"


def _access(request: Request, node: ExporterNode) -> OperatorAccess:
    return operator_access(request, node.node_id, lambda: node.token)


def require_operator(request: Request, node: NodeDep) -> ExporterNode:
    """The node, for its operator (bearer token, ``?token=`` or this node's cookie); 401 UNAUTHORIZED otherwise."""
    _access(request, node).require(request)
    return node


OperatorDep = Annotated[ExporterNode, Depends(require_operator)]


@router.get("/", include_in_schema=False)
def dashboard(request: Request, node: NodeDep) -> Response:
    """The dashboard page (operator token in this node's cookie); ``?token=`` sets the cookie and redirects."""
    return _access(request, node).page(request, ASSETS / "index.html")


@router.get("/dashboard/{name}", include_in_schema=False)
def asset(name: str) -> Response:
    """A bundled script or style sheet (public: no data in them)."""
    return asset_response(ASSETS, name)


@router.get(
    "/v1/dashboard/overview",
    response_model=DashboardOverview,
    summary="Dashboard: farms, certificates (validity and standing), consignments, outbox, hints",
    responses=problem_responses(401),
)
def get_overview(node: OperatorDep, response: Response) -> DashboardOverview:
    """Farms and certificates judged now as a port would (valid, warning, invalid, or held only sealed),
    consignments newest first with their delivery state, decision and reasons, the outbox, and the hint of
    every code shown."""
    response.headers["Cache-Control"] = "no-store"
    return overview(node)


@router.get(
    "/v1/dashboard/consignments/{consignment_id}",
    response_model=ConsignmentDetail,
    summary="Dashboard: one consignment, with what the page needs to check its receipt",
    responses=problem_responses(401, 404),
)
def get_consignment_detail(consignment_id: str, node: OperatorDep, response: Response) -> ConsignmentDetail:
    """The consignment's view (attempts, decision, reasons, receipt), the leaf input its receipt stands for,
    the credentials it carried (sealed ones by the port they were sealed to), the largest checkpoint verified
    from its port, and the hint of every code shown. 404 NOT_FOUND for an unknown consignment."""
    response.headers["Cache-Control"] = "no-store"
    return consignment_detail(node, consignment_view(node, consignment_id))
