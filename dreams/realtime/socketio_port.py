"""The source system's socket.io clients, served beside Channels at `/socket.io/` by
python-socketio's ASGI server (long-polling and WebSocket, as the clients choose).

- Every event the conductor broadcasts reaches them from this process's hub
  (`emit_encoded`, registered with `hub.also_to`): its socket.io payload is built and
  encoded once per event for all of this process's clients, in two variants for sigils
  (with the inline distance field for clients that connected with `?sdf=1`).
- Displays connect as they are and only listen. Perceptors connect with the session token
  (`auth: {token}` or `?token=`) and send `startSession`, `percept`, `endSession`; replies go
  to the sender alone, in the source system's shapes (`socketio_shapes`).
- The native sockets' rules hold: the Origin is checked before a request gets here
  (`dreamsite.asgi`), frames are bounded in size (engine.io's `max_http_buffer_size`) and
  depth (`GuardedPacket`), validated by `dreams.protocol`, throttled, and a percept is
  acknowledged only once stored (`dreams.perceptors`).
- Several web processes: each hears every event once over the bus (`dreams.realtime.bus`)
  and emits it to its own clients only (`ignore_queue`); python-socketio's Redis manager
  (with REDIS_URL) carries what python-socketio itself sends between processes.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import socketio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from socketio.exceptions import ConnectionRefusedError as SocketIoRefusal

from dreams.conductor.conductor import session_group
from dreams.models import SessionEndReason
from dreams.perceptors import (
    perceptor_percept,
    perceptor_within_rate,
    session_token_matches,
    sessions_changed,
)
from dreams.protocol import FrameError
from dreams.realtime import daphne_port
from dreams.realtime import socketio_shapes as shapes
from dreams.realtime.events import Error, ErrorReason, PerceptAccepted
from dreams.realtime.frames import EncodedEvent
from dreams.realtime.hub import CLOSE_TOO_SLOW, SLOW_CLOSE_GRACE_S, hub
from dreams.selectors.live import live_cycle, open_session_names, session_is_open
from dreams.services.sessions import SessionClosed, session_end, session_start
from dreams.text import MAX_JSON_DEPTH, json_depth_exceeds
from dreamsite.control import within_rate

logger = logging.getLogger(__name__)

# Clients in these rooms get sigils without or with the inline distance field.
PLAIN, WITH_SDF = "plain", "sdf"
# Product copy, not secrets (the linter takes "token" for one).
WRONG_TOKEN_COPY = "That is not the session token. Connect with the server's."  # noqa: S105
TOKEN_COPY = "Perceptors connect with the session token: io(url, {auth: {token}}) or ?token=."  # noqa: S105
UNKNOWN_SESSION_COPY = "Invalid or expired session: send startSession first."
# A frame nested too deep is never parsed: it arrives as this event instead.
TOO_DEEP = "dreams:too-deep"
READ_REQUESTS = ("ping", "getCycleStatus", "getSessionStatus")
FAST_PATH_COPY = "socket.io displays on WebSocket are written to through daphne's connections."
NAMESPACE = "/"


class GuardedPacket(socketio.packet.Packet):
    """socket.io's packet, refusing JSON nested deeper than `MAX_JSON_DEPTH` before it is
    parsed (a frame of a few kilobytes nested a thousand levels deep would exhaust the
    parser's recursion)."""

    def decode(self, encoded_packet: Any) -> Any:
        if isinstance(encoded_packet, str) and json_depth_exceeds(encoded_packet):
            # The header (type, namespace, acknowledgement id) stays; the JSON is replaced.
            starts = [at for at in (encoded_packet.find("["), encoded_packet.find("{")) if at > 0]
            encoded_packet = encoded_packet[: min(starts)] + json.dumps([TOO_DEEP])
        return super().decode(encoded_packet)


@dataclass
class _Client:
    address: str
    may_perceive: bool
    # The session this connection opened: ours, and the name its perceptor knows it by.
    session_id: str | None = None
    name: str = ""
    # Hears the conductor end the session (a timeout), wherever the conductor runs.
    hearing_end: asyncio.Task | None = None


_clients: dict[str, _Client] = {}
_greetings: set[asyncio.Task] = set()
_server: socketio.AsyncServer | None = None


def server() -> socketio.AsyncServer:
    """This process's socket.io server (built on first use, after Django's settings)."""
    global _server
    if _server is None:
        _server = _build()
    return _server


def asgi_app() -> "FastPathApp":
    """The ASGI application of `/socket.io/` (dreamsite.asgi routes to it)."""
    return FastPathApp(socketio.ASGIApp(server(), socketio_path=None))


# WebSocket clients under daphne, by engine.io session id, once engine.io speaks to them
# over the WebSocket alone: broadcasts are written to their daphne connection directly.
_ports: dict[str, daphne_port.Port] = {}


class FastPathApp:
    """socket.io's ASGI application, noting the daphne port of every WebSocket client.

    Through python-socketio, a broadcast costs a task per client and a trip through
    engine.io's writer, ASGI, daphne and autobahn for each; at 5,000 displays that
    saturated a core (docs/scaling.md). A broadcast's packet is the same for every
    display, so it is framed once and written to each port as the native hub does
    (`emit_encoded`). The port is noted when engine.io's session is known to be on the
    WebSocket: its open packet on a direct WebSocket connection, or the client's upgrade
    packet after long-polling. Clients without a port (long-polling, other servers) get
    python-socketio's own emit.
    """

    def __init__(self, application: socketio.ASGIApp) -> None:
        self.application = application

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "websocket" or not daphne_port.served_by_daphne():
            await self.application(scope, receive, send)
            return
        upgrading = parse_qs(scope["query_string"].decode("latin-1")).get("sid", [None])[-1]
        noted: list[str] = []

        def note(eio_sid: str) -> None:
            port = daphne_port.connection_for(send)
            if port is not None:
                _ports[eio_sid] = port
                noted.append(eio_sid)
                if len(_ports) == 1:
                    logger.info(FAST_PATH_COPY)

        async def noting_send(message: Any) -> None:
            text = message.get("text") or ""
            if not noted and upgrading is None and text.startswith("0{"):
                note(json.loads(text[1:])["sid"])  # engine.io's open packet
            await send(message)

        async def noting_receive() -> Any:
            message = await receive()
            if not noted and upgrading is not None and message.get("text") == "5":
                note(upgrading)  # the client's upgrade packet: polling is over
            return message

        try:
            await self.application(scope, noting_receive, noting_send)
        finally:
            for eio_sid in noted:
                _ports.pop(eio_sid, None)


def _build() -> socketio.AsyncServer:
    manager = None
    if settings.REDIS_URL:
        manager = socketio.AsyncRedisManager(
            settings.REDIS_URL, channel=f"{settings.DREAMS_REDIS_PREFIX}:socketio"
        )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        # The Origin is checked before a request reaches this server, by the same rule as
        # every other socket (dreamsite.asgi); engine.io's own CORS handling is off.
        cors_allowed_origins=[],
        max_http_buffer_size=settings.DREAMS_MAX_FRAME_BYTES,
        serializer=GuardedPacket,
        # One connection's events are handled in the order sent, as a consumer's are.
        async_handlers=False,
    )
    sio.on("connect", _connect)
    sio.on("disconnect", _disconnect)
    sio.on("startSession", _start_session)
    sio.on("percept", _percept)
    sio.on("endSession", _end_session)
    sio.on("ping", _ping)
    sio.on("getCycleStatus", _cycle_status)
    sio.on("getSessionStatus", _session_status)
    sio.on(TOO_DEEP, _too_deep)
    sio.on("*", _unknown_event)
    hub.also_to(emit_encoded)
    return sio


# -- broadcasts -------------------------------------------------------------------------


async def emit_encoded(event: EncodedEvent) -> None:
    """Emit one broadcast to every socket.io client of this process, its payload encoded
    once per variant."""
    if not _clients:
        return
    sio = server()
    data = json.loads(event.frame)["data"]
    if event.event == "sessionsUpdate":
        names = await database_sync_to_async(open_session_names)()
        payload = shapes.sessions_update(data["count"], names)
        await _emit(sio, event.event, payload, [PLAIN, WITH_SDF])
    elif event.with_sdf is None:
        await _emit(sio, event.event, shapes.source_payload(event.event, data), [PLAIN, WITH_SDF])
    else:
        with_sdf = json.loads(event.with_sdf)["data"]
        for room, variant in ((PLAIN, data), (WITH_SDF, with_sdf)):
            await _emit(sio, event.event, shapes.source_payload(event.event, variant), [room])


async def _emit(sio: socketio.AsyncServer, name: str, payload: Any, rooms: list[str]) -> None:
    """One event to the clients of `rooms`: framed once and written to each client's
    daphne port (see `FastPathApp`), through python-socketio for the others."""
    packet = sio.packet_class(socketio.packet.EVENT, namespace=NAMESPACE, data=[name, payload])
    frame = daphne_port.prepare("4" + packet.encode())  # an engine.io message
    limit = settings.DREAMS_OBSERVER_BACKLOG_BYTES
    others: list[str] = []
    for sid, eio_sid in tuple(sio.manager.get_participants(NAMESPACE, rooms)):
        port = _ports.get(eio_sid)
        if port is None:
            others.append(sid)
        else:
            _write(eio_sid, port, frame, limit)
    if others:
        await sio.emit(name, payload, to=others, ignore_queue=True)


def _write(eio_sid: str, port: daphne_port.Port, frame: bytes, limit: int) -> None:
    """Write `frame` to a client's port, as the hub writes to a native observer's: a
    client too far behind is closed (engine.io then disconnects it), a broken one
    forgotten."""
    if not port.is_open:
        _ports.pop(eio_sid, None)
        return
    if port.backlog_bytes() > limit:
        _ports.pop(eio_sid, None)
        logger.info("A socket.io display fell too far behind; closing it (%d).", CLOSE_TOO_SLOW)
        with contextlib.suppress(OSError):
            port.close(CLOSE_TOO_SLOW, "too slow", grace_s=SLOW_CLOSE_GRACE_S)
        return
    try:
        port.write_prepared(frame)
    except OSError:  # a connection that broke mid-write: engine.io notices and cleans up
        _ports.pop(eio_sid, None)


async def _reply(sid: str, event: str, payload: dict[str, Any]) -> None:
    """To this client alone (never through the queue: it is connected here)."""
    await server().emit(event, payload, to=sid, ignore_queue=True)


async def _error(sid: str, reason: ErrorReason, message: str) -> dict[str, Any]:
    """The source's `error` event (`message`), with our `reason`; returned as the
    acknowledgement too, for clients that asked for one."""
    error = Error(reason=reason, message=message).wire()
    await _reply(sid, "error", error)
    return error


# -- connecting -------------------------------------------------------------------------


def _query(environ: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(environ.get("QUERY_STRING", ""))
    return {key: values[-1] for key, values in parsed.items()}


async def _connect(sid: str, environ: dict[str, Any], auth: object = None) -> None:
    query = _query(environ)
    given = auth.get("token") if isinstance(auth, dict) else None
    token = str(given or query.get("token", ""))
    if token and not session_token_matches(token):
        # The client's connect_error: {message, data: {reason}}.
        raise SocketIoRefusal(WRONG_TOKEN_COPY, {"reason": "unauthorized"})
    # engine.io's environ says 127.0.0.1 whoever calls: the ASGI scope knows.
    client = environ["asgi.scope"].get("client") or ("unknown", 0)
    await hub.ready()
    _clients[sid] = _Client(address=client[0], may_perceive=bool(token))
    sio = server()
    await sio.enter_room(sid, WITH_SDF if query.get("sdf") in {"1", "true"} else PLAIN)
    cycle = await database_sync_to_async(live_cycle)()
    # Sent once the connection is acknowledged (after this handler returns): the state a
    # display shows until the next change.
    greeting = asyncio.get_running_loop().create_task(
        _reply(sid, "cognitiveState", {"state": cycle.state})
    )
    _greetings.add(greeting)  # held until sent (the loop keeps only weak references)
    greeting.add_done_callback(_greetings.discard)


async def _disconnect(sid: str, reason: object = None) -> None:
    client = _clients.pop(sid, None)
    if client is not None and client.session_id is not None:
        await _end(sid, client, SessionEndReason.DISCONNECTED)


# -- perceptors -------------------------------------------------------------------------


Reply = dict[str, Any] | None
Action = Callable[[str, _Client, Any], Awaitable[Reply]]


def _perceptor_action(parse: Callable[[object], Any]) -> Callable[[Action], Callable[..., Any]]:
    """A perceptor's event: this connection must present the token and keep to the rate,
    and the payload must parse (`parse`, from the source's shape); then `action` runs with
    what it parsed. A refusal is the `error` event, and the acknowledgement too."""

    def handler(action: Action) -> Callable[..., Any]:
        async def handle(sid: str, payload: object = None) -> Reply:
            client = _clients.get(sid)
            if client is None:
                return await _error(sid, "unauthorized", TOKEN_COPY)
            if not await perceptor_within_rate(user=None, address=client.address):
                return await _error(sid, "rate_limited", "Too many frames; slow down.")
            if not client.may_perceive:
                return await _error(sid, "unauthorized", TOKEN_COPY)
            try:
                parsed = parse(payload)
            except FrameError as error:
                return await _error(sid, error.reason, error.message)
            return await action(sid, client, parsed)

        return handle

    return handler


@_perceptor_action(shapes.start_session)
async def _start_session(sid: str, client: _Client, parsed: tuple[str | None, dict]) -> Reply:
    name, data = parsed
    if client.session_id is not None:
        return await _error(sid, "already_started", "This connection already has a session.")
    session = await database_sync_to_async(session_start)(client_name=data.get("client", ""))
    client.session_id, client.name = str(session.pk), name or str(session.pk)
    client.hearing_end = asyncio.get_running_loop().create_task(
        _hear_end(sid, client.session_id)
    )
    await _reply(
        sid,
        "sessionStarted",
        {"sessionId": client.name, "startTime": session.started_at.isoformat()},
    )
    await sessions_changed()
    return None


@_perceptor_action(shapes.percept)
async def _percept(sid: str, client: _Client, parsed: tuple[str, dict]) -> Reply:
    name, data = parsed
    if client.session_id is None or name != client.name:
        return await _error(sid, "no_session", UNKNOWN_SESSION_COPY)
    accepted: list[PerceptAccepted] = []

    async def stored(reply: PerceptAccepted) -> None:
        accepted.append(reply)

    kind = data.pop("kind")
    try:
        await perceptor_percept(
            session_id=client.session_id, kind=kind, fields=data, acknowledge=stored
        )
    except SessionClosed:
        _forget_session(client)
        await sessions_changed()
        return await _error(sid, "session_ended", "The session has ended; start a new one.")
    # socket.io's acknowledgement: sent when this returns, the percept stored.
    return accepted[0].wire()


@_perceptor_action(lambda payload: shapes.session_frame(payload).get("sessionId"))
async def _end_session(sid: str, client: _Client, name: str | None) -> Reply:
    if client.session_id is None or (name is not None and name != client.name):
        return await _error(sid, "no_session", "There is no session to end.")
    await _end(sid, client, SessionEndReason.ENDED)
    return None


async def _end(sid: str, client: _Client, reason: SessionEndReason) -> None:
    session_id, name = client.session_id, client.name
    assert session_id is not None
    _forget_session(client)
    await database_sync_to_async(session_end)(session_id=session_id, reason=reason)
    if reason != SessionEndReason.DISCONNECTED:
        await _reply(sid, "sessionEnded", {"sessionId": name, "reason": str(reason)})
    await sessions_changed()


def _forget_session(client: _Client) -> None:
    client.session_id = None
    if client.hearing_end is not None:
        client.hearing_end.cancel()
        client.hearing_end = None


async def _hear_end(sid: str, session_id: str) -> None:
    """Wait for the conductor to end this session (it fell silent), as a native session's
    consumer does on the channel layer; then tell the perceptor."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = session_group(session_id)
    await layer.group_add(group, channel)
    try:
        message = await layer.receive(channel)
    finally:
        with contextlib.suppress(Exception):
            await layer.group_discard(group, channel)
    client = _clients.get(sid)
    if client is None or client.session_id != session_id:
        return
    client.hearing_end = None
    name = client.name
    _forget_session(client)
    await _reply(sid, "sessionEnded", {"sessionId": name, "reason": message["reason"]})


# -- reads, for any client --------------------------------------------------------------


async def _read_allowed(sid: str) -> bool:
    """Displays' requests are counted per connection (many may share an address)."""
    allowed = await within_rate(
        scope="socketio-reads", caller=sid, limit=settings.DREAMS_SESSION_FRAMES_PER_MINUTE
    )
    if not allowed:
        await _error(sid, "rate_limited", "Too many requests; slow down.")
    return allowed


async def _ping(sid: str, payload: object = None) -> None:
    if not await _read_allowed(sid):
        return
    try:
        name = shapes.session_frame(payload).get("sessionId")
    except FrameError as error:
        await _error(sid, error.reason, error.message)
        return
    client = _clients.get(sid)
    valid = (
        client is not None
        and client.session_id is not None
        and name in {None, client.name}
        and await database_sync_to_async(session_is_open)(client.session_id)
    )
    await _reply(sid, "pong", {"sessionId": name, "valid": bool(valid)})


async def _cycle_status(sid: str, payload: object = None) -> None:
    if not await _read_allowed(sid):
        return
    cycle = await database_sync_to_async(live_cycle)()
    await _reply(
        sid,
        "cycleStatus",
        shapes.cycle_status(
            state=cycle.state, conducting=cycle.conducting, interval_ms=cycle.interval_ms
        ),
    )


async def _session_status(sid: str, payload: object = None) -> None:
    if not await _read_allowed(sid):
        return
    names = await database_sync_to_async(open_session_names)()
    await _reply(sid, "sessionsUpdate", shapes.sessions_update(len(names), names))


async def _too_deep(sid: str, *payload: object) -> Reply:
    if not await _read_allowed(sid):
        return None
    return await _error(sid, "too_deep", f"The frame nests deeper than {MAX_JSON_DEPTH} levels.")


async def _unknown_event(event: str, sid: str, *payload: object) -> Reply:
    if not await _read_allowed(sid):
        return None
    known = ", ".join(("startSession", "percept", "endSession", *READ_REQUESTS))
    return await _error(sid, "unknown_event", f"Unknown event; clients send {known}.")
