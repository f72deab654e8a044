"""Status list credentials: ``GET|POST /v1/status/{issuer}/{list}``, its ``/history`` and ``/versions/{sequence}``.

docs/design.md §§6, 12. Reading is open to anyone (the lists are public): the current version with an
``ETag`` and a ``Cache-Control`` (``registry_node.caching``), 304 for a matching ``If-None-Match``, or the
version held at ``?timestamp=`` (the W3C Bitstring Status List parameter name). Every answer carries the
credential's bytes exactly as its issuer sent them.

Posting a version: a list name no list can have is 404; then the signature headers are checked
(``node_core.participant_auth``: 401, or 403 for anyone but the list's issuer), before a byte of the body
is read; then the ``Content-Type`` (415) and the size limit (413, decided before the body is read whole);
then, in a worker thread, the digest and the nonce (401), strict JSON (400), the credential (422
``STATUS_LIST_INVALID``) and the ordering (409 ``STATUS_LIST_OUT_OF_ORDER``); a new version is 201, the
version already held under that sequence 200. Errors are ``ProblemError``s, answered by node_core's one
handler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import JSONResponse, Response

from node_core.participant_auth import SignerRule
from node_core.problems import ProblemError, problem_responses
from registry_node.caching import cache_control, entity_tag, none_match
from registry_node.intake import accept_version
from registry_node.routes.deps import RegistryDep
from registry_node.state import receive_time
from registry_node.store import Accepted, StoredVersion
from schemas.codes import Code
from schemas.errors import JsonMalformedError, VerificationError
from schemas.phrase import Phrase
from schemas.status_list import status_list_url
from schemas.time import format_time, parse_time
from schemas.trust import ResolvedKey

router = APIRouter(tags=["status lists"])

#: ``Cache-Control`` of one exact version: its bytes never change.
IMMUTABLE = "public, max-age=31536000, immutable"
_LIST = "/v1/status/{issuer}/{list}"

Issuer = Annotated[str, Path(description="The issuer's short id, e.g. `cert-01`.")]
ListId = Annotated[str, Path(alias="list", description="The list id, `<purpose>-<generation>`, e.g. `revocation-1`.")]
_CREDENTIAL = {"application/json": {"schema": {"$ref": "#/components/schemas/BitstringStatusListCredential"}}}
_CACHE_HEADERS = {
    "ETag": {"description": "The version's digest, quoted", "schema": {"type": "string"}},
    "Cache-Control": {"description": "`public, max-age=N`", "schema": {"type": "string"}},
}


def list_url(issuer: str, list_id: str) -> str:
    """The status list credential id named by the path; 404 for a name no list can have."""
    try:
        return status_list_url(issuer, list_id)
    except ValueError:
        raise ProblemError(Code.NOT_FOUND, Phrase("no status list has this name")) from None


def the_lists_issuer(issuer: str) -> SignerRule:
    """The ``SignerRule`` of a list's URL: only ``issuer`` may publish its versions (403 for anyone else)."""

    def rule(key: ResolvedKey) -> Phrase | None:
        if key.participant_id == issuer:
            return None
        return Phrase(
            "{participant} may publish its own status lists only, not another participant's",
            participant=key.participant_id,
        )

    return rule


def _not_found() -> ProblemError:
    return ProblemError(Code.NOT_FOUND, Phrase("the registry holds no such status list version"))


def _credential_response(request: Request, version: StoredVersion, cache: str) -> Response:
    """The version's bytes with its ``ETag`` and ``Cache-Control``, or 304 when the client holds them."""
    tag = entity_tag(version.digest)
    headers = {"ETag": tag, "Cache-Control": cache}
    if none_match(", ".join(request.headers.getlist("if-none-match")) or None, tag):
        return Response(status_code=304, headers=headers)
    return Response(version.credential, media_type="application/json", headers=headers)


def _count(request: Request, outcome: str) -> None:
    request.app.state.status_list_posts.labels(outcome).inc()


@router.get(
    _LIST,
    summary="The current status list credential (or the one held at a time)",
    description="The highest version held, as its issuer signed it, with `ETag` (its digest) and "
    "`Cache-Control: public, max-age=N` (N = the list's `ttl`, never past its `validUntil`). "
    "`If-None-Match` with the current tag: 304. `?timestamp=<RFC 3339>`: the version the registry held "
    "at that time (the last one received at or before it).",
    response_model=None,
    responses={
        200: {"description": "The status list credential", "content": _CREDENTIAL, "headers": _CACHE_HEADERS},
        304: {"description": "Not modified: the client holds this version", "headers": _CACHE_HEADERS},
        **problem_responses(400, 404),
    },
)
def get_status_list(
    issuer: Issuer,
    list_id: ListId,
    request: Request,
    registry: RegistryDep,
    timestamp: Annotated[
        str | None, Query(description="RFC 3339: the version held at that time instead of the current one.")
    ] = None,
) -> Response:
    """The current version, or the one held at ``timestamp``."""
    list_url(issuer, list_id)
    if timestamp is None:
        version = registry.store.current(issuer, list_id)
    else:
        try:
            at = parse_time(timestamp)
        except VerificationError:
            raise ProblemError(Code.REQUEST_INVALID, Phrase("timestamp must be an RFC 3339 time with a zone")) from None
        version = registry.store.held_at(issuer, list_id, at)
    if version is None:
        raise _not_found()
    return _credential_response(request, version, cache_control(version.ttl_ms, version.valid_until, _now()))


@router.get(
    _LIST + "/history",
    summary="Every version of a status list",
    description='`{"id", "versions": [{"sequence", "digest", "validFrom", "validUntil", "receivedAt"}]}`, '
    "oldest first.",
    responses=problem_responses(404),
)
def get_history(issuer: Issuer, list_id: ListId, registry: RegistryDep) -> dict[str, Any]:
    """The list's versions, oldest first."""
    url = list_url(issuer, list_id)
    versions = registry.store.history(issuer, list_id)
    if not versions:
        raise _not_found()
    return {
        "id": url,
        "versions": [
            {
                "sequence": v.sequence,
                "digest": v.digest,
                "validFrom": format_time(v.valid_from),
                "validUntil": format_time(v.valid_until),
                "receivedAt": format_time(v.received_at),
            }
            for v in versions
        ],
    }


@router.get(
    _LIST + "/versions/{sequence}",
    summary="One exact version of a status list",
    description="The bytes of version `sequence` as its issuer signed them (for audit bundles); immutable.",
    response_model=None,
    responses={
        200: {"description": "The status list credential", "content": _CREDENTIAL, "headers": _CACHE_HEADERS},
        304: {"description": "Not modified"},
        **problem_responses(400, 404),
    },
)
def get_version(
    issuer: Issuer,
    list_id: ListId,
    # A sequence no list can have (negative, or beyond a database integer) is a 400, not a query that overflows.
    sequence: Annotated[int, Path(ge=0, le=2**53 - 1, description="The version's `sequence`.")],
    request: Request,
    registry: RegistryDep,
) -> Response:
    """Version ``sequence`` exactly."""
    list_url(issuer, list_id)
    version = registry.store.version(issuer, list_id, sequence)
    if version is None:
        raise _not_found()
    return _credential_response(request, version, IMMUTABLE)


@router.post(
    _LIST,
    summary="Publish a new version of a status list",
    description="A `BitstringStatusListCredential` signed by the list's issuer, at the list's URL, with a "
    "`sequence` above the one held. The request is signed with RFC 9421 (label `sig1`, `ed25519`, `created`, "
    '`nonce`, `keyid`; covered `"@method" "@target-uri" "content-digest" "content-type"`) by one of the '
    "issuer's keys with purpose `authentication`; anyone else gets 403. `201` for a new version, `200` for "
    "the version already held under that sequence, `409 STATUS_LIST_OUT_OF_ORDER` for a sequence at or "
    "below the one held, `422 STATUS_LIST_INVALID` for a credential that does not verify or is not the "
    "issuer's list at this URL.",
    status_code=201,
    response_model=None,
    openapi_extra={"requestBody": {"required": True, "content": _CREDENTIAL}},
    responses={
        201: {"description": "A new version: `{id, sequence, digest}`"},
        200: {"description": "This very version was held already: `{id, sequence, digest}`"},
        **problem_responses(400, 401, 403, 404, 408, 409, 413, 415, 422),
    },
)
async def post_status_list(issuer: Issuer, list_id: ListId, request: Request, registry: RegistryDep) -> Response:
    """Keep a new version of the issuer's list."""
    at = receive_time()
    try:
        url = list_url(issuer, list_id)
        signed, body = await registry.auth.read_signed_body(
            request, at, the_lists_issuer(issuer), limit=registry.settings.max_body_bytes
        )

        def work() -> Accepted:
            registry.auth.verified_signer(signed, body)
            return accept_version(registry.store, registry.trust, issuer, list_id, body, at)

        accepted = await anyio.to_thread.run_sync(work)
    except (ProblemError, JsonMalformedError) as exc:
        _count(request, str(exc.code))
        raise
    _count(request, "created" if accepted.created else "identical")
    answer = {"id": url, "sequence": accepted.sequence, "digest": accepted.digest}
    return JSONResponse(answer, status_code=201 if accepted.created else 200)


def _now() -> datetime:
    return datetime.now(UTC)
