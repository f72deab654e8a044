"""An exporter's status operator API as ``pilot status`` calls it: ``POST /v1/status`` and ``GET /v1/status``.

docs/design.md §12. An exporter keeps the status of the records it signs in its own database and publishes
its own lists, so the command asks the exporter (its URL from ``pilot.peers``, its operator token from
``<data dir>/tokens/<id>``) instead of signing anything itself. The caller gives the HTTP client.

Errors, split by blame (STYLE habit 2)::

    ExporterStatusError
    ├── ExporterRefused       the exporter answered 401, 404 or 422: the request was wrong (bad usage)
    └── ExporterUnavailable   no answer, or an answer that is not a change (a failed check)
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from pilot.issuer_state import Action
from schemas.models.credential import StatusListEntry
from schemas.phrase import Phrase

__all__ = [
    "ExporterRefused",
    "ExporterStatusError",
    "ExporterUnavailable",
    "change_at_exporter",
    "exporter_entries",
]

#: The answers that say the request was wrong: no token, no such credential, an action it does not allow.
_REFUSALS = (401, 404, 422)


class ExporterStatusError(Exception):
    """Root of this module's errors: the message says what went wrong, for the command line (``phrase``: the
    same as a template and values, shown in the command's language by ``pilot.language.localized``)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


class ExporterRefused(ExporterStatusError):
    """The exporter refused the request (401, 404, 422)."""


class ExporterUnavailable(ExporterStatusError):
    """The exporter did not answer, or answered something that is not a change."""


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def change_at_exporter(
    client: httpx.Client, exporter: str, url: str, token: str, credential_id: str, action: Action
) -> dict[str, Any]:
    """``POST /v1/status`` to ``exporter`` at ``url``: its answer, ``{credential, changed, status, list}``."""
    body = {"credential": credential_id, "action": action}
    try:
        response = client.post(f"{url}/v1/status", json=body, headers=_bearer(token))
    except httpx.TransportError as exc:
        raise ExporterUnavailable(
            Phrase(
                "{exporter} cannot be reached at {url}: {error}", exporter=exporter, url=url, error=type(exc).__name__
            )
        ) from exc
    answer = _json_or_none(response)
    if response.status_code in _REFUSALS:
        detail = answer.get("detail") if isinstance(answer, dict) else None
        raise ExporterRefused(
            Phrase(
                "{exporter} refused: HTTP {status}: {detail}",
                exporter=exporter,
                status=response.status_code,
                detail=detail or response.text[:200],
            )
        )
    if response.status_code != 200 or not isinstance(answer, dict):
        raise ExporterUnavailable(
            Phrase(
                "{exporter} answered HTTP {status}: {detail}",
                exporter=exporter,
                status=response.status_code,
                detail=response.text[:200],
            )
        )
    return answer


def exporter_entries(client: httpx.Client, url: str, token: str, credential_id: str) -> list[StatusListEntry] | None:
    """The status entries the exporter at ``url`` allocated to ``credential_id``; None when it cannot say."""
    try:
        response = client.get(f"{url}/v1/status", params={"credential": credential_id}, headers=_bearer(token))
    except httpx.TransportError:
        return None
    answer = _json_or_none(response)
    if response.status_code != 200 or not isinstance(answer, dict) or not isinstance(answer.get("entries"), list):
        return None
    try:
        return [StatusListEntry.model_validate(e) for e in answer["entries"]]
    except ValueError:
        return None
