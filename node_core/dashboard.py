"""What every node's operator dashboard shares: the operator's access, the page load, the shared browser files.

A dashboard is plain HTML, CSS and JavaScript bundled with its node (no build step, no CDN), at ``GET /``,
reading JSON from ``/v1/dashboard/*``, operator only. The operator token (``node_core.auth``) comes as
``Authorization: Bearer``, ``?token=`` (the link ``pilot up`` prints) or a cookie. A ``GET /?token=`` with
the right token answers ``303 See Other`` to the same address without the token, setting it in an
HttpOnly, SameSite=Strict cookie named for this node (``pilot_token_<node id>``, ``Path=/``): the token
leaves the address bar (and the history, and any Referer) after the first load, and the nodes of one
machine do not share a cookie. Cookies are scoped by host, not by port, so every node on 127.0.0.1
receives every node's cookie; each reads only its own. Only the dashboard's routes read the cookie: the
operator API (``node_core.auth.operator_auth``) takes the header or ``?token=`` alone.

Browser code both dashboards use lives once, in ``node_core/dashboard_shared`` (served at
``/dashboard/shared/<name>`` by ``shared_assets_router``): ``page.js`` (building elements from data as text,
never as markup; fetching JSON), ``sha256.js`` (SHA-256 where ``crypto.subtle`` is absent) and
``inclusion.js`` (a receipt's inclusion proof checked in the browser, RFC 9162 §2.1.3.2) and ``chart.js``
(decisions over time, a stacked bar chart drawn as inline SVG from the dashboard's JSON) and ``i18n.js`` (the
language switch: ``t(id, values)`` from the catalogue ``GET /dashboard/messages/<language>`` answers, public
since a catalogue holds no data; docs/design.md "Languages").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from node_core.auth import presented_token, token_matches
from node_core.catalogues import DOMAIN, origins
from node_core.i18n import messages
from node_core.languages import LANGUAGES
from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.phrase import Phrase

__all__ = [
    "ASSET_TYPES",
    "COOKIE_PREFIX",
    "MESSAGES_CACHE_CONTROL",
    "SHARED_ASSETS",
    "OperatorAccess",
    "asset_response",
    "cookie_name",
    "dashboard_messages",
    "operator_access",
    "shared_assets_router",
]

#: The dashboard cookie's name is this prefix and the node's short id.
COOKIE_PREFIX = "pilot_token_"
#: The browser files every dashboard uses.
SHARED_ASSETS = Path(__file__).resolve().parent / "dashboard_shared"
#: The files a dashboard serves, by suffix: scripts and style sheets only.
ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: A catalogue changes only with a new release: kept an hour, then checked again with its ETag.
MESSAGES_CACHE_CONTROL = "public, max-age=3600"

_TOKEN_NEEDED = (
    "<!doctype html><title>operator token needed</title><h1>Operator token needed</h1>"
    "<p>Open the link <code>pilot up</code> printed (it carries <code>?token=</code>; the page then "
    "keeps it in a cookie for this node, so cookies must be allowed).</p>"
)


def cookie_name(node_id: str) -> str:
    """``pilot_token_<node id>``: the cookie holding this node's operator token."""
    return f"{COOKIE_PREFIX}{node_id}"


@dataclass(frozen=True)
class OperatorAccess:
    """One node's operator token, as its dashboard accepts it (module doc)."""

    node_id: str
    token: str

    @property
    def cookie(self) -> str:
        """This node's cookie name."""
        return cookie_name(self.node_id)

    def admits(self, request: Request) -> bool:
        """Whether ``request`` presents this node's token (header, ``?token=`` or this node's cookie)."""
        return token_matches(presented_token(request, self.cookie), self.token)

    def require(self, request: Request) -> None:
        """401 UNAUTHORIZED unless ``request`` comes from the operator."""
        if not self.admits(request):
            raise ProblemError(Code.UNAUTHORIZED, Phrase("operator token missing or wrong"))

    def page(self, request: Request, index: Path) -> Response:
        """The dashboard page ``index`` for the operator; ``?token=`` sets the cookie and redirects without it.

        Anyone else gets a 401 page saying how to open the dashboard.
        """
        if not self.admits(request):
            return HTMLResponse(_TOKEN_NEEDED, status_code=401, headers={"Cache-Control": "no-store"})
        token = request.query_params.get("token")
        response: Response
        if token:
            rest = [(name, value) for name, value in request.query_params.multi_items() if name != "token"]
            location = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(location, status_code=303)
            if token_matches(token, self.token):  # not a wrong one beside a right header
                response.set_cookie(self.cookie, token, path="/", httponly=True, samesite="strict")
        else:
            response = FileResponse(index, media_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def operator_access(request: Request, node_id: str, load_token: Callable[[], str]) -> OperatorAccess:
    """The app's ``OperatorAccess``, made on first use (``load_token`` read then) and kept on ``app.state``."""
    access: OperatorAccess | None = getattr(request.app.state, "operator_access", None)
    if access is None:
        access = OperatorAccess(node_id, load_token())
        request.app.state.operator_access = access
    return access


def asset_response(directory: Path, name: str) -> Response:
    """The script or style sheet ``name`` bundled in ``directory`` (public: no data in them); 404 otherwise."""
    path = directory / name
    if path.suffix not in ASSET_TYPES or path.parent != directory or not path.is_file():
        raise ProblemError(Code.NOT_FOUND, Phrase("no such dashboard asset"))
    return FileResponse(path, media_type=ASSET_TYPES[path.suffix])


shared_assets_router = APIRouter(tags=["dashboard"])


@shared_assets_router.get("/dashboard/shared/{name}", include_in_schema=False)
def _shared_asset(name: str) -> Response:
    """A browser file every dashboard uses."""
    return asset_response(SHARED_ASSETS, name)


@cache
def dashboard_messages(language: str) -> tuple[bytes, str]:
    """The ``pilot`` catalogue in ``language`` as JSON bytes, and its ETag: every message but those only the
    ``pilot`` command writes (``pilot/...`` alone among its origins), so the dashboards' own texts, the reasons'
    messages, the hints and the code titles (under 50 KB: small enough to send whole)."""
    where = origins(DOMAIN)
    shown = {
        message_id: text
        for message_id, text in messages(DOMAIN, language).items()
        if not where.get(message_id) or not all(origin.startswith("pilot/") for origin in where[message_id])
    }
    body = json.dumps({"lang": language, "messages": shown}, ensure_ascii=False, sort_keys=True).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@shared_assets_router.get("/dashboard/messages/{language}", include_in_schema=False)
def _dashboard_messages(language: str, request: Request) -> Response:
    """The messages a dashboard shows in ``language`` (``{lang, messages: {English id: text}}``); 404 for a
    language that is not one of the pilot's; 304 when the browser's copy is current."""
    if language not in LANGUAGES:
        raise ProblemError(Code.NOT_FOUND, Phrase("no dashboard messages in {language}", language=language[:16]))
    body, etag = dashboard_messages(language)
    headers = {"ETag": etag, "Cache-Control": MESSAGES_CACHE_CONTROL}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
