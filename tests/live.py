"""Talking to live servers in child processes: waiting on them, and WebSocket clients that
keep every frame they received."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from websockets.asyncio.client import ClientConnection, connect

from tests.children import START_TIMEOUT_S, Child, accepts_connections
from tests.communicators import with_session_token

T = TypeVar("T")

EVENT_TIMEOUT_S = 10.0


async def eventually(
    check: Callable[[], T],
    what: str,
    *,
    timeout: float = START_TIMEOUT_S,
    watch: Sequence[Child] = (),
    every: float = 0.05,
) -> T:
    """The first truthy result of `check`; fails early when a watched child has died."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        for child in watch:
            assert child.alive(), f"{child.name} exited while waiting for {what}:\n{child.log()}"
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(every)


async def serving(child: Child, port: int) -> None:
    await eventually(lambda: accepts_connections(port), f"{child.name} serving", watch=[child])


class Socket:
    """A client of `/ws/observe/` or `/ws/session/`, keeping every frame it received."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[dict] = []

    async def next(
        self, wanted: Callable[[dict], bool], what: str, *, timeout: float = EVENT_TIMEOUT_S
    ) -> dict:
        """The next frame that is `wanted` (the others are kept, not returned)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frame = json.loads(await self.connection.recv())
                    self.frames.append(frame)
                    if wanted(frame):
                        return frame
        except TimeoutError:
            seen = [(frame["event"], frame["seq"]) for frame in self.frames[-10:]]
            raise AssertionError(f"no {what} within {timeout} s; last: {seen}") from None

    async def send(self, event: str, data: dict | None = None) -> dict:
        frame = {"event": event} if data is None else {"event": event, "data": data}
        await self.connection.send(json.dumps(frame))
        # Replies carry seq 0; an observer's broadcasts never do.
        return await self.next(lambda frame: frame["seq"] == 0, f"reply to {event}")

    def broadcast_seqs(self) -> list[int]:
        return [frame["seq"] for frame in self.frames if frame["event"] != "snapshot"]


@contextlib.asynccontextmanager
async def websocket(port: int, path: str) -> AsyncIterator[Socket]:
    async with connect(
        f"ws://127.0.0.1:{port}{with_session_token(path)}",
        origin=f"http://127.0.0.1:{port}",
        close_timeout=1,
    ) as connection:
        yield Socket(connection)


def named(event: str) -> Callable[[dict], bool]:
    return lambda frame: frame["event"] == event


def state(name: str) -> Callable[[dict], bool]:
    return lambda frame: frame["event"] == "cognitiveState" and frame["data"]["state"] == name
