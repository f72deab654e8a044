"""``POST /v1/farms`` and ``GET /v1/farms``: the exporter's farms and plants with their signed records."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from exporter_node.api_models import Facility, FacilityView
from exporter_node.farms import register_facility
from exporter_node.routes.bodies import documented_body, json_body
from exporter_node.routes.deps import NodeDep
from node_core.problems import problem_responses

router = APIRouter(tags=["farms"])


@router.post(
    "/v1/farms",
    status_code=201,
    response_model=FacilityView,
    summary="Register a farm or plant and issue its signed DigitalFacilityRecord",
    openapi_extra=documented_body(
        Facility,
        "The facility as a UNTP Facility typed ['Facility', 'AgriFacility']: id, name, countryOfOperation, "
        "processCategory (HS codes), operatedByParty, locationInformation.geoBoundary (a GeoJSON polygon, "
        "[longitude, latitude], inside the region), and the pilot terms facilityType, region, "
        "establishmentNumber...",
    ),
    responses=problem_responses(400, 401, 409, 413, 503),
)
async def post_farm(request: Request, node: NodeDep) -> FacilityView:
    """Validate the facility (schema: SCHEMA_INVALID; polygon and region: GEOMETRY_INVALID), sign, store.

    409 DUPLICATE_CONFLICT when a facility with that id is already registered.
    """
    document = await json_body(request)
    return await run_in_threadpool(register_facility, node, document)


@router.get(
    "/v1/farms",
    response_model=list[FacilityView],
    summary="Registered farms and plants",
    responses=problem_responses(401),
)
def list_farms(node: NodeDep) -> list[FacilityView]:
    """Every registered facility with its signed record, oldest first."""
    return [FacilityView.from_row(row) for row in node.storage.facilities()]
