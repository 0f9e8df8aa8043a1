"""Who may open a perceptor session on /ws/session/: the token, or a staff login (the
perceptor page's session cookie) under the same rule as every other control."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from dreams.models import Percept
from dreamsite.asgi import application
from dreamsite.control import PUBLIC_DEMO_COPY, REMOTE_COPY
from tests.communicators import SAME_ORIGIN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TOKEN = "perceptor-token-for-auth-tests"
LOOPBACK = ("127.0.0.1", 50123)
REMOTE = ("203.0.113.9", 50123)


@pytest.fixture(autouse=True)
async def token_required(settings):
    settings.DEBUG = False
    settings.DREAMS_SESSION_TOKEN = TOKEN
    settings.DREAMS_PUBLIC_DEMO = False
    settings.DREAMS_CONTROL_ALLOW_REMOTE = False
    # Session starts tell the conductor; none runs here, so its inbox starts empty.
    await get_channel_layer().flush()


@database_sync_to_async
def session_cookie(django_user_model, *, staff: bool) -> str:
    """The cookie a browser holds after logging in."""
    user = django_user_model.objects.create_user(
        username="staff" if staff else "visitor", password="pw-unused", is_staff=staff
    )
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


async def open_socket(
    path: str = "/ws/session/", *, cookie: str | None = None, client=LOOPBACK
) -> WebsocketCommunicator:
    headers = list(SAME_ORIGIN)
    if cookie is not None:
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    # The test communicator has no peer address; the application has not started yet,
    # so it sees this one.
    communicator.scope["client"] = client
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def send(communicator: WebsocketCommunicator, event: str, data: dict | None = None) -> dict:
    frame = {"event": event} if data is None else {"event": event, "data": data}
    await communicator.send_to(text_data=json.dumps(frame))
    return json.loads(await communicator.receive_from(timeout=5))


async def refusal(communicator: WebsocketCommunicator) -> dict:
    """The error a refused connection gets, after which the server closes it."""
    reply = json.loads(await communicator.receive_from(timeout=5))
    assert (await communicator.receive_output(timeout=5)) == {
        "type": "websocket.close",
        "code": 4401,
    }
    return reply["data"]


async def test_a_staff_login_opens_a_session_and_its_percepts_are_stored(django_user_model):
    socket = await open_socket(cookie=await session_cookie(django_user_model, staff=True))
    started = await send(socket, "startSession", {"client": "perceptor page"})
    assert started["event"] == "sessionStarted"
    reply = await send(socket, "percept", {"kind": "visual", "description": "a red kite"})
    assert reply["event"] == "perceptAccepted"
    stored = Percept.objects.filter(pk=reply["data"]["perceptId"])
    assert await database_sync_to_async(stored.exists)()
    await socket.disconnect()


async def test_without_token_or_login_the_session_is_refused():
    socket = await open_socket()
    reason = await refusal(socket)
    assert reason["reason"] == "unauthorized"
    assert "Log in as staff" in reason["message"]


async def test_a_login_without_staff_rights_is_refused(django_user_model):
    socket = await open_socket(cookie=await session_cookie(django_user_model, staff=False))
    assert (await refusal(socket))["reason"] == "unauthorized"


async def test_a_forged_cookie_is_refused():
    socket = await open_socket(cookie="not-a-real-session-key")
    assert (await refusal(socket))["reason"] == "unauthorized"


async def test_public_demo_refuses_logins_but_not_the_token(settings, django_user_model):
    settings.DREAMS_PUBLIC_DEMO = True
    cookie = await session_cookie(django_user_model, staff=True)
    refused = await open_socket(cookie=cookie)
    assert (await refusal(refused))["message"] == PUBLIC_DEMO_COPY
    device = await open_socket(f"/ws/session/?token={TOKEN}")
    assert (await send(device, "startSession"))["event"] == "sessionStarted"
    await device.disconnect()


async def test_a_staff_login_from_elsewhere_needs_remote_control_allowed(
    settings, django_user_model
):
    cookie = await session_cookie(django_user_model, staff=True)
    refused = await open_socket(cookie=cookie, client=REMOTE)
    assert (await refusal(refused))["message"] == REMOTE_COPY
    settings.DREAMS_CONTROL_ALLOW_REMOTE = True
    allowed = await open_socket(cookie=cookie, client=REMOTE)
    assert (await send(allowed, "startSession"))["event"] == "sessionStarted"
    await allowed.disconnect()


async def test_cookies_from_another_site_never_reach_the_session(django_user_model):
    cookie = await session_cookie(django_user_model, staff=True)
    communicator = WebsocketCommunicator(
        application,
        "/ws/session/",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )
    connected, _ = await communicator.connect()
    assert not connected
