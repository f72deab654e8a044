"""``POST /v1/status`` and ``GET /v1/status``: the operator revokes one of the exporter's records, or reads its status.

docs/design.md §12. A change sets or clears the record's bit and signs the list's next version in one
transaction (``StatusIssuer.change``), then the publisher tries to deliver it to the registry at once; the
answer says whether the registry acknowledged it (``list.published``). When it did not (the registry is
down), the version stays in the outbox and is published as soon as the registry answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from exporter_node.routes.bodies import documented_body, json_body, parse_model
from exporter_node.routes.deps import NodeDep, PublisherDep
from node_core.problems import problem_responses
from schemas.status_list import status_list_url

router = APIRouter(tags=["status"])

#: The longest a change waits for the registry's acknowledgement before answering ``published: false``.
PUBLISH_WAIT_S = 5.0


class StatusChangeRequest(BaseModel):
    """``POST /v1/status``: which record, and what to do with its status."""

    model_config = ConfigDict(extra="forbid")

    credential: str = Field(min_length=1, max_length=2048, description="the id of a credential this exporter signed")
    action: Literal["revoke", "suspend", "reinstate"] = Field(
        description="revoke (final), suspend, or reinstate (clears a suspension only); the exporter's own "
        "records are revocation-only"
    )


class ListState(BaseModel):
    """The list version that holds the record's bit now."""

    id: str = Field(description="the status list credential's id")
    sequence: int
    published: bool = Field(description="the registry acknowledged this version")


class StatusChangeView(BaseModel):
    """What a change did."""

    credential: str
    changed: bool = Field(description="false when the bit already was as asked (no new version signed)")
    status: dict[str, bool] = Field(description="{purpose: bit set} for each of the record's entries")
    list: ListState


class StatusHistoryItem(BaseModel):
    """The record's bit in one version of its list held by the exporter."""

    list: str
    purpose: str
    sequence: int
    signedAt: str
    publishedAt: str | None
    refused: str | None = Field(description="the code the registry refused this version with, if it did")
    set: bool


class CredentialStatusView(BaseModel):
    """A record's status entries, its status now, and its history."""

    credential: str
    recordType: str
    issuedAt: str
    index: int
    entries: list[dict[str, str]]
    status: dict[str, bool]
    history: list[StatusHistoryItem]


@router.post(
    "/v1/status",
    response_model=StatusChangeView,
    summary="Revoke, suspend or reinstate a credential this exporter signed",
    openapi_extra=documented_body(StatusChangeRequest, "The credential id and the action."),
    responses=problem_responses(400, 401, 404, 413, 422, 503),
)
async def post_status(request: Request, node: NodeDep, publisher: PublisherDep) -> StatusChangeView:
    """Set or clear the credential's bit, sign the list's next version, and publish it at once.

    404 NOT_FOUND for a credential this exporter did not sign; 422 REQUEST_INVALID for suspend or
    reinstate of a record that has no suspension entry (the exporter's records are revoked, not suspended).
    """
    body = parse_model(StatusChangeRequest, await json_body(request))
    change = await run_in_threadpool(node.status_issuer.change, body.credential, body.action, node.now())
    await publisher.publish_now(PUBLISH_WAIT_S)
    version = await run_in_threadpool(node.status_issuer.store.version, change.version.list_id, change.version.sequence)
    published = version is not None and version.published_at is not None
    return StatusChangeView(
        credential=change.credential_id,
        changed=change.changed,
        status=change.status,
        list=ListState(
            id=status_list_url(node.node_id, change.version.list_id),
            sequence=change.version.sequence,
            published=published,
        ),
    )


@router.get(
    "/v1/status",
    response_model=CredentialStatusView,
    summary="A credential's status entries, its status now, and its history",
    responses=problem_responses(400, 401, 404),
)
def get_status(
    node: NodeDep, credential: Annotated[str, Query(min_length=1, max_length=2048, description="the credential id")]
) -> dict[str, Any]:
    """The record's entries, its status now, and its bit in every version of its lists held here."""
    return node.status_issuer.describe(credential)
