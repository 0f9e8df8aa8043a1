"""Turns on the shared Redis server for tests that start real processes over it.

Each such test keeps its data apart (a logical database, a key prefix of its own), but
runs of the suite on one machine also share its two cores: a takeover timed to 5 s or a
fan-out delay is only meaningful while no other such test runs. They take turns.
"""

import contextlib
import os
import secrets
import time
from collections.abc import Iterator

import pytest
import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
REDIS_LOCK_KEY = "dreams:tests:redis-processes"
REDIS_LOCK_TTL_S = 120
REDIS_LOCK_WAIT_S = 90.0


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def require_redis() -> None:
    """Skip when Redis is not reachable, or fail when DREAMS_REQUIRE_SERVICES is set."""
    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=3).ping()
    except redis.RedisError:
        message = f"Redis is not reachable at {redis_url()}"
        if os.environ.get("DREAMS_REQUIRE_SERVICES"):
            pytest.fail(f"{message}, and DREAMS_REQUIRE_SERVICES requires it")
        pytest.skip(message)


@contextlib.contextmanager
def redis_turn(url: str | None = None) -> Iterator[None]:
    """Hold the lock for the duration (waiting up to REDIS_LOCK_WAIT_S for it). It
    expires by itself if the holder dies."""
    client = redis.Redis.from_url(url or redis_url())
    token = secrets.token_hex(8).encode()
    deadline = time.monotonic() + REDIS_LOCK_WAIT_S
    while not client.set(REDIS_LOCK_KEY, token, nx=True, ex=REDIS_LOCK_TTL_S):
        assert time.monotonic() < deadline, "another run held the Redis process tests' turn"
        time.sleep(0.2)
    try:
        yield
    finally:
        if client.get(REDIS_LOCK_KEY) == token:
            client.delete(REDIS_LOCK_KEY)
        client.close()
