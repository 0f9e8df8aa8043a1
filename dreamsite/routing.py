"""WebSocket routes: read-only observers and perceptor sessions."""

from channels.auth import AuthMiddlewareStack
from django.urls import path

from dreams.consumers import ObserverConsumer, SessionConsumer

websocket_urlpatterns = [
    # No session or user lookup here: observers are anonymous and there may be thousands.
    path("ws/observe/", ObserverConsumer.as_asgi()),
    # The perceptor page authenticates with the staff user's session cookie.
    path("ws/session/", AuthMiddlewareStack(SessionConsumer.as_asgi())),
]
