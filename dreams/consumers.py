"""WebSocket consumers: thin. Validate a frame, call a service, reply.

`/ws/observe/` is read-only (observers get a snapshot, then every broadcast);
`/ws/session/` is for perceptors (startSession, percept, endSession).
"""

import asyncio
import json
import logging
from typing import cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from dreams.conductor.conductor import session_group
from dreams.models import SessionEndReason
from dreams.perceptors import (
    perceptor_percept,
    perceptor_refusal,
    perceptor_within_rate,
    sessions_changed,
)
from dreams.protocol import FrameError, validate_session_frame
from dreams.realtime import daphne_port
from dreams.realtime.events import (
    Error,
    ErrorReason,
    Event,
    SessionEnded,
    SessionEndReasonValue,
    SessionStarted,
    Snapshot,
)
from dreams.realtime.hub import CLOSE_TOO_SLOW, hub
from dreams.realtime.snapshot import observer_snapshot
from dreams.services.sessions import SessionClosed, session_end, session_start
from dreams.text import MAX_JSON_DEPTH, json_depth_exceeds

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401


def _query(scope: dict) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[-1] for key, values in parsed.items()}


@database_sync_to_async
def _snapshot_data(hub_seq: int) -> tuple[int, Snapshot]:
    """What a connecting observer is told, and the `seq` it reflects: the lease's, as
    the conductor recorded it with the state (the hub replays what came after)."""
    seq, snapshot = observer_snapshot()
    return (hub_seq if seq is None else seq), snapshot


_snapshot_reading: asyncio.Future | None = None


async def _shared_snapshot() -> tuple[int, Snapshot]:
    """One snapshot read for every observer connecting meanwhile: after a web process
    restarts, thousands reconnect at once, and one database read each would queue for
    seconds behind a handful of threads. Sharing is safe because the hub replays every
    event after the snapshot's `seq`, however old the read."""
    global _snapshot_reading
    reading = _snapshot_reading
    if reading is None or reading.get_loop() is not asyncio.get_running_loop():
        reading = _snapshot_reading = asyncio.ensure_future(_snapshot_data(hub.last_seq))
        reading.add_done_callback(_forget_snapshot)
    return await asyncio.shield(reading)


def _forget_snapshot(reading: asyncio.Future) -> None:
    global _snapshot_reading
    if _snapshot_reading is reading:
        _snapshot_reading = None


class ObserverConsumer(AsyncWebsocketConsumer):
    """A read-only display: a snapshot on connect, then every broadcast.

    Observers hear only through this process's hub (dreams.realtime.hub), never the channel
    layer: a channel and a receive loop each would cost 10,000 observers dearly.
    """

    channel_layer_alias = None
    wants_sdf = False

    async def connect(self) -> None:
        self.wants_sdf = _query(self.scope).get("sdf") in {"1", "true"}
        await self.accept()
        await hub.ready()
        seq, snapshot = await _shared_snapshot()
        await self.send(text_data=snapshot.frame(seq))
        # No await from here: the events after `seq` are replayed and the observer joins
        # the live stream at once, so none is missed or sent twice.
        hub.go_live(self, after_seq=seq, port=daphne_port.connection_for(self.base_send))

    async def disconnect(self, code: int) -> None:
        hub.discard(self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send_error("read_only", "Observers only listen; sessions use /ws/session/.")

    async def send_error(self, reason: ErrorReason, message: str) -> None:
        await self.send(text_data=Error(reason=reason, message=message).frame(0))

    async def send_frame(self, frame: str) -> None:
        await self.send(text_data=frame)

    async def close_slow(self) -> None:
        await self.close(code=CLOSE_TOO_SLOW)


# The sessions this process serves, so a shutdown can tell each that it ends.
_open_sessions: set["SessionConsumer"] = set()


async def sessions_end_for_shutdown() -> int:
    """Tell every session served here that the server is shutting down (`sessionEnded`,
    then the socket closes); returns how many were told."""
    consumers = list(_open_sessions)
    for consumer in consumers:
        await consumer.end_and_close(SessionEndReason.SERVER_SHUTDOWN)
    return len(consumers)


class SessionConsumer(AsyncWebsocketConsumer):
    """A perceptor's live session."""

    session_id: str | None = None

    async def connect(self) -> None:
        await self.accept()
        refusal = self._refusal()
        if refusal is not None:
            await self.reply_error("unauthorized", refusal)
            await self.close(code=CLOSE_UNAUTHORIZED)

    def _refusal(self) -> str | None:
        """Why this connection may not open a session (dreams.perceptors)."""
        return perceptor_refusal(
            token=_query(self.scope).get("token", ""),
            user=self.scope.get("user"),
            address=(self.scope.get("client") or ("", 0))[0],
        )

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            await self._end(SessionEndReason.DISCONNECTED)

    async def session_ended(self, message: dict) -> None:
        """The conductor ended this session (it timed out): say so, then close."""
        session_id, self.session_id = self.session_id, None
        if session_id is None:
            return
        await self._leave(session_id)
        await self.reply(SessionEnded(session_id=session_id, reason=message["reason"]))
        await self.close()

    async def end_and_close(self, reason: SessionEndReason) -> None:
        if self.session_id is not None:
            await self._end(reason)
        await self.close()

    async def _leave(self, session_id: str) -> None:
        _open_sessions.discard(self)
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(session_group(session_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self._within_rate():
            await self.reply_error("rate_limited", "Too many frames; slow down.")
            return
        if text_data is None:
            await self.reply_error("binary_frame", "Frames are JSON text; binary is not accepted.")
            return
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.DREAMS_MAX_FRAME_BYTES:
            limit = settings.DREAMS_MAX_FRAME_BYTES
            await self.reply_error("frame_too_large", f"Frames are limited to {limit:,} bytes.")
            return
        if json_depth_exceeds(text_data):
            await self.reply_error(
                "too_deep", f"The frame nests deeper than {MAX_JSON_DEPTH} levels."
            )
            return
        try:
            event, data = validate_session_frame(json.loads(text_data))
        except json.JSONDecodeError:
            await self.reply_error("invalid_json", "The frame is not valid JSON.")
            return
        except FrameError as error:
            await self.reply_error(error.reason, error.message)
            return
        if event == "startSession":
            await self._start(data)
        elif event == "percept":
            await self._percept(data)
        else:
            await self._end(SessionEndReason.ENDED)

    async def _within_rate(self) -> bool:
        return await perceptor_within_rate(
            user=self.scope.get("user"), address=(self.scope.get("client") or ("unknown", 0))[0]
        )

    async def _start(self, data: dict) -> None:
        if self.session_id is not None:
            await self.reply_error("already_started", "This connection already has a session.")
            return
        session = await database_sync_to_async(session_start)(client_name=data.get("client", ""))
        self.session_id = str(session.pk)
        _open_sessions.add(self)
        if self.channel_layer is not None:
            await self.channel_layer.group_add(session_group(self.session_id), self.channel_name)
        await self.reply(SessionStarted(session_id=self.session_id))
        await sessions_changed()

    async def _percept(self, data: dict) -> None:
        if self.session_id is None:
            await self.reply_error("no_session", "Send startSession first.")
            return
        kind = data.pop("kind")
        try:
            await perceptor_percept(
                session_id=self.session_id, kind=kind, fields=data, acknowledge=self.reply
            )
        except SessionClosed:
            await self._leave(self.session_id)
            self.session_id = None
            await self.reply_error("session_ended", "The session has ended; start a new one.")
            await sessions_changed()

    async def _end(self, reason: SessionEndReason) -> None:
        session_id, self.session_id = self.session_id, None
        if session_id is None:
            await self.reply_error("no_session", "There is no session to end.")
            return
        await self._leave(session_id)
        await database_sync_to_async(session_end)(session_id=session_id, reason=reason)
        if reason != SessionEndReason.DISCONNECTED:
            ended = cast(SessionEndReasonValue, str(reason))  # SessionEndReason's values
            await self.reply(SessionEnded(session_id=session_id, reason=ended))
        await sessions_changed()

    async def reply(self, event: Event) -> None:
        """A reply to this session alone: not a broadcast, so its `seq` is 0."""
        await self.send(text_data=event.frame(0))

    async def reply_error(self, reason: ErrorReason, message: str) -> None:
        await self.reply(Error(reason=reason, message=message))
