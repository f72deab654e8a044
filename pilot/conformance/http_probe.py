"""Small HTTP helpers for probing a node: describe an answer, demand a problem, sign requests oddly.

``signed_request`` builds a request signed with the pilot's RFC 9421 profile and lets a case bend it
the ways a port must refuse: another key behind the keyid, a stale ``created``, a body changed after
signing (docs/design.md §4).
"""

from __future__ import annotations

import time

import httpx

from node_core.http_signatures import sign_request
from node_core.port_client import problem_code
from pilot.conformance.model import CaseFailed
from schemas.errors import PilotSchemaError
from schemas.jsonio import parse_json

__all__ = ["JSON", "describe", "expect_problem", "signed_request"]

JSON = {"content-type": "application/json"}


def describe(response: httpx.Response) -> str:
    """``HTTP 401 REQUEST_SIGNATURE_INVALID`` (or the start of the body when it is not a problem)."""
    code = problem_code(response.content)
    if code:
        return f"HTTP {response.status_code} {code}"
    try:
        body = parse_json(response.content)
    except PilotSchemaError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("credentialSubject"), dict):
        return f"HTTP {response.status_code} with a receipt (decision {body['credentialSubject'].get('decision')})"
    text = response.text[:120].replace("\n", " ")
    return f"HTTP {response.status_code} {text}".rstrip()


def expect_problem(response: httpx.Response, status: int, code: str | None) -> str:
    """The answer must be ``status`` with an ``application/problem+json`` body whose ``code`` is ``code``."""
    seen = describe(response)
    if response.status_code != status or (code is not None and problem_code(response.content) != code):
        raise CaseFailed(seen)
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if media != "application/problem+json":
        raise CaseFailed(f"{seen}, but Content-Type is {media!r}, not application/problem+json (RFC 9457)")
    return seen


def signed_request(
    client: httpx.Client,
    method: str,
    url: str,
    body: bytes | None,
    *,
    signer: tuple[object, str],
    created_offset_s: float = 0.0,
) -> httpx.Request:
    """A request signed by ``signer`` = (private key, keyid), ``created`` shifted by ``created_offset_s``."""
    key, keyid = signer
    request = client.build_request(method, url, content=body, headers=JSON if body else None)
    sign_request(request, key, keyid, now=time.time() + created_offset_s)  # type: ignore[arg-type]
    return request
