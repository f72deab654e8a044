"""The operator dashboard at ``GET /`` and the JSON it reads (``/v1/dashboard/*``), operator only.

The page is plain HTML, CSS and JavaScript bundled in ``port_node/dashboard`` (no build step, no CDN).
The operator token comes as ``?token=`` (the link ``pilot up`` prints), a cookie, or ``Authorization:
Bearer``. A ``GET /?token=`` with the right token answers ``303 See Other`` to the same address without
the token, setting it in an HttpOnly, SameSite=Strict cookie named for this node (``pilot_token_<node
id>``, ``Path=/``): the token leaves the address bar (and the history, and any Referer) after the first
load, and the nodes of one machine do not share a cookie. Cookies are scoped by host, not by port, so
every node on 127.0.0.1 receives every node's cookie; each reads only its own. The page checks each
consignment's inclusion proof
itself (WebCrypto SHA-256, or the bundled ``sha256.js`` where ``crypto.subtle`` is absent), from the
leaf input and the receipt's proof to the root of the receipt's checkpoint (RFC 9162 §2.1.3.2).
"""

from __future__ import annotations

import base64
import hmac
from collections import Counter
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from node_core.auth import read_token
from node_core.problems import ProblemError, problem_responses
from port_node.routes.deps import PortDep
from port_node.state import PortNode
from port_node.tables import LOG_LEAVES, SUBMISSIONS
from schemas.codes import Code
from schemas.models.base import Role

router = APIRouter(tags=["dashboard"])

ASSETS = Path(__file__).resolve().parent.parent / "dashboard"
_ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: The dashboard cookie's name is this prefix and the node's short id.
COOKIE_PREFIX = "pilot_token_"


def cookie_name(node_id: str) -> str:
    """``pilot_token_<node id>``: the cookie holding this node's operator token."""
    return f"{COOKIE_PREFIX}{node_id}"


def _token(request: Request, port: PortNode) -> str:
    token: str | None = getattr(request.app.state, "dashboard_token", None)
    if token is None:
        token = read_token(port.settings.tokens_dir, port.settings.node_id)
        request.app.state.dashboard_token = token
    return token


def _presented(request: Request, port: PortNode) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("token") or request.cookies.get(cookie_name(port.settings.node_id))


def _is_operator(request: Request, port: PortNode) -> bool:
    presented = _presented(request, port)
    return presented is not None and hmac.compare_digest(presented.encode(), _token(request, port).encode())


def require_operator(request: Request, port: PortDep) -> PortNode:
    """The port, for an operator; 401 UNAUTHORIZED otherwise."""
    if not _is_operator(request, port):
        raise ProblemError(Code.UNAUTHORIZED, "operator token missing or wrong")
    return port


OperatorDep = Annotated[PortNode, Depends(require_operator)]


@router.get("/", include_in_schema=False)
def dashboard(request: Request, port: PortDep) -> Response:
    """The dashboard page (operator token in this node's cookie); ``?token=`` sets the cookie and redirects."""
    if not _is_operator(request, port):
        return HTMLResponse(
            "<!doctype html><title>operator token needed</title><h1>Operator token needed</h1>"
            "<p>Open the link <code>pilot up</code> printed (it carries <code>?token=</code>; the page then "
            "keeps it in a cookie for this node, so cookies must be allowed).</p>",
            status_code=401,
            headers={"Cache-Control": "no-store"},
        )
    token = request.query_params.get("token")
    if token:
        rest = [(name, value) for name, value in request.query_params.multi_items() if name != "token"]
        location = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response: Response = RedirectResponse(location, status_code=303)
        if hmac.compare_digest(token.encode(), _token(request, port).encode()):  # not a wrong one beside a header
            name = cookie_name(port.settings.node_id)
            response.set_cookie(name, token, path="/", httponly=True, samesite="strict")
    else:
        response = FileResponse(ASSETS / "index.html", media_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/dashboard/{name}", include_in_schema=False)
def asset(name: str) -> Response:
    """A bundled script or style sheet (public: no data in them)."""
    path = ASSETS / name
    if path.suffix not in _ASSET_TYPES or path.parent != ASSETS or not path.is_file():
        raise ProblemError(Code.NOT_FOUND, f"no dashboard asset {name}")
    return FileResponse(path, media_type=_ASSET_TYPES[path.suffix])


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/v1/dashboard/summary",
    summary="Dashboard: counts per exporter and decision, log and witnesses",
    responses=problem_responses(401),
)
def summary(port: OperatorDep, request: Request) -> Response:
    """Counts of this port's submissions per exporter and decision, the log's state and witnessing."""
    with port.engine.connect() as connection:
        rows = connection.execute(
            sa.select(SUBMISSIONS.c.exporter, SUBMISSIONS.c.decision, sa.func.count()).group_by(
                SUBMISSIONS.c.exporter, SUBMISSIONS.c.decision
            )
        ).all()
    counts: dict[str, Counter[str]] = {}
    for exporter, decision, n in rows:
        counts.setdefault(exporter, Counter())[decision] = int(n)
    registry = port.trust.current()
    participants = registry.participants.values()
    exporters = sorted({p.id for p in participants if p.role == Role.EXPORTER} | set(counts))
    ports = sorted(p.id for p in participants if p.role == Role.PORT_AUTHORITY)
    witness = request.app.state.witness
    return _json(
        {
            "port": port.settings.node_id,
            "exporters": exporters,
            "ports": ports,
            "counts": {e: dict(counts.get(e, {})) for e in exporters},
            "log": {
                "origin": port.log.origin,
                "size": port.log.size,
                "signing": port.log.signing_refusal is None,
                "problem": port.log.signing_refusal,
                "checkpoint": port.log.served_note,
                "cosigners": sorted(port.log.cosignatures(port.log.size)),
            },
            "witness": {"name": witness.name, "evidence": len(witness.evidence())},
        }
    )


@router.get(
    "/v1/dashboard/submissions",
    summary="Dashboard: the latest submissions and their decisions",
    responses=problem_responses(400, 401),
)
def submissions(port: OperatorDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    """The newest submissions first: exporter, id, decision, reason codes, receive time, log index."""
    with port.engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                SUBMISSIONS.c.exporter,
                SUBMISSIONS.c.submission_id,
                SUBMISSIONS.c.decision,
                SUBMISSIONS.c.reason_codes,
                SUBMISSIONS.c.received_at,
                SUBMISSIONS.c.leaf_index,
            )
            .order_by(SUBMISSIONS.c.leaf_index.desc())
            .limit(limit)
        ).all()
    return _json(
        {
            "submissions": [
                {
                    "exporter": r.exporter,
                    "submissionId": r.submission_id,
                    "decision": r.decision,
                    "reasonCodes": list(r.reason_codes),
                    "receivedAt": r.received_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "logIndex": int(r.leaf_index),
                }
                for r in rows
            ]
        }
    )


@router.get(
    "/v1/dashboard/submissions/{exporter}/{submission_id}",
    summary="Dashboard: one consignment's timeline",
    responses=problem_responses(400, 401, 404),
)
def submission(exporter: str, submission_id: str, port: OperatorDep) -> Response:
    """The receipt, the leaf input (base64) and the checkpoints the page needs to check inclusion itself."""
    stored = port.store.find(exporter, submission_id)
    if stored is None:
        raise ProblemError(Code.NOT_FOUND, f"no submission {submission_id} of {exporter}")
    with port.engine.connect() as connection:
        leaf_input = connection.execute(
            sa.select(LOG_LEAVES.c.leaf_input).where(LOG_LEAVES.c.leaf_index == stored.leaf_index)
        ).scalar_one()
    receipt = orjson.loads(stored.receipt)
    subject = receipt["credentialSubject"]
    return _json(
        {
            "exporter": exporter,
            "submissionId": submission_id,
            "decision": stored.decision,
            "reasons": stored.reasons,
            "receivedAt": subject["receivedAt"],
            "receipt": receipt,
            "leafInput": base64.b64encode(bytes(leaf_input)).decode(),
            "log": subject["log"],
            "latestCheckpoint": port.log.served_note,
            "contentStored": stored.content is not None,
        }
    )
