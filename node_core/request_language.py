"""The language a request asks for (``Accept-Language``), kept in a contextvar while it is handled.

docs/design.md §6, "Languages": problem details' ``title`` and ``detail`` are in that language, with a
``Content-Language`` header; codes and members are not. The middleware only keeps the header's text: it is
negotiated (``node_core.languages.negotiate_language``, cached, on the pilot's one parser of the header,
``schemas.names.language_ranges``: a range with an invalid weight is ignored) when a problem is written, so
a request that succeeds pays nothing for it.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import Receive, Scope, Send

from node_core.asgi import HttpMiddleware
from node_core.languages import Language, negotiate_language

__all__ = ["RequestLanguageMiddleware", "request_language"]

_accept_language: ContextVar[str | None] = ContextVar("pilot_accept_language", default=None)


def request_language() -> Language:
    """The language of the request being handled (English outside a request or without a preference)."""
    return negotiate_language(_accept_language.get())


class RequestLanguageMiddleware(HttpMiddleware):
    """ASGI middleware: remember the request's ``Accept-Language`` for the problems written while it runs."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"accept-language":
                header = value.decode("latin-1")[:512]
                break
        token = _accept_language.set(header)
        try:
            await self.app(scope, receive, send)
        finally:
            _accept_language.reset(token)
