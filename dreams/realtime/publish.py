"""The one entry for events: services and consumers `publish` (or `apublish`) an event
model; the conductor numbers it, encodes it once and hands it to the bus.

`publish` waits for the current transaction to commit, so observers never hear of
something that was rolled back. The leading conductor takes the event directly when it
runs in this process (safe from any thread, where an in-memory channel layer is not),
else over the channel layer (`CONDUCTOR_CHANNEL`).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from dreams.realtime.bus import Bus
from dreams.realtime.events import EVENTS, Event, InlineSdf
from dreams.realtime.frames import EncodedEvent

logger = logging.getLogger(__name__)

CONDUCTOR_CHANNEL = "dreams.conductor"
BROADCAST = "broadcast"  # the conductor's message type for a published event

MessageHandler = Callable[[dict], Coroutine[Any, Any, None]]
_local_conductor: tuple[asyncio.AbstractEventLoop, MessageHandler] | None = None


def set_local_conductor(loop: asyncio.AbstractEventLoop, handler: MessageHandler | None) -> None:
    global _local_conductor
    _local_conductor = (loop, handler) if handler is not None else None


def _message(event: Event) -> dict:
    return {"type": BROADCAST, "event": event.name, "data": event.wire()}


def event_of(message: dict) -> Event:
    """The event a conductor's `broadcast` message carries (validated again)."""
    return EVENTS[message["event"]].model_validate(message["data"])


def _hand_over(event: Event) -> None:
    try:
        if _local_conductor is not None:
            loop, handler = _local_conductor
            asyncio.run_coroutine_threadsafe(handler(_message(event)), loop)
        else:
            async_to_sync(get_channel_layer().send)(CONDUCTOR_CHANNEL, _message(event))
    except Exception:  # observers missing an event must not fail the writer
        logger.warning("Could not hand %s to the conductor; observers will resync.", event.name)


def publish(event: Event) -> None:
    """Broadcast `event` to every observer once the current transaction commits."""
    transaction.on_commit(lambda: _hand_over(event))


async def apublish(event: Event) -> None:
    """`publish` for async code (consumers), whose writes have already committed."""
    try:
        if _local_conductor is not None:
            loop, handler = _local_conductor
            if loop is asyncio.get_running_loop():
                await handler(_message(event))
            else:
                asyncio.run_coroutine_threadsafe(handler(_message(event)), loop)
        else:
            await get_channel_layer().send(CONDUCTOR_CHANNEL, _message(event))
    except Exception:
        logger.warning("Could not hand %s to the conductor; observers will resync.", event.name)


class Broadcaster:
    """The conductor's side: numbers each event (`seq` rises by one per broadcast) and
    encodes it once for the bus.

    Several of the conductor's tasks broadcast (a loop's tick, its display phases, the
    inbox): one at a time, so the bus carries events in `seq` order. Two publishes in
    flight at once could take two Redis connections and arrive the other way round."""

    def __init__(self, local: Callable[[EncodedEvent], Awaitable[None]]) -> None:
        self.seq = 0
        self.bus = Bus(local)
        self._in_order = asyncio.Lock()

    async def broadcast(self, event: Event, *, inline_sdf: InlineSdf | None = None) -> None:
        async with self._in_order:
            self.seq += 1
            encoded = EncodedEvent.of(event, self.seq, inline_sdf=inline_sdf)
            try:
                await self.bus.carry(encoded)
            except Exception:
                logger.exception("Could not deliver %s to observers.", event.name)
