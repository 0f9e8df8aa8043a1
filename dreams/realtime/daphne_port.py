"""Every internal of daphne, Twisted and autobahn the project touches, in one room.

The rest of the project sees a small public face:

- `install(server)`: called by `manage.py serve` before daphne's reactor runs. It marks
  this process as served by daphne and bounds request bodies (below).
- `connection_for(send) -> Port | None`: the port of an observer's connection, or None
  when it must use the ASGI path (not served by daphne, or daphne's internals no longer
  look as expected).
- `prepare(text) -> bytes`: a frame's bytes, built once per event for every port.
- `Port.write_prepared(frame)`, `Port.backlog_bytes()`, `Port.is_open`, `Port.close(...)`.
- `stats`: how many observers got a port, and how many fell back to the ASGI path while
  daphne serves (`fast_path_fallbacks`, with a WARNING logged once per process).

Why internals at all: at 2,000 observers the project's bench measured a p99 delay of
170-275 ms writing frames to the socket directly, 258-566 ms through Twisted's
`transport.write`, 661 ms through autobahn's public `sendPreparedMessage` and 1,168 ms
through ASGI (docs/scaling.md, "Fan-out"). So frames are built here (RFC 6455) and go to
the socket while nothing is queued for it, else to `transport.write`.

What is touched, and where daphne/Twisted/autobahn keep it (tested with the versions
pinned in pyproject.toml): daphne's `Server.connections` and the
`partial(server.handle_reply, protocol)` it hands the application as `send`; autobahn's
`WebSocketProtocol.state`, `STATE_OPEN`, `send_queue`, `_perMessageCompress`,
`closeHandshakeTimeout`, `sendClose`; Twisted's `tcp.Connection.socket`, `connected`,
`disconnecting` and its write buffer `dataBuffer`, `offset`, `_tempDataLen` (Twisted has no
public accessor for unsent bytes, unlike asyncio's `get_write_buffer_size`); daphne's
`WebRequest`, `HTTPFactory.buildProtocol`, Twisted's `Request.gotLength` /
`handleContentChunk` / `process` and `HTTPChannel._path`. Each is read directly, never with
a default: when one is missing the port is unavailable, the observer uses the ASGI path,
and the fallback is logged and counted, so a rename cannot quietly slow the site down.

Autobahn's `prepareMessage`/`sendPreparedMessage` were measured slower (above) and Twisted's
producer API pauses a producer at its own buffer size, where the hub needs the exact count
of unsent bytes to close a slow observer with 4408: neither is used.
"""

import functools
import logging
from collections.abc import Callable
from io import BytesIO
from typing import Any

logger = logging.getLogger(__name__)

# Counters this process keeps: observers on the fast path, and observers that fell back
# to the ASGI path although daphne serves them. Read by tests and the bench.
stats = {"fast_path": 0, "fast_path_fallbacks": 0}

FAST_PATH_COPY = "Observers are written to through daphne's connections (the fast path)."
FALLBACK_COPY = "Observers fall back to the slower ASGI path"

_server: Any = None  # daphne's Server, once `install` has run
_warned = False


def install(server: Any) -> None:
    """This process is served by daphne's `server`: observers may get ports, and request
    bodies are bounded. Call it before the reactor runs (daphne's `ready_callable`)."""
    global _server
    _server = server
    bound_request_bodies(server.http_factory)


def served_by_daphne() -> bool:
    return _server is not None


def prepare(text: str) -> bytes:
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


def _fall_back(reason: str) -> None:
    global _warned
    stats["fast_path_fallbacks"] += 1
    if not _warned:
        _warned = True
        logger.warning(
            "%s (%s): check the daphne, Twisted and autobahn versions against pyproject.toml.",
            FALLBACK_COPY,
            reason,
        )


def connection_for(send: Callable[..., Any]) -> "Port | None":
    """The port behind a consumer's ASGI `send`, when daphne serves it; else None.

    daphne hands each application instance `partial(server.handle_reply, protocol)`, and
    Channels' routers pass it on untouched. Outside daphne (tests' communicators, another
    server) there is no port and nothing to report. Under daphne, anything else (a
    middleware that wraps `send`, permessage-deflate, TLS, a renamed internal) is a
    fallback: counted, and warned about once.
    """
    if _server is None:
        return None
    if not (
        isinstance(send, functools.partial)
        and getattr(send.func, "__self__", None) is _server
        and len(send.args) == 1
    ):
        _fall_back("the ASGI send is not daphne's own")
        return None
    protocol = send.args[0]
    try:
        port = Port(protocol)
    except _Unavailable as error:
        _fall_back(str(error))
        return None
    except AttributeError as error:
        _fall_back(f"an internal is missing: {error}")
        return None
    stats["fast_path"] += 1
    if stats["fast_path"] == 1:
        logger.info(FAST_PATH_COPY)
    return port


class _Unavailable(Exception):
    pass


class Port:
    """An observer's connection under daphne: the autobahn protocol, its Twisted transport
    and its socket, written to from the reactor's thread without going through ASGI."""

    __slots__ = ("_open_state", "protocol", "socket", "transport")

    def __init__(self, protocol: Any) -> None:
        from autobahn.websocket.protocol import WebSocketProtocol
        from twisted.internet.tcp import Connection

        if protocol not in _server.connections:
            raise _Unavailable("the connection is not among daphne's")
        if not isinstance(protocol, WebSocketProtocol):
            raise _Unavailable("the connection is not autobahn's WebSocket protocol")
        if protocol._perMessageCompress is not None:
            raise _Unavailable("permessage-deflate needs frames of its own")
        # WebSocketProtocol's types declare neither `transport` (Twisted's adapter sets it)
        # nor `closeHandshakeTimeout` (set per instance from the factory's options).
        transport = protocol.transport  # type: ignore[attr-defined]
        if not isinstance(transport, Connection) or transport.TLS:
            raise _Unavailable("the connection is not plain TCP")
        self.protocol = protocol
        self.transport = transport
        self.socket = transport.socket
        self._open_state = protocol.STATE_OPEN
        # Read once now, so that a renamed internal is found here, not mid-broadcast.
        self.backlog_bytes()
        _ = transport.connected, transport.disconnecting, protocol.closeHandshakeTimeout  # type: ignore[attr-defined]

    @property
    def is_open(self) -> bool:
        return self.protocol.state == self._open_state

    def backlog_bytes(self) -> int:
        """Bytes accepted for this observer but not yet taken by the kernel: Twisted's
        write buffer plus autobahn's own queue."""
        transport = self.transport
        unsent = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        queue = self.protocol.send_queue
        if queue:
            unsent += sum(len(data) for data, _ in queue)
        return unsent

    def write_prepared(self, frame: bytes) -> None:
        """Write `prepare`d frame bytes now. While nothing is queued for this observer they
        go to the socket at once: one `send` call and no reactor round trip, where a
        Twisted write would register the socket with the loop and write on the next turn,
        which at thousands of observers is most of the cost. Whatever the kernel does not
        take, or anything written while bytes are queued, goes through `transport.write`,
        so the stream stays in order."""
        transport = self.transport
        if (
            not transport._tempDataLen
            and len(transport.dataBuffer) == transport.offset
            and not self.protocol.send_queue
            and transport.connected
            and not transport.disconnecting
        ):
            try:
                sent = self.socket.send(frame)
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
        self.protocol.closeHandshakeTimeout = grace_s  # type: ignore[attr-defined]
        self.protocol.sendClose(code=code, reason=reason)


# -- request bodies ---------------------------------------------------------------------
#
# daphne offers no limit of its own, and its Twisted request receives a whole body (in a
# temporary file past 100 kB) before daphne calls the application. So `serve` gives
# daphne's HTTP channels a request class that answers 413 as soon as the headers declare a
# Content-Length over the limit, or as soon as a chunked body's count passes it, and from
# then on reads and drops the rest of the body (holding none of it) until the client stops
# sending; then it closes the connection. A client that waits for "100 Continue" gets the
# 413 instead. The limit and the copy are `dreamsite.body_limit`'s.


def _bounded_request_class() -> type:
    from daphne.http_protocol import WebRequest

    from dreamsite.body_limit import REASON, STATUS, over_limit, refusal

    class BoundedWebRequest(WebRequest):
        refused = False
        body_bytes = 0

        def gotLength(self, length: int | None) -> None:
            if length is not None and over_limit(length):
                # The answer is final: no "100 Continue" for a client that waits for one.
                self.requestHeaders.removeHeader(b"Expect")
                self.refuse()
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:
            if self.refused:
                return
            self.body_bytes += len(data)
            if over_limit(self.body_bytes):
                self.refuse()
                return
            super().handleContentChunk(data)

        def process(self) -> Any:
            if self.refused:
                # The whole body has been read and dropped; the answer went out before it.
                self.channel.transport.loseConnection()
                return None
            return super().process()

        def refuse(self) -> None:
            self.refused = True
            self.content = BytesIO()  # drops what was kept; Twisted still reads it at the end
            target = self.channel._path.decode("latin-1")  # the request line's target
            content_type, body = refusal(target.partition("?")[0])
            self.channel.transport.write(
                b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                b"Connection: close\r\n\r\n%s" % (STATUS, REASON, content_type, len(body), body)
            )

    return BoundedWebRequest


def bound_request_bodies(factory: Any) -> None:
    """Make the channels daphne's HTTP `factory` builds from now on refuse bodies over the
    limit. Call it before the reactor runs: no connection is accepted before."""
    request_class = _bounded_request_class()
    build = factory.buildProtocol

    def build_bounded(addr: Any) -> Any:
        protocol = build(addr)
        if protocol is not None:
            protocol.requestFactory = request_class
        return protocol

    factory.buildProtocol = build_bounded
