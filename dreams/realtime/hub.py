"""The observers connected to this web process, and how each event reaches them.

- Each event arrives encoded once (`EncodedEvent`, from the bus). The hub builds its frame
  bytes once per variant (with or without the inline distance field) and writes them to
  each observer's daphne port (`daphne_port`) without waking a task per observer. An
  observer without a port (tests' communicators, another server, a fallback) gets the
  same frames, in the same order and under the same limits, through its consumer's ASGI
  `send`.
- Ports are written by a sweep: one task that goes over the observers behind the latest
  event, writing each everything it has not had yet as one write, and lets the loop run
  every `SWEEP_SLICE` observers. A write costs about the same for one frame as for three
  (the system call, not the bytes), and at 10,000 observers a sweep takes around 100 ms:
  events that arrive meanwhile (a cycle's display phase, its sigil and its moment come
  milliseconds apart) reach the observers not yet visited in the same write, and the
  rest in the next sweep, instead of each event waiting for the whole fan-out of the one
  before it.
- Writing never waits for a client. A client that reads too slowly piles up unsent bytes
  in its own connection; past `DREAMS_OBSERVER_BACKLOG_BYTES` (or `OBSERVER_QUEUE_LIMIT`
  frames on the ASGI path) the hub closes it with 4408, and it reconnects and resyncs from
  `seq`. The others are not held back.
- Other protocols' observers (the source system's socket.io clients,
  `dreams.realtime.socketio_port`) get each event from the same dispatch, through the
  delivery they registered (`also_to`).
- An observer joins after its snapshot is read, atomically with a replay of the recent
  events the snapshot does not cover, so nothing is missed or sent twice between the
  snapshot and the live stream (`ObserverHub.go_live`).

Thread-safety: daphne runs Twisted's asyncio reactor on the same event loop as the ASGI
application, so the hub, the consumers and the ports all live on one thread. The hub
remembers that loop and hands dispatches from any other loop over to it.
"""

import asyncio
import contextlib
import logging
import resource
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from django.conf import settings

from dreams.realtime import daphne_port
from dreams.realtime.bus import Subscription
from dreams.realtime.daphne_port import Port
from dreams.realtime.frames import EncodedEvent

logger = logging.getLogger(__name__)

# Frames kept for an observer on the ASGI path (no port to ask for its backlog).
OBSERVER_QUEUE_LIMIT = 64
# Observers a sweep writes between two turns of the loop (about 2-3 ms of writes): often
# enough for the next event to join the sweep, seldom enough to cost nothing.
SWEEP_SLICE = 256
# Recent events replayed to an observer whose snapshot is older than the live stream; a
# connect that takes longer than this many events sees a gap in `seq` and resyncs.
RECENT_EVENTS = 128
# How long a slow observer has to read its backlog and the 4408 close frame before the
# server drops the TCP connection (autobahn's default close handshake timeout is 1 s).
SLOW_CLOSE_GRACE_S = 5.0
CLOSE_TOO_SLOW = 4408


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


class Observer(Protocol):
    """What the hub needs of an observer's consumer."""

    wants_sdf: bool

    async def send_frame(self, frame: str) -> None: ...

    async def close_slow(self) -> None: ...


class _Link:
    """One observer in the hub: its port when daphne serves it (and the position of the
    last event written to it), else a queue of frames drained through the consumer's
    `send`."""

    __slots__ = ("draining", "live", "observer", "port", "queue", "wants_sdf", "written")

    def __init__(self, observer: Observer, port: Port | None, written: int) -> None:
        self.observer = observer
        self.port = port
        self.wants_sdf = bool(observer.wants_sdf)
        self.written = written
        self.live = True
        self.queue: deque[str] = deque()
        self.draining: asyncio.Task | None = None


class _Frames:
    """The frame bytes of one event, built once per variant, and only when needed, and the
    event's position among those this hub dispatched."""

    __slots__ = ("event", "plain", "position", "sdf")

    def __init__(self, event: EncodedEvent, position: int) -> None:
        self.event = event
        self.position = position
        self.plain = daphne_port.prepare(event.frame)
        self.sdf: bytes | None = None if event.with_sdf is not None else self.plain

    def for_sdf(self) -> bytes:
        if self.sdf is None:
            self.sdf = daphne_port.prepare(self.event.with_sdf or self.event.frame)
        return self.sdf

    def variant(self, wants_sdf: bool) -> bytes:
        return self.for_sdf() if wants_sdf else self.plain


class ObserverHub:
    def __init__(self) -> None:
        self._links: dict[Observer, _Link] = {}
        self._queued: dict[Observer, _Link] = {}  # the links without a port
        self.last_seq = 0
        # The recent events, in the order dispatched, at consecutive positions.
        self._recent: deque[_Frames] = deque(maxlen=RECENT_EVENTS)
        self._position = 0  # of the last event dispatched
        self._sweeping: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscription = Subscription(self.dispatch)
        self.slow_closed = 0
        self._also: list[Callable[[EncodedEvent], Awaitable[None]]] = []

    def __len__(self) -> int:
        return len(self._links)

    def __contains__(self, observer: object) -> bool:
        return observer in self._links

    def on_fast_path(self, observer: Observer) -> bool:
        """Whether this observer is written to through its daphne port."""
        link = self._links.get(observer)
        return link is not None and link.port is not None

    def also_to(self, deliver: Callable[[EncodedEvent], Awaitable[None]]) -> None:
        """Hand every event to `deliver` too (another protocol's port; registered once per
        process)."""
        if deliver not in self._also:
            self._also.append(deliver)

    # -- joining and leaving --------------------------------------------------------------

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the observers' connections live on. Under daphne there is one for the
        life of the process; a test suite runs one per test, and starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.loop = loop
            self._links.clear()
            self._queued.clear()
            self._recent.clear()
            self._position = self.last_seq = 0
            self._sweeping = None
            self.subscription.reset()
        return loop

    async def ready(self) -> None:
        """Wait (briefly) until this process hears the conductor: with Redis, until its
        subscription stands. Called before an observer's snapshot is read."""
        self._bind_loop()
        await self.subscription.ready()

    def go_live(self, observer: Observer, *, after_seq: int, port: Port | None = None) -> None:
        """Add an observer whose snapshot carried `after_seq`: first the recent events it
        does not have, then, with no await in between, every event dispatched from now on.
        An event at or below `after_seq` is never sent (the snapshot covers it).
        `port` is its daphne port (`daphne_port.connection_for`), None for the ASGI path."""
        self._bind_loop()
        link = _Link(observer, port, self._position)
        self._links[observer] = link
        missed = [frames for frames in self._recent if frames.event.seq > after_seq]
        if port is None:
            self._queued[observer] = link
            for frames in missed:
                self._enqueue(link, frames.event.text_for(link.wants_sdf))
        elif missed:
            self._write(link, b"".join(frames.variant(link.wants_sdf) for frames in missed))
        self.subscription.ensure()

    def discard(self, observer: Observer) -> None:
        link = self._links.pop(observer, None)
        self._queued.pop(observer, None)
        if link is not None:
            link.live = False
            if link.draining is not None:
                link.draining.cancel()

    # -- delivering -----------------------------------------------------------------------

    async def dispatch(self, event: EncodedEvent) -> None:
        loop, home = asyncio.get_running_loop(), self.loop
        if home is not None and loop is not home and home.is_running():
            # Another thread's loop (a conductor outside daphne's): the connections belong
            # to the reactor's loop, so the writes happen there.
            future = asyncio.run_coroutine_threadsafe(self.dispatch(event), home)
            await asyncio.wrap_future(future)
            return
        loop = self._bind_loop()
        self.last_seq = max(self.last_seq, event.seq)
        self._position += 1
        self._recent.append(_Frames(event, self._position))
        for link in tuple(self._queued.values()):
            self._enqueue(link, event.text_for(link.wants_sdf))
        if self._sweeping is None and len(self._links) > len(self._queued):
            self._sweeping = loop.create_task(self._sweep(), name="observer-sweep")
        for deliver in self._also:
            try:
                await deliver(event)
            except Exception:  # another protocol's trouble must not stop the native stream
                logger.exception("Could not hand %s to another protocol's observers.", event.event)

    async def delivered(self) -> None:
        """Wait until every event dispatched so far is written to every port (or its
        observer dropped)."""
        while (sweeping := self._sweeping) is not None:
            await asyncio.shield(sweeping)

    async def _sweep(self) -> None:
        """Write every port everything it has not had yet, until none is behind."""
        try:
            while behind := [link for link in self._links.values() if self._is_behind(link)]:
                joined: dict[tuple[int, int, bool], bytes] = {}
                for count, link in enumerate(behind, 1):
                    if self._is_behind(link):
                        self._catch_up(link, joined)
                    if count % SWEEP_SLICE == 0:
                        await asyncio.sleep(0)
        except Exception:  # a bug here must not end delivery for good: the next event retries
            logger.exception("Writing events to observers failed.")
        finally:
            if self._sweeping is asyncio.current_task():
                self._sweeping = None

    def _is_behind(self, link: _Link) -> bool:
        return link.live and link.port is not None and link.written < self._position

    def _catch_up(self, link: _Link, joined: dict[tuple[int, int, bool], bytes]) -> None:
        """One write of the events after `link.written`, joined once per variant and span
        for every observer at the same place."""
        first = self._recent[0].position
        if link.written + 1 < first:  # it missed events no longer kept: it must resync
            self._close_slow(link)
            return
        key = (link.written, self._position, link.wants_sdf)
        data = joined.get(key)
        if data is None:
            start = link.written + 1 - first
            frames = (self._recent[index] for index in range(start, len(self._recent)))
            data = joined[key] = b"".join(each.variant(link.wants_sdf) for each in frames)
        self._write(link, data)

    def _write(self, link: _Link, data: bytes) -> None:
        """Write a port's frames, unless its observer has gone or fallen too far behind."""
        port = link.port
        assert port is not None
        link.written = self._position
        if not port.is_open:
            self.discard(link.observer)  # closing: daphne tells the consumer
            return
        if port.backlog_bytes() > settings.DREAMS_OBSERVER_BACKLOG_BYTES:
            self._close_slow(link)
            return
        try:
            port.write_prepared(data)
        except OSError:  # a connection that broke mid-write: forget it, the others go on
            logger.debug("Could not write to an observer; dropping it.", exc_info=True)
            self.discard(link.observer)
        except Exception:  # the port itself is broken: loud, and the others go on
            logger.exception("Writing to an observer's daphne port failed; dropping it.")
            self.discard(link.observer)

    def _close_slow(self, link: _Link) -> None:
        """Close with 4408 behind the frames already queued: a client that catches up reads
        them and the close; one that does not is dropped after the grace period."""
        self.discard(link.observer)
        self.slow_closed += 1
        logger.info("An observer fell too far behind; closing it (%d).", CLOSE_TOO_SLOW)
        if link.port is not None:
            with contextlib.suppress(OSError):
                link.port.close(CLOSE_TOO_SLOW, "too slow", grace_s=SLOW_CLOSE_GRACE_S)
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


hub = ObserverHub()
