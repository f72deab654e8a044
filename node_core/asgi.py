"""What the node's ASGI middleware share: HTTP requests only, and the status of the answer sent.

``HttpMiddleware`` passes every other scope (``lifespan``) straight to the app and hands HTTP requests to
its subclass's ``handle``. ``StatusWatch`` wraps ``send``: it remembers the status of the
``http.response.start`` message (None until one is sent) and may adjust that message on its way out.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HttpMiddleware", "StatusWatch"]


class HttpMiddleware:
    """ASGI middleware that acts on HTTP requests (``handle``) and lets any other scope through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (the default passes it on)."""
        await self.app(scope, receive, send)


class StatusWatch:
    """A ``send`` that passes every message on and keeps the answer's ``status`` (None until it starts).

    ``on_start`` is called with the ``http.response.start`` message before it is sent (to add headers).
    """

    def __init__(self, send: Send, on_start: Callable[[Message], None] | None = None) -> None:
        self._send = send
        self._on_start = on_start
        self.status: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            if self._on_start is not None:
                self._on_start(message)
        await self._send(message)
