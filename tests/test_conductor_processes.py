"""Conductors in real processes, started the way operators start them (docs/scaling.md).

The embedded setup (`manage.py serve`) keeps every acknowledged percept across `kill -9`.
The scaled setup (two web processes and two `run_conductor` processes over channels-redis
and PostgreSQL) has exactly one leading conductor, and when it is killed the standby leads
within 5 s with the sessions and acknowledged percepts intact.

Each child runs in a process group of its own and is stopped when its test ends; the
children share nothing with the Django test database (a scratch SQLite file, or a
throwaway PostgreSQL database), so concurrent runs of the suite do not collide.
"""

import asyncio
import contextlib
import itertools
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from dreams.conductor.conductor import SEQ_JUMP_ON_TAKEOVER
from dreams.models import ConductorLease, Percept, Session
from tests.children import (
    Children,
    child_env,
    free_port,
    manage,
    postgres_url,
    throwaway_postgres,
)
from tests.live import Socket, eventually, named, serving, state, websocket
from tests.redis_lock import redis_turn

pytestmark = pytest.mark.slow

TAKEOVER_LIMIT_S = 5.0
BEYOND_BLOCKING_POP_S = 6.0
# Long enough that no cognitive cycle runs while a test still needs the percepts pending.
NO_CYCLE_MS = "60000"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"

PERCEPTS = (
    {"kind": "visual", "description": "a red kite over the harbour", "valence": 0.4},
    {"kind": "audio", "transcript": "gulls, and a bell somewhere"},
    {"kind": "visual", "description": "rain starting on the window", "arousal": -0.2},
)

LEADING = "is now the leader"
STANDING_BY = "waiting for the leader lease"


async def send_percepts(perceptor: Socket) -> list[int]:
    """Send every percept; the ids the server acknowledged (only once it stored them)."""
    ids = []
    for percept in PERCEPTS:
        reply = await perceptor.send("percept", dict(percept))
        assert reply["event"] == "perceptAccepted", reply
        ids.append(reply["data"]["perceptId"])
    return ids


# -- reading the children's database ------------------------------------------------------

PERCEPTS_SQL = f"SELECT id, moment_id FROM {Percept._meta.db_table} WHERE id IN ({{}})"
SESSION_SQL = f"SELECT ended_at, end_reason FROM {Session._meta.db_table} WHERE id = {{}}"


class Lease(NamedTuple):
    holder: str
    seq: int
    state: str


LEASE_SQL = f"SELECT holder, seq, state FROM {ConductorLease._meta.db_table}"


def sqlite_rows(path: Path, sql: str, params: Sequence[object]) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql.format(", ".join("?" * len(params))), params).fetchall()
    finally:
        connection.close()


def postgres_rows(url: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as connection:
        placeholders = ", ".join(["%s"] * len(params))
        return connection.execute(sql.format(placeholders), params).fetchall()


# -- the embedded setup -----------------------------------------------------------------


async def test_acknowledged_percepts_survive_kill_9_of_the_embedded_server(
    children: Children, tmp_path: Path
) -> None:
    database = tmp_path / "dreams.sqlite3"
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{database}", COGNITIVE_CYCLE_MS=NO_CYCLE_MS)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    port = free_port()
    server = children.start("serve", env, "serve", "--port", str(port))
    await serving(server, port)

    async with websocket(port, "/ws/session/") as perceptor:
        started = await perceptor.send("startSession", {"client": "camera"})
        session_id = started["data"]["sessionId"]
        acknowledged = await send_percepts(perceptor)
        server.kill()

    # Stored before they were acknowledged, and no cycle took them.
    rows = sqlite_rows(database, PERCEPTS_SQL, acknowledged)
    assert dict(rows) == dict.fromkeys(acknowledged)
    session_uuid = session_id.replace("-", "")  # how Django stores a UUID on SQLite
    assert sqlite_rows(database, SESSION_SQL, [session_uuid]) == [(None, "")]

    env["COGNITIVE_CYCLE_MS"] = "500"
    port = free_port()
    restarted = children.start("serve-again", env, "serve", "--port", str(port))
    await serving(restarted, port)
    # Its socket died with the old process, so the restarted server closes it.
    await eventually(
        lambda: sqlite_rows(database, SESSION_SQL, [session_uuid])[0][1] == "server_restart",
        "the dead server's session closed",
        watch=[restarted],
    )

    async with (
        websocket(port, "/ws/observe/") as observer,
        websocket(port, "/ws/session/") as perceptor,
    ):
        await observer.next(named("snapshot"), "snapshot")
        await perceptor.send("startSession", {"client": "camera, after the crash"})
        moment = await observer.next(named("mindMoment"), "a live mind moment")
        completed = await observer.next(named("cycleCompleted"), "the cycle's end")

    assert moment["data"]["kind"] == "live"
    assert moment["data"]["isDream"] is False
    assert completed["data"]["momentId"] == moment["data"]["momentId"]
    assert completed["data"]["perceptCount"] == len(acknowledged)
    rows = sqlite_rows(database, PERCEPTS_SQL, acknowledged)
    assert dict(rows) == dict.fromkeys(acknowledged, moment["data"]["momentId"])


# -- the scaled setup -------------------------------------------------------------------


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def unreachable_services() -> list[str]:
    problems = []
    try:
        psycopg.connect(postgres_url(), connect_timeout=3).close()
    except psycopg.Error:
        location = urlsplit(postgres_url())
        problems.append(f"PostgreSQL is not reachable at {location.hostname}:{location.port}")
    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=3).ping()
    except redis.RedisError:
        location = urlsplit(redis_url())
        problems.append(f"Redis is not reachable at {location.hostname}:{location.port}")
    return problems


@contextlib.contextmanager
def redis_to_ourselves() -> Iterator[str]:
    """A Redis URL for this run: a logical database of its own keeps the channel layer
    apart, and with it the observers' pub/sub channel (named after the database). Runs
    still take turns, so that the takeover is timed on an otherwise quiet machine."""
    with redis_turn(redis_url()):
        database = random.randint(1, 15)  # a default Redis has databases 0-15
        yield urlsplit(redis_url())._replace(path=f"/{database}").geturl()


@contextlib.contextmanager
def scaled_services(children: Children) -> Iterator[tuple[str, str]]:
    """A PostgreSQL database and a Redis URL for this run; the children are stopped
    before their database is dropped."""
    with throwaway_postgres() as database_url, redis_to_ourselves() as redis_db_url:
        try:
            yield database_url, redis_db_url
        finally:
            children.stop_all()


def assert_one_takeover_gap(seqs: list[int], *, first_after: int) -> None:
    """Every broadcast follows the one before it, except once: the new leader's first,
    which jumps ahead of whatever the dead leader had recorded."""
    gaps = [(before, after) for before, after in itertools.pairwise(seqs) if after != before + 1]
    assert len(gaps) == 1, f"expected one gap, at the takeover: {gaps}"
    before, after = gaps[0]
    assert after == first_after > before, (before, after, first_after)


@pytest.mark.postgres
async def test_a_standby_conductor_takes_over_within_5_s(
    children: Children, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    if problems := unreachable_services():
        message = "; ".join(problems)
        if os.environ.get("DREAMS_REQUIRE_SERVICES"):
            pytest.fail(f"{message}, and DREAMS_REQUIRE_SERVICES requires it")
        pytest.skip(message)

    with scaled_services(children) as (database_url, redis_db_url):

        def lease() -> Lease:
            rows = postgres_rows(database_url, LEASE_SQL)
            return Lease(*rows[0]) if rows else Lease("", 0, "")

        env = child_env(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_db_url)
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "seed_moments", "--count", "3")  # something to dream of
        port_a, port_b = free_port(), free_port()
        web_a = children.start("web-a", env, "serve", "--no-conductor", "--port", str(port_a))
        web_b = children.start("web-b", env, "serve", "--no-conductor", "--port", str(port_b))
        # The first leader never reaches a cognitive cycle, so the percepts are certainly
        # pending when it dies; the standby cycles every second once it leads.
        first = children.start(
            "conductor-1", {**env, "COGNITIVE_CYCLE_MS": NO_CYCLE_MS}, "run_conductor"
        )

        def first_leads_and_dreams() -> bool:
            """What observers are told on connect."""
            current = lease()
            return current.holder == first.holder and current.state == "DREAMING"

        await eventually(first_leads_and_dreams, "conductor-1 leading", watch=[first])
        second = children.start(
            "conductor-2", {**env, "COGNITIVE_CYCLE_MS": "1000"}, "run_conductor"
        )
        await serving(web_a, port_a)
        await serving(web_b, port_b)

        async with (
            websocket(port_a, "/ws/observe/") as on_a,
            websocket(port_b, "/ws/observe/") as on_b,
            websocket(port_b, "/ws/session/") as perceptor,
        ):
            for observer in (on_a, on_b):
                snapshot = await observer.next(named("snapshot"), "snapshot")
                assert snapshot["data"]["conducting"] is True
                assert snapshot["data"]["state"] == "DREAMING"
            # A web process subscribes to the conductor's events when its first observer
            # connects; from the first broadcast it hands on, it hands on every one.
            subscribed = max(
                [
                    (await on_a.next(lambda frame: frame["seq"] > 0, "a broadcast"))["seq"],
                    (await on_b.next(lambda frame: frame["seq"] > 0, "a broadcast"))["seq"],
                ]
            )
            dream = await on_a.next(
                lambda frame: frame["event"] == "sigil" and frame["seq"] > subscribed, "a dream"
            )
            assert dream["data"]["isDream"] is True
            same = await on_b.next(lambda frame: frame["seq"] >= dream["seq"], "the same dream")
            assert same == dream

            started = await perceptor.send("startSession", {"client": "camera on web B"})
            acknowledged = await send_percepts(perceptor)
            for observer in (on_a, on_b):
                await observer.next(state("AGGREGATING"), "the conductor waking up")
                for _ in acknowledged:
                    await observer.next(named("perceptReceived"), "a percept heard")

            await eventually(lambda: STANDING_BY in second.log(), "conductor-2 standing by")
            assert lease().holder == first.holder
            assert LEADING not in second.log()
            killed_at = time.monotonic()
            first.kill()
            recorded_seq = lease().seq  # as the dead leader last wrote it
            await eventually(
                lambda: lease().holder == second.holder,
                "conductor-2 leading",
                timeout=TAKEOVER_LIMIT_S * 2,
                watch=[second],
                every=0.02,
            )
            led_at = time.monotonic()
            takeover_s = led_at - killed_at
            record_property("takeover_s", round(takeover_s, 2))
            assert takeover_s <= TAKEOVER_LIMIT_S

            # Sessions and acknowledged percepts live in the database, not in the leader.
            session_id = started["data"]["sessionId"]
            assert postgres_rows(database_url, SESSION_SQL, [session_id]) == [(None, "")]
            rows = postgres_rows(database_url, PERCEPTS_SQL, acknowledged)
            assert sorted(percept_id for percept_id, _ in rows) == sorted(acknowledged)

            # Observers on both web processes hear the new leader, and its first cycle
            # turns the percepts the dead leader acknowledged into a live moment.
            moment = await on_a.next(named("mindMoment"), "a live mind moment")
            assert moment["data"]["kind"] == "live"
            assert moment["data"]["isDream"] is False
            assert await on_b.next(named("mindMoment"), "the same moment") == moment
            completed = await on_a.next(named("cycleCompleted"), "the cycle's end")
            assert completed["data"]["momentId"] == moment["data"]["momentId"]
            assert completed["data"]["perceptCount"] == len(acknowledged)
            await on_b.next(lambda frame: frame["seq"] >= completed["seq"], "the cycle's end")

            # channels-redis waits on Redis in blocking pops of 5 s; a Redis client that
            # gives up reading sooner (redis-py 8 does by default) ends every idle session
            # socket and the conductor's inbox. Idle for longer, they still work.
            await asyncio.sleep(max(0.0, led_at + BEYOND_BLOCKING_POP_S - time.monotonic()))
            late = await perceptor.send("percept", {"kind": "audio", "transcript": "still here"})
            assert late["event"] == "perceptAccepted", late
            for observer in (on_a, on_b):
                await observer.next(named("perceptReceived"), "a percept after a quiet while")

        rows = postgres_rows(database_url, PERCEPTS_SQL, acknowledged)
        assert dict(rows) == dict.fromkeys(acknowledged, moment["data"]["momentId"])
        first_after = recorded_seq + SEQ_JUMP_ON_TAKEOVER + 1
        for observer in (on_a, on_b):
            seqs = observer.broadcast_seqs()
            assert_one_takeover_gap(seqs[seqs.index(subscribed) :], first_after=first_after)
        assert on_a.broadcast_seqs()[-1] == on_b.broadcast_seqs()[-1]


async def test_sessions_hear_that_the_server_shuts_down(children: Children, tmp_path: Path) -> None:
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'dreams.sqlite3'}")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    port = free_port()
    server = children.start("serve", env, "serve", "--port", str(port))
    await serving(server, port)

    async with websocket(port, "/ws/session/") as perceptor:
        started = await perceptor.send("startSession", {"client": "camera"})
        os.killpg(server.process.pid, signal.SIGTERM)
        ended = await perceptor.next(named("sessionEnded"), "the end of the session")
        assert ended["data"] == {
            "sessionId": started["data"]["sessionId"],
            "reason": "server_shutdown",
        }
    server.process.wait(timeout=10)
    session_uuid = started["data"]["sessionId"].replace("-", "")
    rows = sqlite_rows(tmp_path / "dreams.sqlite3", SESSION_SQL, [session_uuid])
    assert rows[0][1] == "server_shutdown"
