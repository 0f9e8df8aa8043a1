"""The bus between the conductor and the web processes' hubs: in-process in the embedded
setup, one Redis pub/sub channel per deployment otherwise (each web process subscribes
once; the conductor publishes each event once).

Liveness and reconnection are redis-py's own: the subscriber's connection pings after
`REDIS_HEALTH_CHECK_S` of silence (`health_check_interval`), TCP keepalive finds a peer
that vanished, and a lost connection is retried with backoff and resubscribed by redis-py
(`Retry`). Events published while it was down are lost to this process: its observers see
the gap in `seq` and resync.
"""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from dreams.realtime.frames import EncodedEvent

logger = logging.getLogger(__name__)

# How long a connecting observer waits for this process's subscription before its
# snapshot is read: without it the first events could be missed.
SUBSCRIBE_WAIT_S = 2.0
REDIS_HEALTH_CHECK_S = 10.0
# After redis-py's own retries give up, the subscription starts over this much later.
REDIS_RESUBSCRIBE_S = 1.0
# A dead peer is found within about idle + interval * count seconds.
_KEEPALIVE = {
    name: value
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
    if hasattr(socket, name)
}

Deliver = Callable[[EncodedEvent], Awaitable[None]]


def observer_channel() -> str:
    """The pub/sub channel of this deployment. Pub/sub ignores the logical database
    number, so the name carries the deployment's prefix (DREAMS_REDIS_PREFIX, by default
    derived from the database number in REDIS_URL)."""
    return f"{settings.DREAMS_REDIS_PREFIX}:observers"


def subscriber_client() -> Any:
    """A Redis client for the subscription. Reads never time out (the channel may be quiet
    for minutes); redis-py's health checks, TCP keepalive and retries keep it honest."""
    import redis.asyncio as redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    pool = redis.ConnectionPool.from_url(settings.REDIS_URL)
    # Set after parsing: options in the URL's query string override keyword arguments.
    pool.connection_kwargs.update(
        socket_timeout=None,
        socket_keepalive=True,
        socket_keepalive_options={getattr(socket, name): v for name, v in _KEEPALIVE.items()},
        health_check_interval=REDIS_HEALTH_CHECK_S,
        retry=Retry(ExponentialBackoff(cap=5.0, base=0.25), retries=8),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, OSError],
    )
    return redis.Redis.from_pool(pool)


class Subscription:
    """This web process's subscription to the conductor's events (with Redis only)."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._task: asyncio.Task | None = None
        self._subscribed: asyncio.Event | None = None

    def reset(self) -> None:
        """Forget a subscription of another event loop (tests run one loop per test)."""
        self._task = None
        self._subscribed = asyncio.Event()

    def ensure(self) -> None:
        if not settings.REDIS_URL or (self._task and not self._task.done()):
            return
        if self._subscribed is None:
            self._subscribed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._listen(self._subscribed), name="observer-subscription"
        )

    async def ready(self) -> None:
        """Wait (briefly) until the subscription stands."""
        if not settings.REDIS_URL:
            return
        self.ensure()
        assert self._subscribed is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SUBSCRIBE_WAIT_S):  # wait_for may swallow a cancel
                await self._subscribed.wait()

    async def _listen(self, subscribed: asyncio.Event) -> None:
        """One subscription per process, for good."""
        while True:
            client = subscriber_client()
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(observer_channel())
                    subscribed.set()
                    while True:
                        message = await pubsub.get_message(timeout=REDIS_HEALTH_CHECK_S)
                        if message is not None and message["type"] == "message":
                            await self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Lost the observers' Redis channel; subscribing again.")
            finally:
                subscribed.clear()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(REDIS_RESUBSCRIBE_S)

    async def _receive(self, payload: bytes) -> None:
        try:
            event = EncodedEvent.from_wire(payload)
        except (ValueError, TypeError):
            logger.warning("Ignored a malformed message on the observers' channel.")
            return
        await self._deliver(event)


class Bus:
    """The conductor's side: every event to every web process's hub, through Redis, or
    straight to this process's hub in the embedded setup."""

    def __init__(self, local: Deliver) -> None:
        self._local = local
        self._client: Any = None

    async def carry(self, event: EncodedEvent) -> None:
        if not settings.REDIS_URL:
            await self._local(event)
            return
        if self._client is None:
            import redis.asyncio as redis

            self._client = redis.from_url(settings.REDIS_URL)
        await self._client.publish(observer_channel(), event.to_wire())

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
