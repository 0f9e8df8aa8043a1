"""The one place that broadcasts to observers.

Services call `publish` (inside a transaction it waits for the commit, so observers never
hear of something that was rolled back). Every event is a frame
`{"event": NAME, "seq": N, "data": {...}}`, encoded once and handed to the observers'
group.
"""

import json
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

OBSERVERS_GROUP = "observers"

_seq_lock = threading.Lock()
_seq = 0


def next_seq() -> int:
    global _seq
    with _seq_lock:
        _seq += 1
        return _seq


def encode_frame(event: str, data: dict, seq: int) -> str:
    return json.dumps({"event": event, "seq": seq, "data": data}, cls=DjangoJSONEncoder)


def _send(event: str, data: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    frame = encode_frame(event, data, next_seq())
    try:
        async_to_sync(layer.group_send)(OBSERVERS_GROUP, {"type": "broadcast", "frame": frame})
    except Exception:  # observers missing an event must not fail the writer
        logger.exception("Could not broadcast %s to observers.", event)


def publish(event: str, data: dict) -> None:
    """Broadcast `event` to every observer once the current transaction commits."""
    transaction.on_commit(lambda: _send(event, data))
