"""Publishing a status list credential to the registry: one RFC 9421-signed POST, its answer sorted by blame.

docs/design.md §12. An issuer (an exporter node, or ``pilot`` for ``cert-01``, ``cert-02`` and ``ru-vet``)
posts each version it signs to ``POST /v1/status/{issuer}/{list}`` of the registry it knows; the issuer
and the list id come from the credential's own ``id`` (``schemas.status_list.status_list_path``).
The request is signed with one of the issuer's ``authentication`` keys (``RequestSigner``), afresh on every
call, so a retry is never a replay. The body is the credential's compact JSON, which the registry keeps
and serves byte for byte.

Errors, split by blame (STYLE habit 2)::

    PublishError
    ├── PublishRefused        the registry answered a 4xx problem (final: retrying the same version will
    │                         not help); ``code`` (its stable code, or None), ``status``, ``detail``, and
    │                         for 409 ``STATUS_LIST_OUT_OF_ORDER`` (``out_of_order``) ``held_sequence``
    └── RegistryUnavailable   a transport error, a 5xx, a 429 or an answer that cannot be read (retry later)

A credential whose ``id`` is not a pilot status list URL is the caller's mistake: ``ValueError``.

After a 409 the issuer signs its list again above the registry's highest sequence (as when a data
directory was reused). ``registry_highest_sequence`` (``_async`` for an ``httpx.AsyncClient``) says what
that is: the ``heldSequence`` the registry's 409 problem names, or else the highest in
``GET .../history`` (0 when the registry holds no version of the list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from node_core.http_signatures import RequestSigner
from schemas.codes import Code
from schemas.keyring import KeyEntry
from schemas.status_list import status_list_path

__all__ = [
    "PublishError",
    "PublishRefused",
    "Published",
    "RegistryUnavailable",
    "publish_status_list",
    "publish_status_list_async",
    "registry_highest_sequence",
    "registry_highest_sequence_async",
]

#: The longest problem detail kept from a registry's answer.
_MAX_DETAIL = 500
_JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Published:
    """What the registry answered: 201 for a new version, 200 for the very version it already held."""

    status: int
    sequence: int
    digest: str


class PublishError(Exception):
    """Root of the publishing errors."""


class PublishRefused(PublishError):
    """The registry refused the version with a 4xx problem: final for this version.

    ``held_sequence`` is the registry's highest sequence of the list when its problem names it (the
    ``heldSequence`` member of a 409 ``STATUS_LIST_OUT_OF_ORDER``), else None.
    """

    def __init__(self, code: str | None, status: int, detail: str, *, held_sequence: int | None = None) -> None:
        self.code = code
        self.status = status
        self.detail = detail
        self.held_sequence = held_sequence
        super().__init__(f"registry refused the status list ({status} {code or 'no code'}): {detail}")

    @property
    def out_of_order(self) -> bool:
        """The registry holds this version's sequence or a higher one: a version above it may be signed."""
        return self.status == 409 or self.code == Code.STATUS_LIST_OUT_OF_ORDER


class RegistryUnavailable(PublishError):
    """The registry could not be reached, was busy or failed (5xx, 429): try again later."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        self.detail = detail
        self.status = status
        super().__init__(detail)


def _request(registry_url: str, credential: Mapping[str, Any]) -> tuple[str, bytes]:
    """The URL to post to and the body: the credential's compact JSON."""
    ident = credential.get("id")
    path = status_list_path(ident) if isinstance(ident, str) else None
    if path is None:
        raise ValueError("the credential's id is not a pilot status list URL (schemas.status_list.status_list_url)")
    body = json.dumps(credential, separators=(",", ":"), ensure_ascii=False).encode()
    return registry_url.rstrip("/") + path, body


def _problem(response: httpx.Response) -> tuple[str | None, str, int | None]:
    """``(code, detail, heldSequence)`` of a problem answer; whatever can be read of another body."""
    try:
        document = response.json()
    except ValueError:
        return None, response.text[:_MAX_DETAIL], None
    if not isinstance(document, dict):
        return None, response.text[:_MAX_DETAIL], None
    code = document.get("code")
    detail = document.get("detail")
    held = document.get("heldSequence")
    held_sequence = held if type(held) is int and held >= 0 else None
    return (
        code if isinstance(code, str) else None,
        (str(detail) if detail is not None else "")[:_MAX_DETAIL],
        held_sequence,
    )


def _answer(response: httpx.Response) -> Published:
    """The registry's answer as ``Published``, or the error its status calls for."""
    status = response.status_code
    if status in (200, 201):
        try:
            document = response.json()
            return Published(status=status, sequence=int(document["sequence"]), digest=str(document["digest"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise RegistryUnavailable(f"the registry's {status} answer cannot be read", status=status) from exc
    code, detail, held_sequence = _problem(response)
    if status == 429 or status >= 500:
        raise RegistryUnavailable(f"the registry answered {status}: {detail}", status=status)
    raise PublishRefused(code, status, detail, held_sequence=held_sequence)


def publish_status_list(
    client: httpx.Client, registry_url: str, credential: Mapping[str, Any], key: KeyEntry
) -> Published:
    """Post ``credential`` to the registry at ``registry_url``, signed with ``key`` (an ``authentication`` key).

    Raises ``PublishRefused`` (4xx) or ``RegistryUnavailable`` (transport, 5xx, 429); see the module doc.
    """
    url, body = _request(registry_url, credential)
    try:
        response = client.post(
            url, content=body, headers=_JSON, auth=RequestSigner(key.private_key, key.verification_method)
        )
    except httpx.TransportError as exc:
        raise RegistryUnavailable(f"the registry cannot be reached: {type(exc).__name__}") from exc
    return _answer(response)


async def publish_status_list_async(
    client: httpx.AsyncClient, registry_url: str, credential: Mapping[str, Any], key: KeyEntry
) -> Published:
    """``publish_status_list`` for an ``httpx.AsyncClient`` (an exporter's background publisher)."""
    url, body = _request(registry_url, credential)
    try:
        response = await client.post(
            url, content=body, headers=_JSON, auth=RequestSigner(key.private_key, key.verification_method)
        )
    except httpx.TransportError as exc:
        raise RegistryUnavailable(f"the registry cannot be reached: {type(exc).__name__}") from exc
    return _answer(response)


def _history_url(registry_url: str, list_url: str) -> str:
    path = status_list_path(list_url)
    if path is None:
        raise ValueError("not a pilot status list URL (schemas.status_list.status_list_url)")
    return f"{registry_url.rstrip('/')}{path}/history"


def _highest_in_history(response: httpx.Response) -> int:
    """The highest ``sequence`` of a ``GET .../history`` answer; 0 for a 404 (no version held)."""
    if response.status_code == 404:
        return 0
    try:
        response.raise_for_status()
        return max(int(version["sequence"]) for version in response.json()["versions"])
    except (httpx.HTTPStatusError, ValueError, KeyError, TypeError) as exc:
        raise RegistryUnavailable(
            f"the registry's history is not usable (HTTP {response.status_code})", status=response.status_code
        ) from exc


def _unreadable_history(exc: httpx.TransportError) -> RegistryUnavailable:
    return RegistryUnavailable(f"the registry's history cannot be read: {type(exc).__name__}")


def registry_highest_sequence(
    client: httpx.Client, registry_url: str, list_url: str, refused: PublishRefused | None = None
) -> int:
    """The highest sequence the registry holds of the list at ``list_url`` (0 for none); see the module doc.

    ``refused.held_sequence`` when the registry's refusal named it, else read from ``GET .../history``;
    ``RegistryUnavailable`` when the registry cannot say.
    """
    if refused is not None and refused.held_sequence is not None:
        return refused.held_sequence
    url = _history_url(registry_url, list_url)
    try:
        response = client.get(url)
    except httpx.TransportError as exc:
        raise _unreadable_history(exc) from exc
    return _highest_in_history(response)


async def registry_highest_sequence_async(
    client: httpx.AsyncClient, registry_url: str, list_url: str, refused: PublishRefused | None = None
) -> int:
    """``registry_highest_sequence`` for an ``httpx.AsyncClient`` (an exporter's background publisher)."""
    if refused is not None and refused.held_sequence is not None:
        return refused.held_sequence
    url = _history_url(registry_url, list_url)
    try:
        response = await client.get(url)
    except httpx.TransportError as exc:
        raise _unreadable_history(exc) from exc
    return _highest_in_history(response)
