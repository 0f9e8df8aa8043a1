"""WebSocket consumers: thin. Validate a frame, call a service, reply.

`/ws/observe/` is read-only (observers get a snapshot, then every broadcast);
`/ws/session/` is for perceptors (startSession, percept, endSession).
"""

import hmac
import json
import logging
import time
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from dreams.conductor.conductor import notify_conductor
from dreams.conductor.leader import current_snapshot
from dreams.conductor.payloads import sigil_data
from dreams.fanout import hub
from dreams.models import SessionEndReason
from dreams.protocol import FrameError, validate_session_frame
from dreams.realtime import encode_frame
from dreams.services.sessions import SessionClosed, percept_accept, session_end, session_start

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408
RATE_WINDOW_S = 60.0


def _query(scope: dict) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[-1] for key, values in parsed.items()}


@database_sync_to_async
def _snapshot_data(hub_seq: int) -> tuple[int, dict]:
    lease = current_snapshot()
    if lease is None:
        return hub_seq, {"state": None, "sessions": 0, "lastSigil": None, "conducting": False}
    moment = lease.last_sigil_moment
    last_sigil = sigil_data(moment, is_dream=lease.last_sigil_is_dream) if moment else None
    data = {
        "state": lease.state or None,
        "sessions": lease.sessions,
        "lastSigil": last_sigil,
        "conducting": lease.expires_at > timezone.now(),
    }
    return max(hub_seq, lease.seq), data


class ObserverConsumer(AsyncWebsocketConsumer):
    """A read-only display: a snapshot on connect, then every broadcast."""

    wants_sdf = False

    async def connect(self) -> None:
        self.wants_sdf = _query(self.scope).get("sdf") in {"1", "true"}
        await self.accept()
        seq, data = await _snapshot_data(hub.last_seq)
        await self.send(text_data=encode_frame("snapshot", data, seq))
        hub.add(self)

    async def disconnect(self, code: int) -> None:
        hub.discard(self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send_error("read_only", "Observers only listen; sessions use /ws/session/.")

    async def send_error(self, reason: str, message: str) -> None:
        await self.send(text_data=encode_frame("error", {"reason": reason, "message": message}, 0))

    async def send_frame(self, frame: str) -> None:
        await self.send(text_data=frame)

    async def close_slow(self) -> None:
        await self.close(code=CLOSE_TOO_SLOW)


class SessionConsumer(AsyncWebsocketConsumer):
    """A perceptor's live session."""

    session_id: str | None = None

    async def connect(self) -> None:
        await self.accept()
        self.recent_frames: deque[float] = deque()
        if not self._authorized():
            await self.reply_error("unauthorized", "This session needs the right token (?token=).")
            await self.close(code=CLOSE_UNAUTHORIZED)

    def _authorized(self) -> bool:
        expected = settings.DREAMS_SESSION_TOKEN
        if not expected:
            return settings.DEBUG
        given = _query(self.scope).get("token", "")
        return hmac.compare_digest(given.encode(), expected.encode())

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            await self._end(SessionEndReason.DISCONNECTED)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self._within_rate():
            await self.reply_error("rate_limited", "Too many frames; slow down.")
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode()) > settings.DREAMS_MAX_FRAME_BYTES:
            limit = settings.DREAMS_MAX_FRAME_BYTES
            await self.reply_error("frame_too_large", f"Frames are limited to {limit} bytes.")
            return
        try:
            event, data = validate_session_frame(json.loads(raw))
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

    def _within_rate(self) -> bool:
        now = time.monotonic()
        while self.recent_frames and self.recent_frames[0] < now - RATE_WINDOW_S:
            self.recent_frames.popleft()
        if len(self.recent_frames) >= settings.DREAMS_SESSION_FRAMES_PER_MINUTE:
            return False
        self.recent_frames.append(now)
        return True

    async def _start(self, data: dict) -> None:
        if self.session_id is not None:
            await self.reply_error("already_started", "This connection already has a session.")
            return
        session = await database_sync_to_async(session_start)(client_name=data.get("client", ""))
        self.session_id = str(session.pk)
        await self.reply("sessionStarted", {"sessionId": self.session_id})
        await notify_conductor({"type": "sessions.changed"})

    async def _percept(self, data: dict) -> None:
        if self.session_id is None:
            await self.reply_error("no_session", "Send startSession first.")
            return
        kind = data.pop("kind")
        try:
            percept = await database_sync_to_async(percept_accept)(
                session_id=self.session_id, kind=kind, payload=data
            )
        except SessionClosed:
            self.session_id = None
            await self.reply_error("session_ended", "The session has ended; start a new one.")
            await notify_conductor({"type": "sessions.changed"})
            return
        await self.reply(
            "perceptAccepted", {"perceptId": percept.pk, "receivedAt": percept.received_at}
        )
        await notify_conductor(
            {
                "type": "percept.received",
                "percept": {"sessionId": self.session_id, "kind": kind, **data},
            }
        )

    async def _end(self, reason: SessionEndReason) -> None:
        session_id, self.session_id = self.session_id, None
        if session_id is None:
            await self.reply_error("no_session", "There is no session to end.")
            return
        await database_sync_to_async(session_end)(session_id=session_id, reason=reason)
        if reason == SessionEndReason.ENDED:
            await self.reply("sessionEnded", {"sessionId": session_id, "reason": reason})
        await notify_conductor({"type": "sessions.changed"})

    async def reply(self, event: str, data: dict) -> None:
        await self.send(text_data=encode_frame(event, data, 0))

    async def reply_error(self, reason: str, message: str) -> None:
        await self.reply("error", {"reason": reason, "message": message})
