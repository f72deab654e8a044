"""``POST /v1/submissions``, ``POST /v1/submissions:batch``, ``GET /v1/submissions/{id}``, ``GET /v1/receipts/{id}``.

The signature headers are checked first, before a byte of the body is read (401/403 for anyone who is
not a known exporter signing for this port), then the ``Content-Type`` (415 unless JSON); only then is
the body read, on the event loop, within its size limit (413 before it is read whole) and the node's
body deadline (408). Everything else (digest and nonce, strict parse, assessment, signing, the database
write) runs in a few worker threads behind a FIFO limiter (``PortNode.intake_limiter``), so the loop
only moves bytes. Errors are ``ProblemError``s, turned into RFC 9457 answers by node_core's one handler.
"""

from __future__ import annotations

from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Query, Request
from starlette.datastructures import Headers
from starlette.responses import Response

from node_core.body import parse_json_body
from node_core.http_signatures import target_uri_from_scope
from node_core.problems import ProblemError, problem_responses
from port_node.api_models import MAX_BATCH, BatchRequest, BatchResponse, SubmissionReceipt, SubmissionRecord
from port_node.authentication import exporters_only
from port_node.routes.deps import PortDep
from port_node.state import PortNode, receive_time
from port_node.storage import SubmissionRow
from schemas.codes import Code
from schemas.jsonio import MAX_DEPTH, parse_json
from schemas.models.submission import Submission
from schemas.phrase import Phrase

router = APIRouter(tags=["submissions"])

_SIGNED = (
    "Signed with RFC 9421 (label `sig1`, `ed25519`, `created`, `nonce`, `keyid`; covered "
    '`"@method" "@target-uri" "content-digest" "content-type"`) by an exporter key with purpose `authentication`.'
)
_JSON_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}}
_RECEIPT = {"application/json": {"schema": {"$ref": "#/components/schemas/SubmissionReceipt"}}}


def _receipt_response(body: bytes, status: int) -> Response:
    return Response(body, status_code=status, media_type="application/json")


@router.post(
    "/v1/submissions",
    summary="Submit one consignment",
    description="One submission (the manifest and the credentials it references). "
    + _SIGNED
    + " `201` with the signed receipt for a new submission, whatever the decision; `200` with the same "
    "receipt bytes for an identical resubmission; `409 DUPLICATE_CONFLICT` for the same "
    "`(exporter, submissionId)` with other content.",
    status_code=201,
    response_model=None,
    openapi_extra={"requestBody": {"required": True, "content": _JSON_BODY}},
    responses={
        201: {"description": "New submission: its signed receipt", "content": _RECEIPT, "model": SubmissionReceipt},
        200: {"description": "Identical resubmission: the original receipt, byte for byte", "content": _RECEIPT},
        **problem_responses(400, 401, 403, 408, 409, 413, 415, 503),
    },
)
async def post_submission(request: Request, port: PortDep) -> Response:
    """Decide and log one submission."""
    at = receive_time()
    signed, body = await port.auth.read_signed_body(request, at, exporters_only, limit=port.settings.max_body_bytes)

    def work() -> tuple[int, bytes]:
        exporter = port.auth.exporter_of(signed, body)
        document = parse_json_body(body)
        outcome = port.intake.submit(document, exporter, at)
        return outcome.status, outcome.receipt

    status, receipt = await anyio.to_thread.run_sync(work, limiter=port.intake_limiter())
    return _receipt_response(receipt, status)


def _batch_items(body: bytes) -> list[Any]:
    # Two levels for {"submissions": [...]}: each item gets the single-submission nesting limit. A body
    # that is not strict JSON raises JsonMalformedError: node_core's handler answers 400 JSON_MALFORMED.
    document = parse_json(body, max_depth=MAX_DEPTH + 2)
    if (
        not isinstance(document, dict)
        or set(document) != {"submissions"}
        or not isinstance(document["submissions"], list)
    ):
        raise ProblemError(Code.REQUEST_INVALID, Phrase('a batch is {{"submissions": [...]}} and nothing else'))
    items: list[Any] = document["submissions"]
    if len(items) > MAX_BATCH:
        raise ProblemError(Code.REQUEST_INVALID, Phrase("a batch holds at most {limit} submissions", limit=MAX_BATCH))
    return items


@router.post(
    "/v1/submissions:batch",
    summary="Submit up to 1,000 consignments",
    description='`{"submissions": [...]}` (at most 1,000, 16 MiB). '
    + _SIGNED
    + " Each item is decided on its own, and the new ones are committed in groups (each group whole or not at "
    "all); `results[i]` is `{status, receipt}` (201 or 200) or "
    "`{status, problem}` (for example 409 `DUPLICATE_CONFLICT`).",
    response_model=BatchResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}},
        }
    },
    responses=problem_responses(400, 401, 403, 408, 413, 415, 503),
)
async def post_batch(request: Request, port: PortDep) -> Response:
    """Decide and log each submission of a batch."""
    at = receive_time()
    signed, body = await port.auth.read_signed_body(
        request, at, exporters_only, limit=port.settings.max_batch_body_bytes
    )

    def work() -> bytes:
        exporter = port.auth.exporter_of(signed, body)
        parts: list[bytes] = []
        for answer in port.intake.submit_many(_batch_items(body), exporter, at):
            if isinstance(answer, ProblemError):
                if answer.status >= 500:
                    raise answer
                parts.append(orjson.dumps({"status": answer.status, "problem": answer.body()}))
            else:
                parts.append(b'{"status":%d,"receipt":%s}' % (answer.status, answer.receipt))
        return b'{"results":[' + b",".join(parts) + b"]}"

    return Response(await anyio.to_thread.run_sync(work, limiter=port.intake_limiter()), media_type="application/json")


# -- reading back -------------------------------------------------------------------------------------


def _lookup(port: PortNode, request: Request, submission_id: str, exporter: str | None) -> SubmissionRow:
    caller = port.auth.caller(
        request.method, target_uri_from_scope(request), Headers(scope=request.scope), receive_time()
    )
    if caller.operator:
        stored = port.store.find(exporter, submission_id) if exporter else port.store.find_any(submission_id)
    else:
        assert caller.exporter is not None
        stored = port.store.find(caller.exporter, submission_id)
    if stored is None:
        raise ProblemError(Code.NOT_FOUND, Phrase("no such submission is visible to this caller"))
    return stored


_READ = (
    'Only the submitting exporter (an RFC 9421-signed GET, covered `"@method" "@target-uri"`) and the '
    "port's operator (`Authorization: Bearer <token>`) see it; anyone else gets 404."
)
_EXPORTER_QUERY = Query(default=None, description="Operator only: the exporter's short id, when ids collide")


@router.get(
    "/v1/submissions/{submission_id}",
    summary="What the port stored about a submission",
    description=_READ,
    response_model=SubmissionRecord,
    responses=problem_responses(400, 401, 403, 404),
)
def get_submission(
    submission_id: str, request: Request, port: PortDep, exporter: str | None = _EXPORTER_QUERY
) -> Response:
    """The stored record of a submission (content only when the port may keep it)."""
    stored = _lookup(port, request, submission_id, exporter)
    record = {
        "submissionId": stored.submission_id,
        "exporter": stored.exporter,
        "submissionDigest": stored.digest,
        "decision": stored.decision,
        "reasonCodes": stored.reason_codes,
        "reasons": stored.reasons,
        "receivedAt": orjson.loads(stored.receipt)["credentialSubject"]["receivedAt"],
        "logIndex": stored.leaf_index,
        "contentStored": stored.content is not None,
        "submission": orjson.loads(stored.content) if stored.content is not None else None,
    }
    return Response(orjson.dumps(record), media_type="application/json")


@router.get(
    "/v1/receipts/{submission_id}",
    summary="The signed receipt of a submission",
    description=_READ,
    response_model=None,
    responses={
        200: {"description": "The receipt bytes as first served", "content": _RECEIPT},
        **problem_responses(400, 401, 403, 404),
    },
)
def get_receipt(
    submission_id: str, request: Request, port: PortDep, exporter: str | None = _EXPORTER_QUERY
) -> Response:
    """The receipt, byte for byte as it was served at submission."""
    return _receipt_response(_lookup(port, request, submission_id, exporter).receipt, 200)


# Referenced by $ref from the raw-body routes above; listed so the OpenAPI document defines them.
DOCUMENTED_MODELS = (Submission, SubmissionReceipt, BatchRequest)
