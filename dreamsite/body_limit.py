"""Request bodies over `DREAMS_MAX_BODY_BYTES` are refused with 413, whatever their framing:
the limit and the refusal's copy, shared by every layer that refuses, and the ASGI
middleware in front of Django's HTTP application.

The middleware refuses at once on a Content-Length over the limit; otherwise it counts the
bytes of the `http.request` messages as they arrive, holding at most the limit, and answers
413 as soon as the count passes it, so Django never reads a body over the limit. It cannot
bound what the server buffered before calling it: daphne receives a whole body before it
calls the application (docs/scaling.md, "Request bodies"), which `dreams.realtime.daphne_port`
prevents under `manage.py serve`, and a proxy's `client_max_body_size` under plain daphne.
"""

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
# An application may send any mapping (Django's ASGIHandler is typed so).
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

STATUS = 413
REASON = b"Content Too Large"


def max_body_bytes() -> int | None:
    """The largest body accepted, in bytes (None: no limit)."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def over_limit(length: int) -> bool:
    limit = max_body_bytes()
    return limit is not None and length > limit


def refusal(path: str) -> tuple[bytes, bytes]:
    """The 413's content type and body: JSON `{"detail": ...}` for the API, plain text
    elsewhere."""
    limit = max_body_bytes()
    if path.startswith("/api/"):
        detail = (
            f"The request body is over this server's limit of {limit} bytes. Send a smaller "
            "one, or raise DREAMS_MAX_BODY_BYTES in the server's environment."
        )
        return b"application/json", json.dumps({"detail": detail}).encode()
    text = f"Request too large: this server accepts request bodies of up to {limit} bytes.\n"
    return b"text/plain; charset=utf-8", text.encode()


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length an ASGI scope declares, when it is a number."""
    for name, value in headers:
        if name.lower() == b"content-length":
            return int(value) if value.strip().isdigit() else None
    return None


class BodyLimitMiddleware:
    """ASGI middleware for the `http` scope: 413 for a body over the limit, before the
    wrapped application is called."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope.get("headers", []))
        if length is not None and over_limit(length):
            await self.refuse(scope, send)
            return
        # Read the body ahead of the application, up to the limit, then hand it over as it
        # came; a disconnect on the way is handed over too.
        received: list[Message] = []
        count = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            count += len(message.get("body", b""))
            if over_limit(count):
                received.clear()
                await self.refuse(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def refuse(scope: Scope, send: Send) -> None:
        content_type, body = refusal(scope.get("path", ""))
        await send(
            {
                "type": "http.response.start",
                "status": STATUS,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
