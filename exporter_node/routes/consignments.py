"""Consignments: build and queue (``POST /v1/consignments``), queue as-is (``:raw``), state, EPCIS, outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exporter_node.api_models import (
    AttemptView,
    ConsignmentSummary,
    ConsignmentView,
    DeliveryState,
    OutboxItem,
    SealedCredentialView,
)
from exporter_node.consignments import (
    ConsignmentRequest,
    RawConsignmentRequest,
    build_consignment,
    queue_consignment,
    queue_raw,
)
from exporter_node.errors import NotFoundError
from exporter_node.routes.bodies import documented_body, json_body, parse_model
from exporter_node.routes.deps import NodeDep, WorkerDep
from node_core.problems import ProblemError, problem_responses
from schemas.codes import Code
from schemas.epcis import dte_credentials, epcis_document
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import did_of
from schemas.jsonio import dumps_compact, parse_json
from schemas.phrase import Phrase
from schemas.sealing import is_sealed

router = APIRouter(tags=["consignments"])

#: Media type of an EPCIS 2.0 document (JSON-LD).
EPCIS_MEDIA_TYPE = "application/ld+json"


def consignment_view(node: Any, consignment_id: str) -> ConsignmentView:
    """The full view of one consignment; 404 when unknown."""
    row = node.storage.consignment(consignment_id)
    if row is None:
        raise NotFoundError(Phrase("no consignment {consignment}", consignment=consignment_id))
    attempts = [AttemptView.from_row(attempt) for attempt in node.storage.attempts(consignment_id)]
    sealed = [SealedCredentialView.from_row(item) for item in node.storage.sealed_credentials(consignment_id)]
    receipt = parse_json(row["receipt"]) if row["receipt"] else None
    return ConsignmentView.from_row(row, receipt=receipt, attemptLog=attempts, sealedCredentials=sealed)


@router.post(
    "/v1/consignments",
    status_code=202,
    response_model=ConsignmentView,
    summary="Build, sign, pre-check and queue a consignment for its destination port",
    openapi_extra=documented_body(ConsignmentRequest, "The destination port and the export lots."),
    responses=problem_responses(400, 401, 409, 413, 422, 503),
)
async def post_consignment(request: Request, node: NodeDep, worker: WorkerDep) -> ConsignmentView:
    """Build the traceability events, gather the facility records and imported credentials, sign the
    manifest, check it against the destination's published policy with the port's own assessment, then
    store it with its outbox row (one transaction) and answer 202: delivery happens in the background.

    400 for bad lots (SCHEMA_INVALID with every problem) or unknown facilities (REQUEST_INVALID);
    422 when the port would reject it, with the same codes the port would give (for example
    DATA_CATEGORY_NOT_PERMITTED, HS_CODE_NOT_PERMITTED, ESTABLISHMENT_NOT_APPROVED) and every reason
    in ``reasons``; 409 DUPLICATE_CONFLICT for a consignmentId already used.

    Credentials holding a field the destination takes only sealed travel sealed to its current
    keyAgreement key (``sealedCredentials`` lists them). 422 SEALING_KEY_UNAVAILABLE when the destination
    names no usable key to seal to; 422 CREDENTIAL_PLAINTEXT_DISCARDED when the consignment needs a
    credential this exporter sent sealed before and holds only sealed since (import it again).
    """
    body = parse_model(ConsignmentRequest, await json_body(request))

    def work() -> ConsignmentView:
        built = build_consignment(node, body)
        queue_consignment(node, built)
        return consignment_view(node, built.consignment_id)

    view = await run_in_threadpool(work)
    worker.wake()
    return view


@router.post(
    "/v1/consignments:raw",
    status_code=202,
    response_model=ConsignmentView,
    summary="Queue an already-signed submission as-is (tests and the demo's fault cases)",
    openapi_extra=documented_body(RawConsignmentRequest, "The destination and the submission document."),
    responses=problem_responses(400, 401, 409, 413),
)
async def post_raw_consignment(request: Request, node: NodeDep, worker: WorkerDep) -> ConsignmentView:
    """Queue ``submission`` for ``destination`` without building, signing or pre-checking it.

    Meant for tests and for demonstrating how a port treats a tampered or otherwise faulty submission;
    the consignment id is the submission's ``submissionId``. Delivery and receipt checks are as usual.
    400 REQUEST_INVALID when ``destination`` is not a port authority of the trust list with a policy
    (another exporter, a certifier, an unknown id), as for ``POST /v1/consignments``.
    """
    body = parse_model(RawConsignmentRequest, await json_body(request))

    def work() -> ConsignmentView:
        row = queue_raw(node, body)
        return consignment_view(node, row["id"])

    view = await run_in_threadpool(work)
    worker.wake()
    return view


@router.get(
    "/v1/consignments",
    response_model=list[ConsignmentSummary],
    summary="Consignments, newest first",
    responses=problem_responses(400, 401),
)
def list_consignments(
    node: NodeDep,
    state: Annotated[DeliveryState | None, Query(description="only this delivery state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**53 - 1)] = 0,  # a database integer, not unbounded
) -> list[ConsignmentSummary]:
    """Consignments with their delivery state and the port's decision."""
    rows = node.storage.consignments(state=state, limit=limit, offset=offset)
    return [ConsignmentSummary.from_row(row) for row in rows]


@router.get(
    "/v1/consignments/{consignment_id}",
    response_model=ConsignmentView,
    summary="A consignment: delivery state, decision, reasons, receipt, attempts",
    responses=problem_responses(401, 404),
)
def get_consignment(consignment_id: str, node: NodeDep) -> ConsignmentView:
    """Everything known about one consignment's delivery."""
    return consignment_view(node, consignment_id)


@router.get(
    "/v1/consignments/{consignment_id}/submission",
    summary="The exact submission sent",
    responses={
        200: {"description": "The submission text, as sent on every attempt", "content": {"application/json": {}}},
        **problem_responses(401, 404),
    },
)
def get_submission(consignment_id: str, node: NodeDep) -> Response:
    """The submission bytes this exporter sends (and sent) for the consignment."""
    text = node.storage.submission_text(consignment_id)
    if text is None:
        raise NotFoundError(Phrase("no consignment {consignment}", consignment=consignment_id))
    return Response(text.encode("utf-8"), media_type="application/json")


@router.get(
    "/v1/consignments/{consignment_id}/epcis",
    summary="The consignment's traceability events as a GS1 EPCIS 2.0 EPCISDocument",
    response_class=Response,
    responses={
        200: {
            "description": "An EPCIS 2.0 EPCISDocument (JSON-LD): id urn:pilot:epcis:<consignment id>, sender the "
            "exporter's DID, receiver the destination port's DID, one event per traceability event of the "
            "submission, ordered by eventTime then eventID",
            "content": {EPCIS_MEDIA_TYPE: {"schema": {"type": "object"}}},
        },
        **problem_responses(401, 404, 422),
    },
)
def get_epcis(consignment_id: str, node: NodeDep) -> Response:
    """The DigitalTraceabilityEvent credentials of the submission (embedded-proof ones as they are,
    enveloped ones decoded from their JWS payload) mapped to EPCIS 2.0 by ``schemas.epcis``; pilot
    members (hsCode, sourceFacility, processType) are extension members under the ``pilot`` prefix.
    ``creationDate`` is when the consignment was queued, so the document is the same on every call.
    Credentials the submission carries sealed are left out: the exporter cannot open them (and a
    traceability event holds no field a port takes only sealed in the sandbox's policies).

    404 NOT_FOUND for an unknown consignment; 422 SCHEMA_INVALID, with every finding in ``problems``,
    when a traceability event has no EPCIS 2.0 form (possible only for a submission queued as-is).
    """
    row = node.storage.consignment(consignment_id)
    if row is None:
        raise NotFoundError(Phrase("no consignment {consignment}", consignment=consignment_id))
    try:
        submission = parse_json(row["submission"])
        credentials = submission.get("credentials") if isinstance(submission, dict) else None
        if not isinstance(credentials, list):
            raise VerificationError.single(
                Code.SCHEMA_INVALID, "/credentials", "the submission has no credentials list"
            )
        document = epcis_document(
            dte_credentials([c for c in credentials if not is_sealed(c)]),
            document_id=f"urn:pilot:epcis:{consignment_id}",
            created=row["created_at"],
            sender=node.identity.did,
            receiver=did_of(row["destination"]),
        )
    except VerificationError as exc:
        raise ProblemError(
            Code.SCHEMA_INVALID,
            f"the traceability events of {consignment_id} have no EPCIS 2.0 form: {exc.problems[0].message}",
            status=422,
            extra={"problems": [p.as_dict() for p in exc.problems]},
        ) from exc
    except PilotSchemaError as exc:
        raise ProblemError(
            Code.SCHEMA_INVALID, f"the submission of {consignment_id} cannot be read: {exc}", status=422
        ) from exc
    return Response(dumps_compact(document), media_type=EPCIS_MEDIA_TYPE)


@router.get(
    "/v1/outbox",
    response_model=list[OutboxItem],
    summary="Consignments still to deliver",
    responses=problem_responses(400, 401),
)
def get_outbox(node: NodeDep, limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> list[OutboxItem]:
    """The outbox, soonest attempt first."""
    return [OutboxItem.from_row(row) for row in node.storage.outbox(limit=limit)]
