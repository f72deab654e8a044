"""The port's witness routes: C2SP tlog-witness ``add-checkpoint``, the latest cosigned checkpoint, evidence.

``POST /v1/witness/add-checkpoint`` follows tlog-witness (``port_node.witness`` has the rules): 200 with
the cosignature line (``text/plain``), 409 with the size the witness holds (``text/x.tlog.size``) or a
problem, 400/403/404/422 problems. ``GET /v1/witness/latest?origin=`` is what a log asks at start-up to
learn whether it was rolled back; ``GET /v1/witness/evidence`` lists recorded equivocation. All public:
they carry only signed checkpoints, which are public anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from node_core.body import read_limited_body
from node_core.problems import ProblemError, problem_responses
from port_node.cosigning import WITNESS_SIZE_TYPE
from port_node.witness import Witness, WitnessRefusal
from schemas.signed_note import MAX_NOTE_BYTES

router = APIRouter(prefix="/v1/witness", tags=["witness"])


def _witness(request: Request) -> Witness:
    witness: Witness = request.app.state.witness
    return witness


@router.post(
    "/add-checkpoint",
    summary="Ask this port's witness to cosign a checkpoint (C2SP tlog-witness)",
    description="Body: `old <size>`, the consistency proof lines (base64), an empty line, the signed "
    "checkpoint. 200: the cosignature line (C2SP tlog-cosignature, key name "
    "`<port id>.pilot.example/witness`). 409: `old` is not the size this witness cosigned last (body: that "
    "size, `text/x.tlog.size`), or the log signed another root for the same size (evidence recorded). "
    "422: the consistency proof does not verify (evidence recorded). 403: bad signature. 404: unknown origin.",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **problem_responses(400, 403, 404, 409, 422)},
)
async def add_checkpoint(request: Request) -> Response:
    """Verify and cosign one checkpoint."""
    witness = _witness(request)
    body = await read_limited_body(request, MAX_NOTE_BYTES + 4096)
    try:
        line = await anyio.to_thread.run_sync(witness.add_checkpoint, body)
    except WitnessRefusal as refusal:
        if refusal.held_size is not None:  # tlog-witness: the size held, as text/x.tlog.size
            return PlainTextResponse(f"{refusal.held_size}\n", status_code=409, media_type=WITNESS_SIZE_TYPE)
        raise ProblemError(refusal.code, refusal.detail, status=refusal.status) from refusal
    return PlainTextResponse(line, media_type="text/plain; charset=utf-8")


@router.get(
    "/latest",
    summary="The latest checkpoint this witness cosigned for a log origin",
    description='`{"origin", "size", "root", "note"}`; size 0 and nulls when it never cosigned for it.',
    responses=problem_responses(400),
)
def latest(request: Request, origin: Annotated[str, Query(min_length=1, max_length=256)]) -> dict[str, Any]:
    """What the witness holds for ``origin``."""
    held = _witness(request).latest(origin)
    if held is None:
        return {"origin": origin, "size": 0, "root": None, "note": None}
    return held.as_json()


@router.get("/evidence", summary="Equivocation this witness recorded (two checkpoints that cannot both be true)")
def evidence(request: Request) -> JSONResponse:
    """``{"witness", "evidence": [{"origin", "kind", "heldNote", "offeredNote", "proof", "detail", "recordedAt"}]}``."""
    witness = _witness(request)
    return JSONResponse({"witness": witness.name, "evidence": witness.evidence()})
