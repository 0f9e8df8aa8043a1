"""WebSockets are accepted only from the site's own origins (scheme, host and port), so a
page served by another program, even on another port of this machine, cannot use a
logged-in staff member's cookie; clients that send no Origin (devices) need the token."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from dreamsite.asgi import application
from tests.communicators import with_session_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def opened(path: str, headers: list[tuple[bytes, bytes]], scheme: str = "ws") -> bool:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another program on another port
        "https://127.0.0.1:8000",  # another scheme
        "ws://127.0.0.1:8000",  # not an origin a browser sends
        "http://127.0.0.1",  # the default port is another port
        "http://evil.example:8000",
        "null",
    ],
)
@pytest.mark.parametrize("path", ["/ws/observe/", "/ws/session/"])
async def test_a_foreign_origin_is_refused_even_from_this_machine(origin, path):
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", origin.encode())]
    assert not await opened(with_session_token(path), headers)


@pytest.mark.parametrize("path", ["/ws/observe/", "/ws/session/"])
async def test_the_sites_own_origin_is_accepted(path):
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
    assert await opened(with_session_token(path), headers)


async def test_over_tls_only_the_https_origin_is_the_sites_own():
    host = (b"host", b"localhost:8443")
    assert await opened("/ws/observe/", [host, (b"origin", b"https://localhost:8443")], "wss")
    assert not await opened("/ws/observe/", [host, (b"origin", b"http://localhost:8443")], "wss")


async def test_a_host_outside_allowed_hosts_is_refused_even_with_a_matching_origin():
    headers = [(b"host", b"evil.example"), (b"origin", b"http://evil.example")]
    assert not await opened("/ws/observe/", headers)


async def test_a_trusted_origin_behind_a_proxy_is_accepted(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://dreams.example.org"]
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://dreams.example.org")]
    assert await opened("/ws/observe/", headers)


async def test_devices_without_an_origin_still_connect_with_the_token():
    assert await opened("/ws/observe/", [])
    communicator = WebsocketCommunicator(application, with_session_token("/ws/session/"))
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"event": "startSession"}))
    reply = json.loads(await communicator.receive_from(timeout=5))
    assert reply["event"] == "sessionStarted"
    await communicator.disconnect()
