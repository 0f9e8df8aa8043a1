"""Exact Origin checks for WebSockets (and socket.io's long-polling): a browser's socket is
accepted only from the site's own origins (scheme, host and port), so a page served by any
other program, even on this machine's other ports, cannot borrow a logged-in staff member's
cookie.

The site's own origin is the scheme and Host the socket was opened with, when that host
is one of `ALLOWED_HOSTS`; `CSRF_TRUSTED_ORIGINS` adds origins behind a proxy. A client
that sends no Origin is no browser (a perceptor device): it is let through, and must
present the session token like any device.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

Scope = dict[str, Any]
App = Callable[[Scope, Callable, Callable], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def websocket_origin_allowed(scope: Scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    host = (_header(scope, b"host") or "").lower()
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") in {"wss", "https"} else "http"
    return origin.lower() == f"{scheme}://{host}"


class SameOriginValidator:
    """ASGI middleware: WebSockets from a foreign origin are refused before they open; with
    `http=True` (socket.io, whose long-polling is plain HTTP) HTTP requests too, with 403."""

    def __init__(self, application: App, *, http: bool = False) -> None:
        self.application = application
        self.types = {"websocket", "http"} if http else {"websocket"}

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] in self.types and not websocket_origin_allowed(scope):
            if scope["type"] == "http":
                return await _forbidden(send)
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


async def _forbidden(send: Callable) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": b"This origin may not connect here."})
