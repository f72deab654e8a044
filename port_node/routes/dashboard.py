"""The operator dashboard at ``GET /`` and the JSON it reads (``/v1/dashboard/*``), operator only.

The page is plain HTML, CSS and JavaScript bundled in ``port_node/dashboard`` (no build step, no CDN), with
the browser code every dashboard shares from ``node_core/dashboard_shared``. The operator token and its
cookie are handled by ``node_core.dashboard`` (``?token=`` traded once for an HttpOnly cookie named for this
node, then redirected without it). The page checks each consignment's inclusion proof itself (WebCrypto
SHA-256, or the bundled ``sha256.js`` where ``crypto.subtle`` is absent), from the leaf input and the
receipt's proof to the root of the receipt's checkpoint (RFC 9162 §2.1.3.2).
"""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from node_core.auth import read_token
from node_core.dashboard import OperatorAccess, asset_response, operator_access, shared_assets_router
from node_core.problems import ProblemError, problem_responses
from port_node.routes.deps import PortDep
from port_node.state import PortNode
from port_node.storage import unavailable
from port_node.tables import LOG_LEAVES, SUBMISSIONS
from schemas.codes import Code
from schemas.models.base import Role
from schemas.phrase import Phrase

router = APIRouter(tags=["dashboard"])
router.include_router(shared_assets_router)

ASSETS = Path(__file__).resolve().parent.parent / "dashboard"


def _access(request: Request, port: PortNode) -> OperatorAccess:
    settings = port.settings
    return operator_access(request, settings.node_id, lambda: read_token(settings.tokens_dir, settings.node_id))


def require_operator(request: Request, port: PortDep) -> PortNode:
    """The port, for an operator; 401 UNAUTHORIZED otherwise."""
    _access(request, port).require(request)
    return port


OperatorDep = Annotated[PortNode, Depends(require_operator)]


@router.get("/", include_in_schema=False)
def dashboard(request: Request, port: PortDep) -> Response:
    """The dashboard page (operator token in this node's cookie); ``?token=`` sets the cookie and redirects."""
    return _access(request, port).page(request, ASSETS / "index.html")


@router.get("/dashboard/{name}", include_in_schema=False)
def asset(name: str) -> Response:
    """A bundled script or style sheet (public: no data in them)."""
    return asset_response(ASSETS, name)


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/v1/dashboard/summary",
    summary="Dashboard: counts per exporter and decision, log and witnesses",
    responses=problem_responses(401),
)
def summary(port: OperatorDep, request: Request) -> Response:
    """Counts of this port's submissions per exporter and decision, the log's state and witnessing."""
    with unavailable():
        port.log.refresh(port.engine)  # another worker of this port may have appended (docs/design.md §10)
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
    with unavailable():
        port.log.refresh(port.engine)  # so the latest checkpoint is never older than the receipt's
    stored = port.store.find(exporter, submission_id)
    if stored is None:
        raise ProblemError(
            Code.NOT_FOUND,
            Phrase("no submission {submission} of {exporter}", submission=submission_id, exporter=exporter),
        )
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
