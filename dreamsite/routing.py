"""WebSocket routes (observers and sessions arrive with the conductor)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
