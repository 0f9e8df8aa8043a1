"""Fan-out to observers: each event is encoded once, and every web process writes the same
WebSocket frame bytes to each of its local observers.

How an event travels (docs/scaling.md, "Fan-out"):

- The conductor encodes it once (`EncodedEvent`: the JSON text, and a second text with
  the inline distance field for sigils). In the embedded setup it hands it straight to
  this process's `hub`; with Redis it publishes it once on the deployment's pub/sub
  channel (`observer_channel()`), and each web process subscribes once.
- The hub builds the WebSocket frame bytes once per variant and writes them directly to
  each observer's connection under daphne (the Twisted transport of the autobahn protocol
  behind the ASGI connection), without waking a task per observer. Where the connection
  is not daphne's (tests with `WebsocketCommunicator`), it falls back to the consumer's
  ordinary `send`, with the same order and the same limits.
- Writing never waits for a client. A client that reads too slowly piles up unsent bytes
  in its own transport; past `DREAMS_OBSERVER_BACKLOG_BYTES` the hub closes it with 4408,
  and it reconnects and resyncs from `seq`. The others are not held back.
- An observer joins after its snapshot is read, atomically with a replay of the recent
  events the snapshot does not cover, so nothing is missed or sent twice between the
  snapshot and the live stream (`ObserverHub.go_live`).

Thread-safety: daphne runs Twisted's asyncio reactor on the same event loop as the ASGI
application, so the hub, the consumers and the transports all live on one thread. The hub
remembers that loop and hands dispatches from any other loop over to it.
"""

import asyncio
import contextlib
import functools
import json
import logging
import resource
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

# Frames kept for a client that falls back to the ASGI `send` path (no transport to ask).
OBSERVER_QUEUE_LIMIT = 64
# Recent events replayed to an observer whose snapshot is older than the live stream; a
# connect that takes longer than this many events sees a gap in `seq` and resyncs.
RECENT_EVENTS = 128
# How long a slow observer has to read its backlog and the 4408 close frame before the
# server drops the TCP connection (autobahn's default close handshake timeout is 1 s).
SLOW_CLOSE_GRACE_S = 5.0
CLOSE_TOO_SLOW = 4408
# How long a connecting observer waits for this process's Redis subscription before its
# snapshot is read: without it the first events could be missed.
SUBSCRIBE_WAIT_S = 2.0
# The subscriber reads with no timeout; it pings Redis this often and reconnects when
# nothing (not even the pong) has come back for three periods.
REDIS_PING_EVERY_S = 10.0
REDIS_SILENT_LIMIT_S = 3 * REDIS_PING_EVERY_S
REDIS_RECONNECT_S = 1.0


def observer_channel() -> str:
    """The pub/sub channel of this deployment. Pub/sub ignores the logical database
    number, so the name carries the deployment's prefix (DREAMS_REDIS_PREFIX, by default
    derived from the database number in REDIS_URL)."""
    return f"{settings.DREAMS_REDIS_PREFIX}:observers"


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard limit: each observer is a socket,
    and the usual soft limit of 1024 would refuse connections long before 10,000.
    Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass(frozen=True)
class EncodedEvent:
    """One broadcast, encoded once; `with_sdf` is the variant for observers who asked for
    inline distance fields (None when the event carries no sigil)."""

    seq: int
    event: str
    frame: str
    with_sdf: str | None = None

    def to_wire(self) -> str:
        return json.dumps([self.seq, self.event, self.frame, self.with_sdf])

    @classmethod
    def from_wire(cls, payload: str | bytes) -> "EncodedEvent":
        seq, event, frame, with_sdf = json.loads(payload)
        return cls(seq, event, frame, with_sdf)

    def text_for(self, wants_sdf: bool) -> str:
        return self.with_sdf if (wants_sdf and self.with_sdf is not None) else self.frame


class Observer(Protocol):
    """What the hub needs of an observer's consumer."""

    wants_sdf: bool

    async def send_frame(self, frame: str) -> None: ...

    async def close_slow(self) -> None: ...


# -- WebSocket frames and daphne's connections ---------------------------------------------


def websocket_frame(text: str) -> bytes:
    """An unmasked, unfragmented server-to-client text frame (RFC 6455, section 5.2)."""
    payload = text.encode()
    length = len(payload)
    if length <= 125:
        header = bytes((0x81, length))
    elif length <= 0xFFFF:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


def daphne_connection(send: Callable[..., Any]) -> Any | None:
    """The autobahn protocol behind a consumer's ASGI `send`, when daphne serves it.

    daphne hands each application instance `partial(server.handle_reply, protocol)`, and
    Channels' routers pass it on untouched. The protocol counts only when daphne still
    lists it among its live connections and it speaks plain WebSocket: anything else
    (a test communicator, a middleware that wraps `send`, permessage-deflate) uses the
    ASGI path, which behaves the same, only slower.
    """
    if not isinstance(send, functools.partial) or len(send.args) != 1:
        return None
    server, protocol = getattr(send.func, "__self__", None), send.args[0]
    connections = getattr(server, "connections", None)
    if not isinstance(connections, dict) or protocol not in connections:
        return None
    try:
        from autobahn.websocket.protocol import WebSocketProtocol
    except ImportError:
        return None
    if not isinstance(protocol, WebSocketProtocol):
        return None
    if getattr(protocol, "_perMessageCompress", None) is not None:
        return None  # compressed connections need a frame of their own
    return protocol


def _plain_tcp(transport: Any) -> bool:
    """A Twisted TCP (or Unix) connection without TLS: its socket may be written to
    directly while Twisted holds nothing unsent for it."""
    try:
        from twisted.internet.tcp import Connection
    except ImportError:
        return False
    return isinstance(transport, Connection) and not getattr(transport, "TLS", False)


def _buffering_transport(transport: Any) -> Any:
    """The transport that holds the unsent bytes (under TLS, the TCP one beneath)."""
    while not hasattr(transport, "dataBuffer") and hasattr(transport, "transport"):
        transport = transport.transport
    return transport


class DirectConnection:
    """An observer's connection under daphne, written to from the reactor's thread
    without going through ASGI: the autobahn protocol, its Twisted transport and, for
    plain TCP, the socket itself."""

    __slots__ = ("_buffer", "_open_state", "protocol", "socket", "transport")

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.transport = protocol.transport
        self.socket = self.transport.socket if _plain_tcp(self.transport) else None
        self._buffer = _buffering_transport(self.transport)
        self._open_state = protocol.STATE_OPEN

    @property
    def is_open(self) -> bool:
        return self.protocol.state == self._open_state

    def unsent_bytes(self) -> int:
        """Bytes accepted for this observer but not yet taken by the kernel: Twisted's
        write buffer (it has no public accessor, unlike asyncio's transports'
        `get_write_buffer_size`) plus autobahn's own queue."""
        buffer = self._buffer
        unsent = (
            len(getattr(buffer, "dataBuffer", b""))
            - getattr(buffer, "offset", 0)
            + getattr(buffer, "_tempDataLen", 0)
        )
        queue = self.protocol.send_queue
        if queue:
            unsent += sum(len(data) for data, _ in queue)
        return unsent

    def write(self, frame: bytes) -> None:
        """Write frame bytes now. While nothing is queued for this observer they go to
        the socket at once: one `send` call and no reactor round trip, where a Twisted
        write would register the socket with the loop and write on the next turn, which
        at thousands of observers is most of the cost. Whatever the kernel does not take,
        or anything written while bytes are queued, goes through `transport.write`, so
        the stream stays in order."""
        transport, sock = self.transport, self.socket
        if (
            sock is not None
            and not transport._tempDataLen
            and len(transport.dataBuffer) == transport.offset
            and not self.protocol.send_queue
            and transport.connected
            and not transport.disconnecting
        ):
            try:
                sent = sock.send(frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                sent = 0  # Twisted's own write meets the error and closes the connection
            if sent == len(frame):
                return
            frame = frame[sent:]
        transport.write(frame)

    def close(self, code: int, reason: str, *, grace_s: float) -> None:
        """Close behind the frames already queued; drop the TCP connection if the client
        has not answered the close within `grace_s`."""
        self.protocol.closeHandshakeTimeout = grace_s
        self.protocol.sendClose(code=code, reason=reason)


# -- the hub ----------------------------------------------------------------------------


class _Link:
    """One observer in the hub: its connection when daphne serves it, else a queue of
    frames drained through the consumer's `send`."""

    __slots__ = ("connection", "draining", "observer", "queue", "wants_sdf")

    def __init__(self, observer: Observer, connection: DirectConnection | None) -> None:
        self.observer = observer
        self.connection = connection
        self.wants_sdf = bool(observer.wants_sdf)
        self.queue: deque[str] = deque()
        self.draining: asyncio.Task | None = None


class _Frames:
    """The frame bytes of one event, built once per variant, and only when needed."""

    __slots__ = ("event", "plain", "sdf")

    def __init__(self, event: EncodedEvent) -> None:
        self.event = event
        self.plain = websocket_frame(event.frame)
        self.sdf: bytes | None = None if event.with_sdf is not None else self.plain

    def for_sdf(self) -> bytes:
        if self.sdf is None:
            self.sdf = websocket_frame(self.event.with_sdf or self.event.frame)
        return self.sdf


class ObserverHub:
    """The observers connected to this process."""

    def __init__(self) -> None:
        self._links: dict[Observer, _Link] = {}
        self.last_seq = 0
        self.recent: deque[EncodedEvent] = deque(maxlen=RECENT_EVENTS)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._subscription: asyncio.Task | None = None
        self._subscribed: asyncio.Event | None = None
        self.slow_closed = 0

    def __len__(self) -> int:
        return len(self._links)

    def __contains__(self, observer: object) -> bool:
        return observer in self._links

    # -- joining and leaving --------------------------------------------------------------

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the observers' transports live on. Under daphne there is one for the
        life of the process; a test suite runs one per test, and starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.loop = loop
            self._links.clear()
            self.recent.clear()
            self.last_seq = 0
            self._subscription = None
            self._subscribed = asyncio.Event()
        return loop

    async def ready(self) -> None:
        """Wait (briefly) until this process hears the conductor: with Redis, until its
        subscription stands. Called before an observer's snapshot is read."""
        self._bind_loop()
        if not settings.REDIS_URL:
            return
        self._ensure_subscribed()
        assert self._subscribed is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_WAIT_S)

    def go_live(self, observer: Observer, *, after_seq: int, protocol: Any | None = None) -> None:
        """Add an observer whose snapshot carried `after_seq`: first the recent events it
        does not have, then, with no await in between, every event dispatched from now on.
        An event at or below `after_seq` is never sent (the snapshot covers it).
        `protocol` is its daphne connection (`daphne_connection`), None for the ASGI path."""
        self._bind_loop()
        link = _Link(observer, DirectConnection(protocol) if protocol is not None else None)
        self._links[observer] = link
        limit = settings.DREAMS_OBSERVER_BACKLOG_BYTES
        for event in self.recent:
            if event.seq > after_seq:
                self._deliver(link, _Frames(event), limit)
        self._ensure_subscribed()

    def discard(self, observer: Observer) -> None:
        link = self._links.pop(observer, None)
        if link is not None and link.draining is not None:
            link.draining.cancel()

    # -- delivering -----------------------------------------------------------------------

    async def dispatch(self, event: EncodedEvent) -> None:
        loop, home = asyncio.get_running_loop(), self.loop
        if home is not None and loop is not home and home.is_running():
            # Another thread's loop (a conductor outside daphne's): the transports belong
            # to the reactor's loop, so the writes happen there.
            future = asyncio.run_coroutine_threadsafe(self.dispatch(event), self.loop)
            await asyncio.wrap_future(future)
            return
        self._bind_loop()
        self.last_seq = max(self.last_seq, event.seq)
        self.recent.append(event)
        frames = _Frames(event)
        limit = settings.DREAMS_OBSERVER_BACKLOG_BYTES
        for link in tuple(self._links.values()):
            self._deliver(link, frames, limit)

    def _deliver(self, link: _Link, frames: _Frames, limit: int) -> None:
        connection = link.connection
        if connection is None:
            self._enqueue(link, frames.event.text_for(link.wants_sdf))
            return
        if not connection.is_open:
            self.discard(link.observer)  # closing: daphne tells the consumer
            return
        if connection.unsent_bytes() > limit:
            self._close_slow(link)
            return
        try:
            connection.write(frames.for_sdf() if link.wants_sdf else frames.plain)
        except Exception:  # a connection that broke mid-write: forget it, the others go on
            logger.debug("Could not write to an observer; dropping it.", exc_info=True)
            self.discard(link.observer)

    def _close_slow(self, link: _Link) -> None:
        """Close with 4408 behind the frames already queued: a client that catches up reads
        them and the close; one that does not is dropped after the grace period."""
        self.discard(link.observer)
        self.slow_closed += 1
        logger.info("An observer fell too far behind; closing it (%d).", CLOSE_TOO_SLOW)
        if link.connection is not None:
            with contextlib.suppress(Exception):
                link.connection.close(CLOSE_TOO_SLOW, "too slow", grace_s=SLOW_CLOSE_GRACE_S)
        else:
            asyncio.get_running_loop().create_task(link.observer.close_slow())

    def _enqueue(self, link: _Link, text: str) -> None:
        if len(link.queue) >= OBSERVER_QUEUE_LIMIT:
            self._close_slow(link)
            return
        link.queue.append(text)
        if link.draining is None:
            link.draining = asyncio.get_running_loop().create_task(self._drain(link))

    async def _drain(self, link: _Link) -> None:
        """Send an ASGI-path observer's frames in order; it waits on nobody else."""
        try:
            while link.queue:
                await link.observer.send_frame(link.queue.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # a closed socket: forget it, the others go on
            self.discard(link.observer)
        finally:
            link.draining = None

    # -- Redis ----------------------------------------------------------------------------

    def _ensure_subscribed(self) -> None:
        if not settings.REDIS_URL or (self._subscription and not self._subscription.done()):
            return
        self._subscription = asyncio.get_running_loop().create_task(
            self._listen(), name="observer-subscription"
        )

    async def _listen(self) -> None:
        """One subscription per process, for good: it reconnects whenever it is lost."""
        subscribed = self._subscribed
        assert subscribed is not None
        while True:
            client = subscriber_client()
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(observer_channel())
                    subscribed.set()
                    await self._receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Lost the observers' Redis channel; reconnecting.")
            finally:
                subscribed.clear()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(REDIS_RECONNECT_S)

    async def _receive(self, pubsub: Any) -> None:
        loop = asyncio.get_running_loop()
        heard = pinged = loop.time()
        while True:
            message = await pubsub.get_message(timeout=REDIS_PING_EVERY_S)
            now = loop.time()
            if message is not None:
                heard = now
                if message["type"] == "message":
                    try:
                        event = EncodedEvent.from_wire(message["data"])
                    except (ValueError, TypeError):
                        logger.warning("Ignored a malformed message on the observers' channel.")
                        continue
                    await self.dispatch(event)
            if now - pinged >= REDIS_PING_EVERY_S:
                await pubsub.ping()
                pinged = now
            if now - heard > REDIS_SILENT_LIMIT_S:
                raise ConnectionError("Redis stopped answering the observers' subscription")


def subscriber_client() -> Any:
    """A Redis client for the subscription. It must not time out reads: the channel may be
    quiet for minutes (no dreams while cognition waits for percepts), and redis-py's
    socket timeout (5 s by default in redis-py 8, or `socket_timeout` in REDIS_URL)
    would drop it each time. Liveness comes from the hub's own pings instead."""
    import redis.asyncio as redis

    pool = redis.ConnectionPool.from_url(settings.REDIS_URL)
    # Set after parsing: options in the URL's query string override keyword arguments.
    pool.connection_kwargs["socket_timeout"] = None
    pool.connection_kwargs["socket_keepalive"] = True
    return redis.Redis.from_pool(pool)


hub = ObserverHub()


class FanOut:
    """The conductor's side: deliver to observers everywhere, through Redis to every web
    process, or directly to this process's observers in the embedded setup."""

    def __init__(self) -> None:
        self._client: Any = None

    async def publish(self, event: EncodedEvent) -> None:
        if not settings.REDIS_URL:
            await hub.dispatch(event)
            return
        if self._client is None:
            import redis.asyncio as redis

            self._client = redis.from_url(settings.REDIS_URL)
        await self._client.publish(observer_channel(), event.to_wire())

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
