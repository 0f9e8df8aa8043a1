"""WebSocket routes: read-only observers and perceptor sessions."""

from django.urls import path

from dreams.consumers import ObserverConsumer, SessionConsumer

websocket_urlpatterns = [
    path("ws/observe/", ObserverConsumer.as_asgi()),
    path("ws/session/", SessionConsumer.as_asgi()),
]
