"""Reading what a Channels `WebsocketCommunicator` receives."""

import asyncio
import json

from channels.testing import WebsocketCommunicator

from dreams.realtime.events import parse_frame
from tests.settings import SESSION_TOKEN

# What a browser on the site itself sends: its Host and its own Origin.
SAME_ORIGIN = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


def with_session_token(path: str) -> str:
    """A /ws/session/ path as a perceptor device opens it: with the session token."""
    if not path.startswith("/ws/session/") or "token=" in path:
        return path
    return f"{path}{'&' if '?' in path else '?'}token={SESSION_TOKEN}"


async def frames_for(communicator: WebsocketCommunicator, seconds: float = 0.3) -> list[dict]:
    """Every frame for a while. (A receive that times out would cancel the consumer, so
    this polls with receive_nothing, which does not.)"""
    frames = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if not await communicator.receive_nothing(timeout=0.05):
            frames.append(json.loads(await communicator.receive_from()))
    return frames


_receive_from = WebsocketCommunicator.receive_from


async def _validated_receive_from(self: WebsocketCommunicator, timeout: float = 1) -> object:
    """Every text frame a test receives is checked against its event's model
    (dreams.realtime.events): a frame the models do not describe fails the test."""
    received = await _receive_from(self, timeout)
    if isinstance(received, str):
        parse_frame(received)
    return received


def validate_every_frame(monkeypatch) -> None:
    monkeypatch.setattr(WebsocketCommunicator, "receive_from", _validated_receive_from)
