"""The conductor and the consumers together, over real WebSocket communicators."""

import asyncio
import json
import logging
from collections.abc import Iterator
from logging.handlers import BufferingHandler

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from dreams.conductor import replay as replay_module
from dreams.conductor.conductor import Conductor
from dreams.models import MindMoment, Percept, Session
from dreams.realtime.hub import hub
from dreamsite.asgi import application
from tests.communicators import SAME_ORIGIN, frames_for, with_session_token
from tests.factories import make_moment
from tests.live import eventually

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = SAME_ORIGIN


@pytest.fixture
def fast_timing(settings):
    settings.DREAM_CYCLE_MS = 300
    settings.COGNITIVE_CYCLE_MS = 300
    settings.DREAM_START_DELAY_MS = 100
    settings.SESSION_TIMEOUT_MS = 60_000
    settings.DREAMS_SCHEDULER_TICK_S = 0  # dream runs only when a test asks
    return settings


@pytest.fixture
async def conductor(fast_timing):
    await get_channel_layer().flush()
    stop = asyncio.Event()
    running = Conductor(holder="test-conductor")
    task = asyncio.create_task(running.run(stop))
    await asyncio.wait_for(running.leading.wait(), 5)
    yield running
    stop.set()
    await asyncio.wait_for(task, 10)


async def connect(path: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, with_session_token(path), headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_event(communicator, name: str, timeout: float = 5.0) -> dict:
    """The next frame with this event name (others are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        frame = json.loads(await communicator.receive_from(timeout=max(0.01, remaining)))
        if frame["event"] == name:
            return frame


async def send(communicator, event: str, data: dict | None = None) -> dict:
    frame = {"event": event} if data is None else {"event": event, "data": data}
    await communicator.send_to(text_data=json.dumps(frame))
    return json.loads(await communicator.receive_from(timeout=5))


async def test_an_observer_gets_a_snapshot_then_a_dream_each_cycle(conductor):
    await database_sync_to_async(make_moment)(cycle=1)
    await database_sync_to_async(make_moment)(cycle=2)
    observer = await connect("/ws/observe/")
    snapshot = json.loads(await observer.receive_from())
    assert snapshot["event"] == "snapshot"
    assert snapshot["data"]["state"] == "DREAMING"
    first = await next_event(observer, "sigil", timeout=2)
    second = await next_event(observer, "sigil", timeout=2)
    for frame in (first, second):
        data = frame["data"]
        assert data["isDream"] is True
        assert data["commands"] and data["sigilCode"] and data["images"]["png"]
        assert {"cycle", "sigilPhrase", "timestamp"} <= set(data)
        assert "sdf" not in data
    assert first["data"]["momentId"] != second["data"]["momentId"]  # never twice in a row
    assert second["seq"] > first["seq"]
    await observer.disconnect()


async def test_a_display_joining_mid_cycle_hears_how_the_moment_on_show_was_chosen(conductor):
    await database_sync_to_async(make_moment)(cycle=1)
    await database_sync_to_async(make_moment)(cycle=2)
    watching = await connect("/ws/observe/")
    await next_event(watching, "sigil", timeout=2)
    await next_event(watching, "sigil", timeout=2)  # the first is recorded by now
    joining = await connect("/ws/observe/")
    snapshot = json.loads(await joining.receive_from())
    assert snapshot["data"]["lastSigil"]["isDream"] is True
    assert snapshot["data"]["lastSigil"]["replay"] == {
        "mode": "uniform",
        "label": "any moment",
        "theme": None,
        "step": None,
        "length": None,
    }
    await watching.disconnect()
    await joining.disconnect()


async def test_observers_who_ask_get_the_sdf_inline(conductor):
    await database_sync_to_async(make_moment)(cycle=1)
    observer = await connect("/ws/observe/?sdf=1")
    frame = await next_event(observer, "sigil", timeout=2)
    assert frame["data"]["sdf"]["width"] == 256
    assert len(frame["data"]["sdf"]["data"]) > 1000
    await observer.disconnect()


async def test_a_session_stops_dreaming_and_its_percepts_become_a_live_moment(conductor):
    await database_sync_to_async(make_moment)(cycle=1)
    observer = await connect("/ws/observe/")
    session = await connect("/ws/session/")
    started = await send(session, "startSession", {"client": "test camera"})
    assert started["event"] == "sessionStarted"
    await next_event(observer, "cognitiveState")  # IDLE
    assert (await next_event(observer, "cognitiveState"))["data"]["state"] == "AGGREGATING"

    accepted = await send(
        session,
        "percept",
        {"kind": "visual", "description": "a red kite over the harbour", "valence": 0.5},
    )
    assert accepted["event"] == "perceptAccepted"
    # Persisted before it was acknowledged.
    assert await database_sync_to_async(
        Percept.objects.filter(pk=accepted["data"]["perceptId"]).exists
    )()

    moment = await next_event(observer, "mindMoment", timeout=5)
    assert moment["data"]["isDream"] is False
    assert moment["data"]["kind"] == "live"
    assert moment["data"]["engine"] == "offline"
    completed = await next_event(observer, "cycleCompleted")
    assert completed["data"]["skipped"] is False
    percept = await database_sync_to_async(Percept.objects.get)(pk=accepted["data"]["perceptId"])
    assert percept.moment_id == moment["data"]["momentId"]

    # No dream while the session is active.
    frames = await frames_for(observer, 1.0)
    assert not any(frame["data"].get("isDream") for frame in frames if frame["event"] == "sigil")

    ended = await send(session, "endSession")
    assert ended["event"] == "sessionEnded"
    dream = await next_event(observer, "sigil", timeout=3)
    assert dream["data"]["isDream"] is True
    await session.disconnect()
    await observer.disconnect()


async def test_a_cycle_without_percepts_says_it_skipped(conductor):
    observer = await connect("/ws/observe/")
    session = await connect("/ws/session/")
    await send(session, "startSession")
    completed = await next_event(observer, "cycleCompleted", timeout=3)
    assert completed["data"]["skipped"] is True
    assert "No new percepts" in completed["data"]["reason"]
    await session.disconnect()
    await observer.disconnect()


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("{not json", "invalid_json"),
        (json.dumps({"event": "dance"}), "unknown_event"),
        (json.dumps(["percept"]), "invalid_frame"),
        (json.dumps({"event": "percept", "data": {"kind": "visual"}}), "invalid_frame"),
        (
            json.dumps({"event": "percept", "data": {"kind": "smell", "description": "x"}}),
            "invalid_frame",
        ),
        (
            json.dumps(
                {"event": "percept", "data": {"kind": "visual", "description": "x", "valence": 3}}
            ),
            "invalid_frame",
        ),
        (
            json.dumps(
                {"event": "percept", "data": {"kind": "visual", "description": "x" * 70_000}}
            ),
            "frame_too_large",
        ),
    ],
)
async def test_bad_frames_get_an_error_and_change_nothing(conductor, frame, reason):
    session = await connect("/ws/session/")
    await send(session, "startSession")
    await session.send_to(text_data=frame)
    reply = json.loads(await session.receive_from(timeout=5))
    assert (reply["event"], reply["data"]["reason"]) == ("error", reason)
    assert reply["data"]["message"]
    assert await database_sync_to_async(Percept.objects.count)() == 0
    # The connection is still usable.
    ok = await send(session, "percept", {"kind": "audio", "transcript": "hello"})
    assert ok["event"] == "perceptAccepted"
    await session.disconnect()


async def test_a_percept_before_start_is_refused(conductor):
    session = await connect("/ws/session/")
    reply = await send(session, "percept", {"kind": "audio", "transcript": "hello"})
    assert reply["data"]["reason"] == "no_session"
    await session.disconnect()


async def test_sessions_over_the_frame_rate_get_errors(conductor, settings):
    settings.DREAMS_SESSION_FRAMES_PER_MINUTE = 3
    session = await connect("/ws/session/")
    await send(session, "startSession")
    replies = [
        await send(session, "percept", {"kind": "audio", "transcript": "hi"}) for _ in range(3)
    ]
    assert [reply["event"] for reply in replies] == ["perceptAccepted", "perceptAccepted", "error"]
    assert replies[-1]["data"]["reason"] == "rate_limited"
    await session.disconnect()


async def test_observers_are_read_only(conductor):
    observer = await connect("/ws/observe/")
    await observer.receive_from()  # snapshot
    await observer.send_to(text_data=json.dumps({"event": "startSession"}))
    reply = await next_event(observer, "error")  # a dream may be broadcast first
    assert reply["data"]["reason"] == "read_only"
    assert await database_sync_to_async(Session.objects.count)() == 0
    await observer.disconnect()


async def test_sessions_need_the_token_even_in_debug_mode(conductor, settings):
    settings.DEBUG = True
    settings.DREAMS_SESSION_TOKEN = "perceptor-token-1"
    refused = WebsocketCommunicator(application, "/ws/session/", headers=ORIGIN)
    await refused.connect()
    reply = json.loads(await refused.receive_from())
    assert reply["data"]["reason"] == "unauthorized"
    assert (await refused.receive_output())["type"] == "websocket.close"
    allowed = await connect("/ws/session/?token=perceptor-token-1")
    assert (await send(allowed, "startSession"))["event"] == "sessionStarted"
    await allowed.disconnect()


async def test_foreign_origins_are_refused(conductor):
    communicator = WebsocketCommunicator(
        application, "/ws/observe/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_silent_session_times_out_and_dreaming_resumes(conductor, fast_timing):
    fast_timing.SESSION_TIMEOUT_MS = 500  # picked up by the running conductor
    await database_sync_to_async(make_moment)(cycle=1)
    observer = await connect("/ws/observe/")
    session = await connect("/ws/session/")
    started = await send(session, "startSession")
    update = await next_event(observer, "sessionsUpdate", timeout=3)
    assert update["data"]["count"] == 1
    update = await next_event(observer, "sessionsUpdate", timeout=5)
    assert update["data"]["count"] == 0
    ended = await database_sync_to_async(Session.objects.get)(pk=started["data"]["sessionId"])
    assert ended.end_reason == "timed_out"
    assert (await next_event(observer, "sigil", timeout=3))["data"]["isDream"] is True
    await observer.disconnect()


async def test_a_session_that_times_out_hears_so_and_its_socket_closes(conductor, fast_timing):
    fast_timing.SESSION_TIMEOUT_MS = 500
    session = await connect("/ws/session/")
    started = await send(session, "startSession")
    told = json.loads(await session.receive_from(timeout=5))
    assert told["event"] == "sessionEnded"
    assert told["data"] == {"sessionId": started["data"]["sessionId"], "reason": "timed_out"}
    closed = await session.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"


@pytest.fixture
def dream_log() -> Iterator[list[logging.LogRecord]]:
    """The dream loop's log records from before the conductor starts: caplog keeps a
    phase's records only, and misses any written between setup and the test body."""
    handler = BufferingHandler(capacity=10_000)
    logger = logging.getLogger("dreams.conductor.dream")
    logger.addHandler(handler)
    try:
        yield handler.buffer
    finally:
        logger.removeHandler(handler)


# `dream_log` before `conductor`: it listens from before the first tick.
async def test_an_empty_database_is_logged_and_dreaming_goes_on(dream_log, conductor):
    observer = await connect("/ws/observe/")

    def logged() -> bool:
        return any("Nothing to dream of yet" in record.getMessage() for record in dream_log)

    await eventually(logged, "the empty pick logged")
    await database_sync_to_async(make_moment)(cycle=5)
    assert (await next_event(observer, "sigil", timeout=3))["data"]["cycle"] == 5
    await observer.disconnect()


async def test_a_database_error_during_a_dream_tick_is_survived(conductor, monkeypatch, caplog):
    await database_sync_to_async(make_moment)(cycle=1)
    calls = {"count": 0}
    real_pick = replay_module.random_sigil_moment

    def flaky_pick(**kwargs):
        calls["count"] += 1
        if calls["count"] <= 2:
            raise RuntimeError("database is locked")
        return real_pick(**kwargs)

    monkeypatch.setattr(replay_module, "random_sigil_moment", flaky_pick)
    observer = await connect("/ws/observe/")
    # A tick already under way when the pick was patched may still dream: wait past it.
    while calls["count"] < 3:
        assert (await next_event(observer, "sigil", timeout=3))["data"]["isDream"] is True
    assert (await next_event(observer, "sigil", timeout=3))["data"]["isDream"] is True
    assert "Could not read a moment to dream of" in caplog.text
    await observer.disconnect()


async def test_rapid_session_start_stop_leaves_one_dream_loop(conductor, settings):
    settings.DREAMS_SESSION_FRAMES_PER_MINUTE = 1000
    await database_sync_to_async(make_moment)(cycle=1)
    session = await connect("/ws/session/")
    for _ in range(200):
        assert (await send(session, "startSession"))["event"] == "sessionStarted"
        assert (await send(session, "endSession"))["event"] == "sessionEnded"
    await eventually(
        lambda: conductor.machine.state == "DREAMING" and conductor.timer.has("dream-loop"),
        "dreaming again after the last session",
    )
    assert not conductor.timer.has("cognitive-loop")
    assert conductor.timer.has("dream-loop")
    dream_ticks = [
        t for t in asyncio.all_tasks() if t.get_name() == "conductor-dream-loop" and not t.done()
    ]
    assert len(dream_ticks) <= 1
    await session.disconnect()


async def test_the_cycle_number_resumes_after_a_restart(conductor):
    await database_sync_to_async(make_moment)(cycle=41)
    observer = await connect("/ws/observe/")
    session = await connect("/ws/session/")
    await send(session, "startSession")
    await send(session, "percept", {"kind": "audio", "transcript": "the clock strikes"})
    moment = await next_event(observer, "mindMoment", timeout=5)
    while moment["data"]["isDream"]:  # a replay sent just before the session started
        moment = await next_event(observer, "mindMoment", timeout=5)
    assert moment["data"]["cycle"] == 42
    assert await database_sync_to_async(MindMoment.objects.filter(cycle=42).exists)()
    await session.disconnect()
    await observer.disconnect()


async def test_a_disconnected_observer_leaves_the_hub(conductor):
    before = len(hub)
    observer = await connect("/ws/observe/")
    await observer.receive_from()
    assert len(hub) == before + 1
    await observer.disconnect()
    assert len(hub) == before


async def test_a_dream_run_queued_by_the_web_is_dreamt_by_the_conductor(conductor, setup_done):
    from asgiref.sync import sync_to_async

    from dreams.models import DreamRun, RunStatus
    from dreams.services.dream_runs import dream_run_queue
    from dreams.services.seeding import moments_seed

    await database_sync_to_async(moments_seed)(count=8, seed=3)
    observer = await connect("/ws/observe/")
    run = await sync_to_async(dream_run_queue, thread_sensitive=False)(trigger="dashboard")
    assert run.status == RunStatus.QUEUED
    statuses = []
    while "written" not in statuses:
        frame = await next_event(observer, "dreamRun", timeout=10)
        assert frame["data"]["id"] == run.pk
        statuses.append(frame["data"]["status"])
    # Queued by the web, claimed and dreamt by the conductor's worker.
    assert statuses[:2] == ["queued", "running"]
    finished = await database_sync_to_async(DreamRun.objects.get)(pk=run.pk)
    assert finished.review_id == frame["data"]["reviewId"]
    await observer.disconnect()


async def test_an_engine_failure_is_a_cycle_failed_and_the_percepts_wait(conductor, monkeypatch):
    from dreams.conductor import conductor as module
    from engines.errors import EngineTimeout

    real_cognize = module.cognize
    failures = {"left": 1}

    def failing_once(percepts, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise EngineTimeout("no answer within 1 s")
        return real_cognize(percepts, **kwargs)

    monkeypatch.setattr(module, "cognize", failing_once)
    observer = await connect("/ws/observe/")
    session = await connect("/ws/session/")
    await send(session, "startSession")
    accepted = await send(session, "percept", {"kind": "audio", "transcript": "is anyone there"})
    failed = await next_event(observer, "cycleFailed", timeout=5)
    assert failed["data"]["reason"] == "timeout"
    assert "time limit" in failed["data"]["message"]
    moment = await next_event(observer, "mindMoment", timeout=8)
    percept = await database_sync_to_async(Percept.objects.get)(pk=accepted["data"]["perceptId"])
    assert percept.moment_id == moment["data"]["momentId"]
    await session.disconnect()
    await observer.disconnect()
