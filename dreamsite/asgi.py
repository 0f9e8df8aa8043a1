"""ASGI entry point: HTTP through Django, WebSockets through Channels, and `/socket.io/` (both
of its transports, long-polling and WebSocket) through python-socketio."""

import gc
import os
from collections.abc import Callable

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dreamsite.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dreams.realtime import socketio_port  # noqa: E402
from dreams.realtime.hub import raise_open_file_limit  # noqa: E402
from dreamsite.body_limit import BodyLimitMiddleware  # noqa: E402
from dreamsite.origins import SameOriginValidator  # noqa: E402
from dreamsite.routing import websocket_urlpatterns  # noqa: E402

# Each observer holds a few hundred long-lived objects (its connection, protocol, consumer
# and task), and the default thresholds make the collector walk all of them again and
# again: at 5,000 observers a process, full collections paused it for 400-800 ms, which
# every observer felt as delay. Rarer young collections leave the old ones rarer still.
gc.set_threshold(50_000, 10, 10)
# One socket per observer: lift the soft limit on open files to the hard one.
raise_open_file_limit()

channels_application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
SOCKETIO_PATH = "/socket.io/"
socketio_application = SameOriginValidator(socketio_port.asgi_app(), http=True)


async def application(scope: dict, receive: Callable, send: Callable) -> None:
    """The source system's socket.io clients at `/socket.io/`, everything else as Channels
    routes it."""
    if scope["type"] in {"http", "websocket"} and scope["path"].startswith(SOCKETIO_PATH):
        return await socketio_application(scope, receive, send)
    return await channels_application(scope, receive, send)
