"""``GET /contexts/...``: the pilot's JSON-LD contexts, served by every node from the ``schemas`` package.

``/contexts/index.json`` is ``schemas/contexts/index.json`` (each context URL and its file name) and
``/contexts/<file>`` is the file, as ``application/ld+json`` with an ETag and a day of caching: the files
change only with a release, and a verifier that expands credentials offline can take them from any node.
"""

from __future__ import annotations

import hashlib
from functools import cache

from fastapi import APIRouter, Request, Response

from node_core.problems import ProblemError, problem_responses
from schemas.codes import Code
from schemas.jsonld import CONTEXTS_DIR, context_index
from schemas.phrase import Phrase

__all__ = ["JSONLD_MEDIA_TYPE", "get_context", "router"]

JSONLD_MEDIA_TYPE = "application/ld+json"
_CACHE_CONTROL = "public, max-age=86400"

router = APIRouter(tags=["contexts"])


@cache
def _served_files() -> dict[str, tuple[bytes, str]]:
    """File name -> (bytes, ETag) for index.json and every context it lists."""
    names = ["index.json", *sorted(set(context_index().values()))]
    files: dict[str, tuple[bytes, str]] = {}
    for name in names:
        data = (CONTEXTS_DIR / name).read_bytes()
        files[name] = (data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
    return files


@router.get(
    "/contexts/{name}",
    summary="A JSON-LD context of the pilot (or index.json, the map from context URL to file)",
    response_class=Response,
    responses={
        200: {
            "description": "the context document (`application/json` for index.json)",
            "content": {
                JSONLD_MEDIA_TYPE: {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            },
        },
        304: {"description": "not modified (If-None-Match matched the ETag)"},
        **problem_responses(404),
    },
)
def get_context(name: str, request: Request) -> Response:
    """The file ``name`` of ``schemas/contexts/``; 404 NOT_FOUND for anything the index does not list."""
    found = _served_files().get(name)
    if found is None:
        raise ProblemError(Code.NOT_FOUND, Phrase("no context file {name}; see /contexts/index.json", name=repr(name)))
    data, etag = found
    headers = {"ETag": etag, "Cache-Control": _CACHE_CONTROL}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    media_type = "application/json" if name == "index.json" else JSONLD_MEDIA_TYPE
    return Response(data, media_type=media_type, headers=headers)
