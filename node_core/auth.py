"""Operator bearer tokens: one random token per node in ``<data dir>/tokens/<short id>`` (docs/design.md §6).

Operator routes accept it as ``Authorization: Bearer <token>`` or, for the dashboard links that
``pilot up`` prints (as Jupyter does), as a ``?token=`` query parameter; a node's dashboard also reads it
from the node's cookie (``node_core.dashboard``). Comparison is constant-time.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request

from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.phrase import Phrase

__all__ = [
    "TOKEN_BYTES",
    "ensure_token",
    "operator_auth",
    "presented_token",
    "read_token",
    "token_matches",
    "token_path",
]

TOKEN_BYTES = 32


def token_path(tokens_dir: Path, node_id: str) -> Path:
    """``<tokens dir>/<node id>``."""
    return Path(tokens_dir) / node_id


def read_token(tokens_dir: Path, node_id: str) -> str:
    """The node's token; ``FileNotFoundError`` if it was never created."""
    token = token_path(tokens_dir, node_id).read_text(encoding="ascii").strip()
    if not token:
        raise ValueError(f"token file for {node_id} is empty")
    return token


def ensure_token(tokens_dir: Path, node_id: str) -> str:
    """The node's token, creating it (32 random bytes, base64url, file mode 0600) if absent."""
    path = token_path(tokens_dir, node_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_token(tokens_dir, node_id)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def presented_token(request: Request, cookie: str | None = None) -> str | None:
    """The token ``request`` presents: its ``Authorization`` header when it has one (a Bearer token, or
    nothing for another scheme), else ``?token=``, else the cookie named ``cookie`` when one is given."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None
    return request.query_params.get("token") or (request.cookies.get(cookie) if cookie else None)


def token_matches(presented: str | None, expected: str) -> bool:
    """Whether ``presented`` is ``expected`` (constant-time; None never matches)."""
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def operator_auth(expected_token: str) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency admitting only the operator: ``dependencies=[Depends(operator_auth(t))]``."""

    async def require_operator(request: Request) -> None:
        if not token_matches(presented_token(request), expected_token):
            raise ProblemError(
                Code.UNAUTHORIZED,
                Phrase("operator bearer token missing or wrong"),
                headers={"WWW-Authenticate": 'Bearer realm="pilot"'},
            )

    return require_operator
