"""``POST /v1/credentials`` and ``GET /v1/credentials``: credentials from certifiers and ``ru-vet``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from exporter_node.api_models import CredentialView
from exporter_node.credential_import import credential_view, import_credential
from exporter_node.routes.bodies import documented_body, json_body
from exporter_node.routes.deps import NodeDep
from node_core.problems import problem_responses

router = APIRouter(tags=["credentials"])


class ImportedCredential(BaseModel):
    """Any W3C VC 2.0 credential, embedded-proof or enveloped (VC-JOSE-COSE)."""

    model_config = ConfigDict(extra="allow")


@router.post(
    "/v1/credentials",
    status_code=201,
    response_model=CredentialView,
    summary="Import a conformity credential or veterinary attestation, verified on import",
    openapi_extra=documented_body(ImportedCredential, "The credential as its issuer signed it."),
    responses={
        200: {"description": "The same credential was imported before", "model": CredentialView},
        **problem_responses(400, 401, 409, 413, 503),
    },
)
async def post_credential(request: Request, response: Response, node: NodeDep) -> CredentialView:
    """Verify with the trust list now and store: 201 new, 200 already imported.

    Refused with 400 and the verifier's code: PROOF_INVALID (bad signature), ISSUER_UNKNOWN,
    ISSUER_ROLE_NOT_AUTHORIZED, KEY_REVOKED, CREDENTIAL_EXPIRED, CREDENTIAL_NOT_YET_VALID,
    SCHEMA_INVALID (including a record type the exporter does not import), CREDENTIAL_REVOKED and
    CREDENTIAL_SUSPENDED (its issuer's status list in the registry says so); 409 DUPLICATE_CONFLICT for
    another credential under a known id. A status that cannot be established is a STATUS_UNAVAILABLE warning.
    """
    document = await json_body(request)
    view, created = await run_in_threadpool(import_credential, node, document)
    response.status_code = 201 if created else 200
    return view


@router.get(
    "/v1/credentials",
    response_model=list[CredentialView],
    summary="Imported credentials",
    responses=problem_responses(401),
)
def list_credentials(node: NodeDep) -> list[CredentialView]:
    """Every imported credential, oldest first."""
    return [credential_view(row) for row in node.storage.imported_credentials()]
