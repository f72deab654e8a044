"""The operator's routes for stored sealed credentials: list, open (recorded), and the access log.

docs/design.md §6. All three need the operator token (``routes.dashboard.OperatorDep``); the work is in
``port_node.sealed_access``. The opened credential is answered as its RFC 8785 bytes (the bytes whose
digest the manifest pins) with ``Cache-Control: no-store`` and is kept nowhere.

Who opens is the name the operator gives, in ``X-Operator-Name`` (ASCII) or in the JSON body
``{"operator": NAME}`` (any script), at most ``MAX_OPERATOR_NAME`` printable characters; ``operator``
when neither is given. The token is the port's one operator token, so the name is as declared, not
authenticated: it says which person of the port's staff claims the access.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from node_core.body import parse_json_body, read_limited_body, require_json_media_type
from node_core.problems import ProblemError, problem_responses
from port_node.access_log import SqlAccessLog
from port_node.routes.dashboard import OperatorDep
from port_node.sealed_access import SealedCredentials
from port_node.state import PortNode, receive_time
from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.phrase import Phrase

__all__ = ["DEFAULT_OPERATOR", "MAX_OPERATOR_NAME", "OPERATOR_HEADER", "router"]

router = APIRouter(tags=["sealed credentials"])

#: The header naming the person who opens a sealed credential.
OPERATOR_HEADER = "X-Operator-Name"
#: The name recorded when the operator gives none.
DEFAULT_OPERATOR = "operator"
#: The longest operator name recorded.
MAX_OPERATOR_NAME = 128
#: The largest body the open route reads: ``{"operator": NAME}``.
_MAX_BODY = 4096
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}
_PREFIX = "/v1/operator/submissions/{exporter}/{submission_id}"

Index = Annotated[int, Path(ge=0, le=10_000, description="The credential's 0-based index in `credentials`.")]


def _sealed(port: PortNode) -> SealedCredentials:
    return SealedCredentials(port.store, port.agreement_keys, SqlAccessLog(port.engine))


def _checked_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ProblemError(
            Code.REQUEST_INVALID, Phrase("the operator's name in {where} must be a non-empty string", where=where)
        )
    text: str = name.strip()
    if len(text) > MAX_OPERATOR_NAME or not text.isprintable():
        raise ProblemError(
            Code.REQUEST_INVALID,
            Phrase(
                "the operator's name in {where} must be at most {limit} printable characters",
                where=where,
                limit=MAX_OPERATOR_NAME,
            ),
        )
    return text


def _operator_name(request: Request, body: bytes) -> str:
    """The name given in the header or the body (the same one if both), else ``DEFAULT_OPERATOR``."""
    names = []
    header = request.headers.get(OPERATOR_HEADER)
    if header is not None:
        if not header.isascii():
            raise ProblemError(
                Code.REQUEST_INVALID,
                Phrase("{header} must be ASCII; give other names in the JSON body", header=OPERATOR_HEADER),
            )
        names.append(_checked_name(header, OPERATOR_HEADER))
    if body.strip():
        require_json_media_type(request.headers)
        document = parse_json_body(body)
        if not isinstance(document, dict) or not set(document) <= {"operator"}:
            raise ProblemError(Code.REQUEST_INVALID, Phrase('the body is {{"operator": NAME}} or nothing'))
        if "operator" in document:
            names.append(_checked_name(document["operator"], "the body"))
    if len(set(names)) > 1:
        raise ProblemError(
            Code.REQUEST_INVALID, Phrase("{header} and the body name different operators", header=OPERATOR_HEADER)
        )
    return names[0] if names else DEFAULT_OPERATOR


@router.get(
    _PREFIX + "/credentials",
    summary="Operator: the credentials of a stored submission, which are sealed and to which key",
    description="`{contentStored, credentials: [{index, sealed, kid, type}]}`: no content. `contentStored` is "
    "false (and the list empty) when the port did not keep the submission's content (docs/design.md §8).",
    responses=problem_responses(400, 401, 404, 503),
)
def list_credentials(exporter: str, submission_id: str, port: OperatorDep) -> dict[str, Any]:
    """Each credential of the stored submission: sealed or not, the ``kid`` it is sealed to, its record type."""
    stored, credentials = _sealed(port).listing(exporter, submission_id)
    return {
        "exporter": exporter,
        "submissionId": submission_id,
        "contentStored": stored,
        "credentials": [c.as_json() for c in credentials],
    }


@router.post(
    _PREFIX + "/credentials/{index}/open",
    summary="Operator: open a stored sealed credential (recorded in the access log)",
    description="Opens credential `index` with the port's key-agreement key and answers the signed credential "
    "(its RFC 8785 bytes, whose digest the manifest pins), `Cache-Control: no-store`; nothing of it is kept. "
    f'Name the person in `{OPERATOR_HEADER}` (ASCII) or the body `{{"operator": NAME}}` (default '
    f"`{DEFAULT_OPERATOR}`). Every attempt on a stored submission is recorded, opened or refused: `404 NOT_FOUND`, "
    "`409 CREDENTIAL_NOT_SEALED`, `410 SEALED_KEY_DESTROYED`, `409` with the opener's code when the stored JWE "
    "does not open (`SEALED_KEY_UNKNOWN`, `SEALED_INVALID`, `SEALED_ALGORITHM_UNSUPPORTED`).",
    response_model=None,
    responses={
        200: {"description": "The credential in clear text", "content": {"application/json": {}}},
        **problem_responses(400, 401, 404, 409, 410, 413, 415, 503),
    },
)
async def open_credential(
    exporter: str, submission_id: str, index: Index, request: Request, port: OperatorDep
) -> Response:
    """Open one sealed credential for the operator, recording the attempt first."""
    operator = _operator_name(request, await read_limited_body(request, _MAX_BODY))
    at = receive_time()

    def work() -> bytes:
        return canonicalize(_sealed(port).open(exporter, submission_id, index, operator, at))

    body = await anyio.to_thread.run_sync(work)
    return Response(body, media_type="application/json", headers=_NO_STORE)


@router.get(
    _PREFIX + "/access-log",
    summary="Operator: who opened the submission's sealed credentials, when, and with what outcome",
    description="`{exporter, submissionId, entries: [{at, operator, credentialIndex, kid, outcome}]}`, oldest "
    "first; `outcome` is `opened` or the code of the refusal.",
    responses=problem_responses(400, 401, 404, 503),
)
def access_log(exporter: str, submission_id: str, port: OperatorDep) -> Response:
    """The access log of one stored submission."""
    entries = _sealed(port).access(exporter, submission_id)
    body = canonicalize(
        {"exporter": exporter, "submissionId": submission_id, "entries": [e.as_json() for e in entries]}
    )
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
