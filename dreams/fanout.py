"""Fan-out to observers: each event is encoded once, and every web process hands the same
frame to each of its local observers.

Across processes the conductor publishes one message per event on a Redis channel; each
web process subscribes once and delivers locally. Without Redis (the embedded setup) the
conductor and the observers share one process and the hub is called directly. Sending
to a socket does not wait for the client, so a slow observer cannot hold the others back;
an observer whose own queue of undelivered frames overflows is dropped (it reconnects and
resyncs from `seq`).
"""

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

REDIS_CHANNEL = "dreams:observers"
OBSERVER_QUEUE_LIMIT = 64


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


class Observer(Protocol):
    wants_sdf: bool

    async def send_frame(self, frame: str) -> None: ...

    async def close_slow(self) -> None: ...


class _Delivery:
    """An observer's frames in order, sent without waiting on any other observer."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.backlog: deque[str] = deque()
        self.sending = False

    async def deliver(self, frame: str) -> bool:
        if self.sending:
            if len(self.backlog) >= OBSERVER_QUEUE_LIMIT:
                return False
            self.backlog.append(frame)
            return True
        self.sending = True
        try:
            await self.observer.send_frame(frame)
            while self.backlog:
                await self.observer.send_frame(self.backlog.popleft())
        finally:
            self.sending = False
        return True


class ObserverHub:
    """The observers connected to this process."""

    def __init__(self) -> None:
        self._deliveries: dict[Observer, _Delivery] = {}
        self.last_seq = 0
        self._subscription: asyncio.Task | None = None

    def __len__(self) -> int:
        return len(self._deliveries)

    def add(self, observer: Observer) -> None:
        self._deliveries[observer] = _Delivery(observer)
        self._ensure_subscribed()

    def discard(self, observer: Observer) -> None:
        self._deliveries.pop(observer, None)

    async def dispatch(self, event: EncodedEvent) -> None:
        self.last_seq = max(self.last_seq, event.seq)
        slow: list[Observer] = []
        for observer, delivery in list(self._deliveries.items()):
            frame = event.with_sdf if (observer.wants_sdf and event.with_sdf) else event.frame
            try:
                if not await delivery.deliver(frame):
                    slow.append(observer)
            except Exception:  # a closed socket: forget it, the others go on
                self.discard(observer)
        for observer in slow:
            self.discard(observer)
            await observer.close_slow()

    def _ensure_subscribed(self) -> None:
        if not settings.REDIS_URL or (self._subscription and not self._subscription.done()):
            return
        self._subscription = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        import redis.asyncio as redis

        while True:
            client = redis.from_url(settings.REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            await self.dispatch(EncodedEvent.from_wire(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Lost the observer channel; reconnecting.")
                await asyncio.sleep(1)
            finally:
                await client.aclose()


hub = ObserverHub()


class FanOut:
    """The conductor's side: deliver to observers everywhere, through Redis to every web
    process, or directly to this process's observers in the embedded setup."""

    def __init__(self) -> None:
        self._client = None

    async def publish(self, event: EncodedEvent) -> None:
        if not settings.REDIS_URL:
            await hub.dispatch(event)
            return
        if self._client is None:
            import redis.asyncio as redis

            self._client = redis.from_url(settings.REDIS_URL)
        await self._client.publish(REDIS_CHANNEL, event.to_wire())

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
