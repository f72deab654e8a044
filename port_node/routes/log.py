"""The public transparency log: the latest checkpoint, inclusion and consistency proofs, and the entries.

docs/design.md §6 and RFC 9162: proofs are lists of base64 (RFC 4648 section 4) hashes, leaf level
first; a consistency proof from size 0 or between equal sizes is ``[]`` and ``first > second`` is a
400. Sizes beyond the committed tree are 400 too. Anyone may read these routes: entries hold digests
and codes only.

A port run as several processes (``--workers``) serves from each: a route first brings its tree up to
the committed head of the database (``TransparencyLog.refresh``) when it needs more than the tree holds
(the latest checkpoint, the entries, a proof of a size beyond it), so a receipt from one worker is
provable at any other.
"""

from __future__ import annotations

from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Query
from starlette.responses import PlainTextResponse, Response

from node_core.problems import ProblemError, problem_responses
from port_node.api_models import MAX_ENTRIES, ConsistencyProof, InclusionProof, LogEntries
from port_node.log import TransparencyLog
from port_node.routes.deps import PortDep
from port_node.state import PortNode
from port_node.storage import unavailable
from schemas.codes import Code
from schemas.phrase import Phrase
from schemas.receipt import b64

router = APIRouter(prefix="/v1/log", tags=["log"])

NonNegative = Annotated[int, Query(ge=0)]


# The checkpoint and proof routes are ``async``: they read the in-memory tree without locks (readers see
# only committed leaves) in microseconds, so a trip through the thread pool would cost more than the work.
# Only a shared log (several processes) goes to a thread first, for its query of the committed head.


async def _fresh_log(port: PortNode) -> TransparencyLog:
    """The port's log, caught up with what other processes committed (503 if the database cannot say)."""
    if port.log.shared:
        with unavailable():
            await anyio.to_thread.run_sync(port.log.refresh, port.engine)
    return port.log


async def _log_with(port: PortNode, size: int) -> TransparencyLog:
    """The port's log once it holds ``size`` committed leaves, if the database has them.

    A tree that already holds them answers at once: its leaves below its size are committed and never
    change, so a proof of a size it has needs no query of the head, even when other processes append.
    """
    if size <= port.log.size:
        return port.log
    return await _fresh_log(port)


def _json(value: object) -> Response:
    # The documented response models describe these bodies; serialising directly skips re-validation.
    return Response(orjson.dumps(value), media_type="application/json")


def _invalid(detail: str) -> ProblemError:
    return ProblemError(Code.REQUEST_INVALID, detail)


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint",
    description="A C2SP `tlog-checkpoint` signed note (origin `<port id>.pilot.example/log`, signed by the "
    "port's `log` key), with the cosignatures gathered so far.",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "The signed note"}, **problem_responses(503)},
)
async def get_checkpoint(port: PortDep) -> Response:
    """The newest checkpoint the port signed, with the witnesses' cosignatures gathered so far."""
    note = (await _fresh_log(port)).served_note
    if not note:
        raise ProblemError(Code.LOG_UNAVAILABLE, Phrase("the log has no checkpoint yet"))
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get(
    "/proof/inclusion",
    summary="Inclusion proof of one leaf",
    response_model=InclusionProof,
    responses=problem_responses(400),
)
async def get_inclusion_proof(index: NonNegative, size: NonNegative, port: PortDep) -> Response:
    """RFC 9162 PATH(index, D[size]): ``index < size <= current size``."""
    log = await _log_with(port, size)
    if not index < size <= log.size:
        raise _invalid(f"need index < size <= {log.size}, got index {index} and size {size}")
    proof = log.inclusion_proof(index, size)
    return _json({"index": index, "size": size, "proof": [b64(h) for h in proof]})


@router.get(
    "/proof/consistency",
    summary="Consistency proof between two tree sizes",
    response_model=ConsistencyProof,
    responses=problem_responses(400),
)
async def get_consistency_proof(first: NonNegative, second: NonNegative, port: PortDep) -> Response:
    """RFC 9162 PROOF(first, D[second]): ``first <= second <= current size``; ``[]`` for 0 or equal sizes."""
    if first > second:
        raise _invalid(f"first ({first}) is larger than second ({second})")
    log = await _log_with(port, second)
    if second > log.size:
        raise _invalid(f"second ({second}) is beyond the log's size {log.size}")
    proof = log.consistency_proof(first, second)
    return _json({"first": first, "second": second, "proof": [b64(h) for h in proof]})


@router.get(
    "/entries",
    summary="Log entries by index range",
    description=f"`start <= end <= size`, `end` exclusive, at most {MAX_ENTRIES} entries. Each `entry`'s "
    "RFC 8785 bytes are its leaf input, so anyone can rebuild the tree and compare it with a checkpoint.",
    response_model=LogEntries,
    responses=problem_responses(400),
)
def get_entries(start: NonNegative, end: NonNegative, port: PortDep) -> Response:
    """The committed entries ``[start, end)``."""
    with unavailable():
        port.log.refresh(port.engine)
    size = port.log.size
    if start > end or end > size:
        raise _invalid(f"need start <= end <= {size}, got start {start} and end {end}")
    if end - start > MAX_ENTRIES:
        raise _invalid(f"at most {MAX_ENTRIES} entries per request, asked for {end - start}")
    rows = port.store.leaf_inputs(start, end)
    # The leaf inputs are canonical JSON already: splice them in rather than parse and re-serialise.
    items = b",".join(b'{"index":%d,"entry":%s}' % (index, data) for index, data in rows)
    return Response(b'{"entries":[' + items + b"]}", media_type="application/json")
