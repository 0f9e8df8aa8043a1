"""The source system's socket.io clients connect unmodified (dreams.realtime.socketio_port):
python-socketio's client and Node's socket.io-client against real servers, on both of
socket.io's transports, in one web process and in two over Redis."""

import asyncio
import contextlib
import json
import os
import random
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import socketio
from django.conf import settings

from dreams.realtime import daphne_port, socketio_port
from dreams.realtime.events import EVENTS
from tests.children import Child, Children, child_env, free_port, manage
from tests.live import EVENT_TIMEOUT_S, eventually, serving
from tests.redis_lock import redis_turn, redis_url, require_redis
from tests.settings import SESSION_TOKEN

DREAM_CYCLE_MS = 1000
# "Within two dream cycles" of connecting, with a little room for a busy machine.
TWO_DREAM_CYCLES_S = 2 * DREAM_CYCLE_MS / 1000 + 0.5
NODE_CLIENTS = Path(settings.BASE_DIR) / "tests" / "node"
FOREIGN_ORIGIN = "http://evil.example"


# -- servers and clients ----------------------------------------------------------------


class Server:
    def __init__(self, port: int, database: Path, child: Child) -> None:
        self.port = port
        self.child = child
        self.url = f"http://127.0.0.1:{port}"
        self.database = database

    def rows(self, sql: str) -> list[tuple]:
        """Rows of the server's own database (read-only)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
            return db.execute(sql).fetchall()


async def serve(children: Children, tmp_path: Path, **env_vars: str) -> Server:
    """`manage.py serve` (real daphne, the conductor inside) with three seeded moments, once
    its conductor dreams."""
    database = tmp_path / "serve.sqlite3"
    env = child_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{database}",
        DREAM_CYCLE_MS=str(DREAM_CYCLE_MS),
        COGNITIVE_CYCLE_MS="1000",
        **env_vars,
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_moments", "--count", "3")
    port = free_port()
    child = children.start("serve", env, "serve", "--port", str(port))
    await serving(child, port)
    server = Server(port, database, child)
    await dreaming(server, child)
    return server


async def dreaming(server: Server, conductor: Child) -> None:
    def recorded_dreaming() -> bool:
        return server.rows("SELECT state FROM dreams_conductorlease") == [("DREAMING",)]

    await eventually(recorded_dreaming, "the conductor dreaming", watch=[conductor])


class Client:
    """python-socketio's client, keeping every event it received."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._seen = 0
        self._arrived = asyncio.Condition()
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        async with self._arrived:
            self.events.append((event, data))
            self._arrived.notify_all()

    async def next(
        self,
        event: str,
        wanted: Callable[[dict], bool] = lambda data: True,
        *,
        timeout: float = EVENT_TIMEOUT_S,
    ) -> dict:
        """The next `event` whose payload is `wanted` (the others are kept, not returned)."""

        def found() -> dict | None:
            for index in range(self._seen, len(self.events)):
                name, data = self.events[index]
                if name == event and wanted(data):
                    self._seen = index + 1
                    return data
            return None

        try:
            async with asyncio.timeout(timeout), self._arrived:
                while (data := found()) is None:
                    await self._arrived.wait()
                return data
        except TimeoutError:
            seen = [name for name, _ in self.events[-10:]]
            raise AssertionError(f"no {event} within {timeout} s; last: {seen}") from None

    def received(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]


@contextlib.asynccontextmanager
async def connected(
    server: Server,
    transport: str = "websocket",
    *,
    token: str | None = None,
    origin: str | None = None,
) -> AsyncIterator[Client]:
    """A client as a browser on the site opens it (its own Origin), or as a device does
    (`origin=""`: no Origin at all); a perceptor presents the token in socket.io's auth."""
    client = Client()
    origin = server.url if origin is None else origin
    await client.sio.connect(
        server.url,
        transports=[transport],
        headers={"Origin": origin} if origin else {},
        auth={"token": token} if token is not None else None,
        wait_timeout=10,
    )
    try:
        yield client
    finally:
        if client.sio.transport() == "polling":
            # python-engineio's client waits for its pending long-poll to end (up to half a
            # minute) on a clean disconnect; browsers abort it, and so does this.
            await client.sio.eio.disconnect(abort=True)
        else:
            await client.sio.disconnect()


def is_model_payload(event: str, data: dict) -> bool:
    """The payload is the native event's data (a superset of the source system's)."""
    EVENTS[event].model_validate(data)
    return True


# -- displays ---------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_a_display_hears_the_state_and_a_dream_sigil_within_two_dream_cycles(
    children: Children, tmp_path: Path, transport: str
):
    server = await serve(children, tmp_path)
    async with connected(server, transport) as display:
        connected_at = time.monotonic()
        state = await display.next("cognitiveState")  # told on connect
        assert state == {"state": "DREAMING"}
        sigil = await display.next(
            "sigil", lambda data: data["isDream"] is True, timeout=TWO_DREAM_CYCLES_S
        )
        assert time.monotonic() - connected_at < TWO_DREAM_CYCLES_S
        assert display.sio.transport() == transport
    # The seed's fields (cycle, sigilCode, sigilPhrase, isDream, timestamp) and ours.
    assert is_model_payload("sigil", sigil)
    assert sigil["sigilCode"].startswith("ctx.")
    assert "sdf" not in sigil  # only for clients that ask (?sdf=1), as on /ws/observe/


@pytest.mark.parametrize("transport", ["websocket", "upgrade"])
async def test_under_daphne_websocket_displays_are_written_to_on_the_fast_path(
    children: Children, tmp_path: Path, transport: str
):
    """Fails when broadcasts to socket.io's WebSocket clients stop going straight to
    daphne's connections (python-socketio's own path delivers the same events, slower)."""
    server = await serve(children, tmp_path)
    display = Client()
    transports = ["websocket"] if transport == "websocket" else ["polling", "websocket"]
    await display.sio.connect(server.url, transports=transports, headers={"Origin": server.url})
    try:
        await display.next("sigil", lambda data: data["isDream"] is True)
        await eventually(lambda: display.sio.transport() == "websocket", "the upgrade")
        await display.next("sigil", lambda data: data["isDream"] is True)
        await display.next("phase")
    finally:
        await display.sio.disconnect()
    log = server.child.log()
    assert socketio_port.FAST_PATH_COPY in log, log
    assert daphne_port.FALLBACK_COPY not in log, log


async def test_the_designs_display_snippet_runs_unmodified_on_node(
    children: Children, tmp_path: Path
):
    node = shutil.which("node")
    installed = (NODE_CLIENTS / "node_modules" / "socket.io-client").is_dir()
    if node is None or not installed:
        message = (
            "Node is not installed" if node is None else "tests/node has no node_modules"
        ) + ": run `make install-dev` with Node present to install socket.io-client from npm"
        if os.environ.get("DREAMS_REQUIRE_SERVICES"):
            pytest.fail(f"{message}, and DREAMS_REQUIRE_SERVICES requires it")
        pytest.skip(message)
    server = await serve(children, tmp_path)
    display = await asyncio.create_subprocess_exec(
        node,
        str(NODE_CLIENTS / "design_display.mjs"),
        env={"PATH": os.environ["PATH"], "DREAMS_URL": server.url},
        stdout=asyncio.subprocess.PIPE,
    )
    assert display.stdout is not None
    calls: list[dict] = []
    try:
        async with asyncio.timeout(TWO_DREAM_CYCLES_S + 2):  # and Node's start
            while not any(call["what"] == "renderSigil" for call in calls):
                calls.append(json.loads(await display.stdout.readline()))
    except TimeoutError:
        raise AssertionError(f"the design's handlers were not called in time: {calls}") from None
    finally:
        display.terminate()
        await display.wait()
    said = [call["what"] for call in calls]
    assert "connect_error" not in said
    assert said.index("showDreamModeIndicator") < said.index("renderSigil")
    dreaming = next(call["text"] for call in calls if call["what"] == "console.log")
    assert dreaming.startswith("💭 UNI is dreaming... (cycle ")
    assert next(call for call in calls if call["what"] == "renderSigil")["sigilCode"]


# -- perceptors -------------------------------------------------------------------------


async def test_a_perceptor_in_the_source_shape_is_heard_and_a_live_mind_moment_follows(
    children: Children, tmp_path: Path
):
    server = await serve(children, tmp_path)
    async with (
        connected(server, "polling") as display,
        connected(server, "websocket", token=SESSION_TOKEN, origin="") as perceptor,
    ):
        await perceptor.sio.emit("startSession", {"sessionId": "perceptor-1733000000000"})
        started = await perceptor.next("sessionStarted")
        assert started["sessionId"] == "perceptor-1733000000000"
        sessions = await display.next("sessionsUpdate", lambda data: data["count"] == 1)
        assert sessions["sessions"] == [{"id": "perceptor-1733000000000", "status": "active"}]

        visual = await perceptor.sio.call(
            "percept",
            {
                "sessionId": "perceptor-1733000000000",
                "type": "visual",
                "data": {"emoji": "👋", "action": "Waving at the camera", "sigilPhrase": "hello"},
                "timestamp": "2026-12-05T10:30:00.000Z",
            },
        )
        audio = await perceptor.sio.call(
            "percept",
            {
                "sessionId": "perceptor-1733000000000",
                "type": "audio",
                "data": {
                    "transcript": "Wow, this is amazing!",
                    "analysis": "A visitor in wonder",
                    "tone": "Enthusiastic",
                    "sentiment": "positive",
                    "confidence": 0.9,
                    "valence": 0.8,
                    "arousal": 0.6,
                },
            },
        )
        # Acknowledged once stored: the acknowledgement names the stored row.
        stored = dict(server.rows("SELECT id, kind FROM dreams_percept"))
        assert stored == {visual["perceptId"]: "visual", audio["perceptId"]: "audio"}

        heard = await display.next("perceptReceived", lambda data: data["type"] == "visual")
        assert heard["data"] == {"description": "Waving at the camera"}
        heard = await display.next("perceptReceived", lambda data: data["type"] == "audio")
        assert heard["data"] == {
            "transcript": "Wow, this is amazing!",
            "valence": 0.8,
            "arousal": 0.6,
        }

        moment = await display.next(
            "mindMoment", lambda data: data["isDream"] is False, timeout=EVENT_TIMEOUT_S
        )
        assert moment["kind"] == "live"
        assert is_model_payload("mindMoment", moment)
        completed = await display.next("cycleCompleted", lambda data: not data["skipped"])
        assert completed["momentId"] == moment["momentId"]
        assert "duration" in completed and "durationMs" not in completed

        await perceptor.sio.emit("endSession", {"sessionId": "perceptor-1733000000000"})
        ended = await perceptor.next("sessionEnded")
        assert ended == {"sessionId": "perceptor-1733000000000", "reason": "ended"}
    assert server.rows("SELECT end_reason FROM dreams_session") == [("ended",)]


async def test_a_display_asks_the_cycle_and_session_status_as_the_source_dashboard_does(
    children: Children, tmp_path: Path
):
    server = await serve(children, tmp_path)
    async with connected(server, "polling") as dashboard:
        await dashboard.sio.emit("getCycleStatus")
        await dashboard.sio.emit("getSessionStatus")
        await dashboard.sio.emit("ping", {"sessionId": "nobody"})
        status = await dashboard.next("cycleStatus")
        sessions = await dashboard.next("sessionsUpdate")
        pong = await dashboard.next("pong")
    assert status == {
        "isRunning": True,
        "intervalMs": DREAM_CYCLE_MS,
        "nextCycleAt": None,
        "msUntilNextCycle": None,
        "state": "DREAMING",
        "mode": "DREAM",
    }
    assert sessions == {"count": 0, "sessions": []}
    assert pong == {"sessionId": "nobody", "valid": False}


# (what is wrong, event, payload, the error's reason, words its message holds)
BAD_FRAMES = [
    (
        "unknown field",
        "percept",
        {"sessionId": "p-1", "type": "visual", "data": {"description": "a", "colour": "red"}},
        "invalid_frame",
        "data: unknown field",
    ),
    (
        "wrong type",
        "percept",
        {"sessionId": "p-1", "type": "visual", "data": {"description": 5}},
        "invalid_frame",
        "description: must be text",
    ),
    (
        "no text",
        "percept",
        {"sessionId": "p-1", "type": "audio", "data": {"tone": "calm"}},
        "invalid_frame",
        "transcript or analysis: required",
    ),
    (
        "unknown kind",
        "percept",
        {"sessionId": "p-1", "type": "smell", "data": {"description": "smoke"}},
        "invalid_frame",
        "type: must be",
    ),
    (
        "NUL",
        "percept",
        {"sessionId": "p-1", "type": "visual", "data": {"description": "a\x00b"}},
        "invalid_text",
        "data.description: contains a NUL character",
    ),
    (
        "too long",
        "percept",
        {"sessionId": "p-1", "type": "visual", "data": {"description": "x" * 2001}},
        "invalid_frame",
        "description: at most 2,000 characters",
    ),
    (
        "out of range",
        "percept",
        {"sessionId": "p-1", "type": "visual", "data": {"description": "a", "valence": 7}},
        "invalid_frame",
        "valence: a number from -1 to 1",
    ),
    (
        "another session",
        "percept",
        {"sessionId": "someone-else", "type": "visual", "data": {"description": "a"}},
        "no_session",
        "Invalid or expired session",
    ),
    (
        "too deep",
        "percept",
        {"sessionId": "p-1", "type": "visual", "data": json.loads("[" * 40 + "]" * 40)},
        "too_deep",
        "deeper than 32 levels",
    ),
    (
        "second start",
        "startSession", {"sessionId": "p-2"}, "already_started", "",
    ),
    (
        "unknown",
        "getHistory", None, "unknown_event", "clients send startSession",
    ),
]


async def test_bad_frames_get_an_error_naming_the_problem_and_change_nothing(
    children: Children, tmp_path: Path
):
    server = await serve(children, tmp_path)
    async with (
        connected(server, "websocket") as display,
        connected(server, "polling", token=SESSION_TOKEN) as sessionless,
        connected(server, "websocket", token=SESSION_TOKEN) as perceptor,
    ):
        early = await sessionless.sio.call(
            "percept", {"sessionId": "p-1", "type": "visual", "data": {"description": "a"}}
        )
        assert early["reason"] == "no_session"
        await perceptor.sio.emit("startSession", {"sessionId": "p-1"})
        await perceptor.next("sessionStarted")
        await display.next("sessionsUpdate", lambda data: data["count"] == 1)
        for problem, event, payload, reason, message in BAD_FRAMES:
            acknowledged = await perceptor.sio.call(event, payload)
            error = await perceptor.next("error")
            assert error == acknowledged, problem
            assert error["reason"] == reason, problem
            assert message in error["message"], problem
        # Still open, and nothing was stored or told to observers.
        await perceptor.sio.emit("getSessionStatus")
        assert (await perceptor.next("sessionsUpdate"))["count"] == 1
        # A frame over DREAMS_MAX_FRAME_BYTES closes its connection, as socket.io does.
        async with connected(server, "polling", token=SESSION_TOKEN) as oversized:
            await oversized.sio.emit("startSession", {"sessionId": "p-2"})
            await oversized.next("sessionStarted")
            huge = {"sessionId": "p-2", "type": "visual", "data": {"description": "x" * 70_000}}
            await oversized.sio.emit("percept", huge)
            await eventually(lambda: not oversized.sio.connected, "the connection closed")
    assert server.rows("SELECT COUNT(*) FROM dreams_percept") == [(0,)]
    assert display.received("perceptReceived") == []


async def test_without_the_session_token_a_client_only_listens(
    children: Children, tmp_path: Path
):
    server = await serve(children, tmp_path)
    async with connected(server, "websocket") as display:
        error = await display.sio.call("startSession", {"sessionId": "p-1"})
        await display.next("sigil")  # and it still hears everything
    assert error["reason"] == "unauthorized"
    assert "session token" in error["message"]
    assert server.rows("SELECT COUNT(*) FROM dreams_session") == [(0,)]

    refused = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.sio.connect(server.url, auth={"token": "not-the-token"}, wait_timeout=10)


async def test_a_perceptor_sending_too_fast_is_slowed_down(children: Children, tmp_path: Path):
    server = await serve(children, tmp_path, DREAMS_SESSION_FRAMES_PER_MINUTE="3")
    percept = {"sessionId": "p-1", "type": "visual", "data": {"description": "a"}}
    async with connected(server, "websocket", token=SESSION_TOKEN) as perceptor:
        await perceptor.sio.emit("startSession", {"sessionId": "p-1"})
        await perceptor.next("sessionStarted")
        replies = [await perceptor.sio.call("percept", percept) for _ in range(3)]
    assert "perceptId" in replies[0] and "perceptId" in replies[1]
    assert replies[2]["reason"] == "rate_limited"
    assert server.rows("SELECT COUNT(*) FROM dreams_percept") == [(2,)]


async def test_a_session_the_conductor_ends_for_silence_is_told_so(
    children: Children, tmp_path: Path
):
    server = await serve(children, tmp_path, SESSION_TIMEOUT_MS="1500")
    async with connected(server, "websocket", token=SESSION_TOKEN) as perceptor:
        await perceptor.sio.emit("startSession", {"sessionId": "quiet-one"})
        await perceptor.next("sessionStarted")
        ended = await perceptor.next("sessionEnded")
    assert ended == {"sessionId": "quiet-one", "reason": "timed_out"}


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_a_foreign_origin_is_refused(children: Children, tmp_path: Path, transport: str):
    server = await serve(children, tmp_path)
    refused = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.sio.connect(
            server.url, transports=[transport], headers={"Origin": FOREIGN_ORIGIN}, wait_timeout=5
        )
    async with httpx.AsyncClient() as http:
        handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
        foreign = await http.get(handshake, headers={"Origin": FOREIGN_ORIGIN})
        own = await http.get(handshake, headers={"Origin": server.url})
    assert foreign.status_code == 403
    assert own.status_code == 200


# -- two web processes over Redis -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.redis
async def test_two_web_processes_over_redis_serve_displays_and_perceptors_alike(
    children: Children, tmp_path: Path
):
    require_redis()
    with redis_turn():
        # A logical database of this test's own keeps its channels and keys apart.
        redis_db = urlsplit(redis_url())._replace(path=f"/{random.randint(1, 15)}").geturl()
        database = tmp_path / "scaled.sqlite3"
        env = child_env(
            tmp_path,
            DATABASE_URL=f"sqlite:///{database}",
            REDIS_URL=redis_db,
            DREAM_CYCLE_MS=str(DREAM_CYCLE_MS),
            COGNITIVE_CYCLE_MS="1000",
        )
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "seed_moments", "--count", "3")
        ports = free_port(), free_port()
        webs = [
            children.start(f"web-{name}", env, "serve", "--no-conductor", "--port", str(port))
            for name, port in zip("ab", ports, strict=True)
        ]
        conductor = children.start("conductor", env, "run_conductor")
        for web, port in zip(webs, ports, strict=True):
            await serving(web, port)
        server_a, server_b = (
            Server(port, database, web) for port, web in zip(ports, webs, strict=True)
        )
        await dreaming(server_a, conductor)

        async with (
            connected(server_a, "polling") as on_a,
            connected(server_b, "websocket") as on_b,
            connected(server_b, "websocket", token=SESSION_TOKEN) as perceptor,
        ):
            for display in (on_a, on_b):
                await display.next("cognitiveState")
                await display.next("sigil", lambda data: data["isDream"] is True)
            await perceptor.sio.emit("startSession", {"sessionId": "perceptor-b"})
            await perceptor.next("sessionStarted")
            acknowledged = await perceptor.sio.call(
                "percept",
                {"sessionId": "perceptor-b", "type": "visual", "data": {"action": "Waving"}},
            )
            assert acknowledged["perceptId"] > 0
            for display in (on_a, on_b):
                sessions = await display.next("sessionsUpdate", lambda data: data["count"] == 1)
                assert sessions["sessions"] == [{"id": "perceptor-b", "status": "active"}]
                heard = await display.next("perceptReceived")
                assert heard["data"] == {"description": "Waving"}
                moment = await display.next("mindMoment", lambda data: data["isDream"] is False)
                assert moment["kind"] == "live"
        # Each event reached each display once: the processes do not echo each other's.
        for display in (on_a, on_b):
            phases = [(data["phase"], data["startTime"]) for data in display.received("phase")]
            assert phases
            assert len(phases) == len(set(phases))
