"""Reading what a Channels `WebsocketCommunicator` receives."""

import asyncio
import json

from channels.testing import WebsocketCommunicator


async def frames_for(communicator: WebsocketCommunicator, seconds: float = 0.3) -> list[dict]:
    """Every frame for a while. (A receive that times out would cancel the consumer, so
    this polls with receive_nothing, which does not.)"""
    frames = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if not await communicator.receive_nothing(timeout=0.05):
            frames.append(json.loads(await communicator.receive_from()))
    return frames
