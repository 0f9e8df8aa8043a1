"""The one place that broadcasts to observers.

Every frame is `{"event": NAME, "seq": N, "data": {...}}`. The conductor numbers and
sends them (see `dreams.conductor`); code outside it, such as a dream run in a web
thread, calls `publish`, which hands the event to the conductor once the current
transaction commits, so observers never hear of something that was rolled back.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

CONDUCTOR_CHANNEL = "dreams.conductor"


def encode_frame(event: str, data: dict, seq: int) -> str:
    return json.dumps({"event": event, "seq": seq, "data": data}, cls=DjangoJSONEncoder)


def json_safe(data: dict) -> dict:
    """Plain JSON types only: channel layers serialize with msgpack, not Django's encoder."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


MessageHandler = Callable[[dict], Awaitable[None]]
# The conductor leading in this process, if any: handing it events directly is safe from
# any thread, where an in-memory channel layer is not.
_local_conductor: tuple[asyncio.AbstractEventLoop, MessageHandler] | None = None


def set_local_conductor(loop: asyncio.AbstractEventLoop, handler: MessageHandler | None) -> None:
    global _local_conductor
    _local_conductor = (loop, handler) if handler is not None else None


def _hand_to_conductor(event: str, data: dict) -> None:
    message = {"type": "broadcast", "event": event, "data": json_safe(data)}
    try:
        if _local_conductor is not None:
            loop, handler = _local_conductor
            asyncio.run_coroutine_threadsafe(handler(message), loop)
        else:
            async_to_sync(get_channel_layer().send)(CONDUCTOR_CHANNEL, message)
    except Exception:  # observers missing an event must not fail the writer
        logger.warning("Could not hand %s to the conductor; observers will resync.", event)


def publish(event: str, data: dict) -> None:
    """Broadcast `event` to every observer once the current transaction commits."""
    transaction.on_commit(lambda: _hand_to_conductor(event, data))
