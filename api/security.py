"""Response headers that keep a browser from running anything the API sends back.

Stored photos and pack images are only ever served with the image type their bytes were
recognised as; ``nosniff`` stops a browser from second-guessing that type, and the policy below
forbids scripts, frames and plugins in anything that is not one of our own HTML pages (the
interactive docs and the console bring their own needs, and get only ``nosniff``).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


class SecurityHeaders:
    """Plain ASGI middleware: it edits the response start, never buffers the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Referrer-Policy", "no-referrer")
                if not headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = API_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
