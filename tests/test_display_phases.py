"""Display phases: each cycle of either loop announces the source system's six phases, with
durations that share the cycle by the stored weights, and its moment goes out at SIGILIN.

The conductor runs on a fake clock: time moves only when a test moves it. Its database
work still runs in real threads, so each step waits for what it expects to be broadcast.
"""

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TypeVar

import pytest
from channels.db import database_sync_to_async

from dreams.conductor import conductor as conductor_module
from dreams.conductor.conductor import Conductor
from dreams.realtime.events import (
    CognitiveStateChanged,
    Event,
    InlineSdf,
    MindMomentAnnounced,
    PhaseStarted,
    Sigil,
)
from dreams.realtime.frames import EncodedEvent
from dreams.services.dream_settings import dream_settings_change
from tests.clock import FakeClock, settle
from tests.factories import make_moment, make_percept, make_session
from tests.live import eventually

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

E = TypeVar("E", bound=Event)
PHASES = ["PERCEPTS", "SPOOL", "SIGILIN", "SIGILHOLD", "SIGILOUT", "RESET"]
DREAM_CYCLE_MS = 12_000
COGNITIVE_CYCLE_MS = 6_000


class Recorded:
    """Every event the conductor broadcasts, with the fake clock's time when it did."""

    def __init__(self, conductor: Conductor, clock: FakeClock) -> None:
        self.items: list[tuple[float, Event]] = []
        real = conductor.broadcaster.broadcast

        async def record(event: Event, *, inline_sdf: InlineSdf | None = None) -> None:
            self.items.append((clock.now(), event))
            await real(event, inline_sdf=inline_sdf)

        conductor.broadcaster.broadcast = record  # type: ignore[method-assign]

    def phases(self) -> list[tuple[float, PhaseStarted]]:
        return [(at, event) for at, event in self.items if isinstance(event, PhaseStarted)]

    def first(self, kind: type[E]) -> E:
        return next(event for _, event in self.items if isinstance(event, kind))

    def names(self) -> list[str]:
        return [event.name for _, event in self.items]

    async def phase_count(self, count: int) -> list[tuple[float, PhaseStarted]]:
        await eventually(lambda: len(self.phases()) >= count, f"{count} phases", timeout=10)
        return self.phases()


@pytest.fixture
def fake_clock_setup(monkeypatch, settings):
    # Real threads lag the fake clock; the lease's own deadline is not under test here.
    monkeypatch.setattr(conductor_module, "LEASE_TTL", timedelta(hours=1))
    settings.DREAM_START_DELAY_MS = 100


@contextlib.asynccontextmanager
async def conducting() -> AsyncIterator[tuple[Conductor, FakeClock, Recorded]]:
    """A conductor on a fake clock, with what is in the database now."""
    await database_sync_to_async(dream_settings_change)(
        changes={"dream_cycle_ms": DREAM_CYCLE_MS, "cognitive_cycle_ms": COGNITIVE_CYCLE_MS}
    )
    clock = FakeClock()
    conductor = Conductor(holder="phases-test", clock=clock, scheduler_tick_s=0)
    recorded = Recorded(conductor, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(conductor.run(stop))
    await asyncio.wait_for(conductor.leading.wait(), 10)
    try:
        yield conductor, clock, recorded
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def run_cycle(
    clock: FakeClock, recorded: Recorded, *, start: float, offsets: list[float]
) -> None:
    """Move the clock through the rest of the cycle that began at `start` (its PERCEPTS
    already out) to each phase's offset in turn, waiting at each for its event: a phase's
    broadcast may wait on a thread."""
    before = len(recorded.phases())
    for step, offset in enumerate(offsets[1:], start=1):
        await clock.advance(start + offset - clock.now())
        await recorded.phase_count(before + step)


async def cognized(recorded: Recorded) -> None:
    """Wait for the cycle's cognition to end (the state after VISUALIZING)."""

    def states() -> list[str]:
        return [
            event.state for _, event in recorded.items if isinstance(event, CognitiveStateChanged)
        ]

    await eventually(
        lambda: "VISUALIZING" in states() and states()[-1] == "AGGREGATING", "the cycle cognized"
    )


def default_offsets(cycle_ms: int) -> list[float]:
    """Phase offsets in seconds for the default weights (35/2/3/15/3/2 of 60)."""
    shares = [0, 35, 37, 40, 55, 58]
    return [cycle_ms * share / 60 / 1000 for share in shares]


async def test_a_dream_cycle_runs_the_six_phases_in_order_sharing_the_cycle(fake_clock_setup):
    await database_sync_to_async(make_moment)(cycle=7)
    await database_sync_to_async(make_moment)(cycle=8)
    async with conducting() as (_, clock, recorded):
        await a_dream_cycle(clock, recorded)


async def a_dream_cycle(clock: FakeClock, recorded: Recorded) -> None:
    await recorded.phase_count(1)
    start, first = recorded.phases()[0]
    dreamt = first.cycle_number

    await run_cycle(clock, recorded, start=start, offsets=default_offsets(DREAM_CYCLE_MS))

    phases = recorded.phases()[:6]
    assert [event.phase for _, event in phases] == PHASES
    assert [event.next_phase for _, event in phases] == [*PHASES[1:], "PERCEPTS"]
    assert sum(event.duration for _, event in phases) == DREAM_CYCLE_MS
    assert [event.duration for _, event in phases] == [7000, 400, 600, 3000, 600, 400]
    # Each phase starts when the one before it ends.
    offsets = [round((at - start) * 1000) for at, _ in phases]
    assert offsets == [0, 7000, 7400, 8000, 11000, 11600]
    assert {(event.mode, event.is_dream, event.cycle_number) for _, event in phases} == {
        ("DREAM", True, dreamt)
    }
    assert dreamt in (7, 8)
    # The dream's sigil and moment go out at SIGILIN, just before the phase itself.
    names = recorded.names()
    spool, sigil_in = names.index("phase", names.index("phase") + 1), names.index("sigil")
    assert names[sigil_in : sigil_in + 3] == ["sigil", "mindMoment", "phase"]
    assert spool < sigil_in
    sigil_event = recorded.first(Sigil)
    assert sigil_event.cycle == dreamt and sigil_event.is_dream

    # The next cycle starts as this one ends.
    await clock.advance(start + DREAM_CYCLE_MS / 1000 - clock.now())
    at, seventh = (await recorded.phase_count(7))[6]
    assert (seventh.phase, at - start) == ("PERCEPTS", DREAM_CYCLE_MS / 1000)


async def test_new_phase_weights_apply_from_the_next_cycle(fake_clock_setup):
    await database_sync_to_async(make_moment)(cycle=1)
    await database_sync_to_async(make_moment)(cycle=2)
    async with conducting() as (conductor, clock, recorded):
        await weights_change(conductor, clock, recorded)


async def weights_change(conductor: Conductor, clock: FakeClock, recorded: Recorded) -> None:
    await recorded.phase_count(1)
    start = recorded.phases()[0][0]

    await database_sync_to_async(dream_settings_change)(
        changes={"phase_sigilhold_weight": 45, "phase_percepts_weight": 5}
    )
    # The conductor re-reads the timing every second: the cycle under way keeps its own.
    await clock.advance(1.0)
    await eventually(
        lambda: conductor.timing.phase_weights == (5, 2, 3, 45, 3, 2), "the new weights read"
    )
    await run_cycle(clock, recorded, start=start, offsets=default_offsets(DREAM_CYCLE_MS))
    assert [event.duration for _, event in recorded.phases()[:6]] == [
        7000,
        400,
        600,
        3000,
        600,
        400,
    ]

    await clock.advance(start + DREAM_CYCLE_MS / 1000 - clock.now())
    await recorded.phase_count(7)
    next_start = recorded.phases()[6][0]
    await run_cycle(clock, recorded, start=next_start, offsets=[0, 1.0, 1.4, 2.0, 11.0, 11.6])
    nxt = [event for _, event in (await recorded.phase_count(12))[6:12]]
    assert [event.phase for event in nxt] == PHASES
    # 5/2/3/45/3/2 of 60 of a 12 s cycle.
    assert [event.duration for event in nxt] == [1000, 400, 600, 9000, 600, 400]
    assert sum(event.duration for event in nxt) == DREAM_CYCLE_MS


async def test_a_live_cycle_shows_its_moment_at_sigilin(fake_clock_setup):
    session = await database_sync_to_async(make_session)()
    await database_sync_to_async(make_percept)(session=session)
    async with conducting() as (conductor, clock, recorded):
        await a_live_cycle(conductor, clock, recorded)


async def a_live_cycle(conductor: Conductor, clock: FakeClock, recorded: Recorded) -> None:
    assert conductor.timer.has("cognitive-loop")
    await clock.advance(COGNITIVE_CYCLE_MS / 1000)
    await recorded.phase_count(1)
    start, percepts = recorded.phases()[0]
    assert (percepts.phase, percepts.mode, percepts.is_dream) == ("PERCEPTS", "LIVE", False)
    # Cognized during PERCEPTS, but not shown before SIGILIN.
    await cognized(recorded)
    assert "mindMoment" not in recorded.names()

    await run_cycle(clock, recorded, start=start, offsets=default_offsets(COGNITIVE_CYCLE_MS))
    names = recorded.names()
    shown = names.index("mindMoment")
    assert names[shown - 1 : shown + 3] == ["sigil", "mindMoment", "cycleCompleted", "phase"]
    moment = recorded.first(MindMomentAnnounced)
    phases = [event for _, event in recorded.phases()[:6]]
    assert phases[2].phase == "SIGILIN" and not moment.is_dream
    assert {event.cycle_number for event in phases} == {moment.cycle}
    assert sum(event.duration for event in phases) == COGNITIVE_CYCLE_MS


async def test_a_moment_slower_than_its_sigilin_goes_out_when_ready(fake_clock_setup, monkeypatch):
    release = threading.Event()
    real_cognize = conductor_module.cognize

    def slow_cognize(percepts, **kwargs):
        assert release.wait(10), "the test released the engine"
        return real_cognize(percepts, **kwargs)

    monkeypatch.setattr(conductor_module, "cognize", slow_cognize)
    session = await database_sync_to_async(make_session)()
    await database_sync_to_async(make_percept)(session=session)
    try:
        async with conducting() as (_, clock, recorded):
            await a_late_moment(clock, recorded, release)
    finally:
        release.set()


async def a_late_moment(clock: FakeClock, recorded: Recorded, release: threading.Event) -> None:
    await clock.advance(COGNITIVE_CYCLE_MS / 1000)
    start = (await recorded.phase_count(1))[0][0]
    await clock.advance(start + default_offsets(COGNITIVE_CYCLE_MS)[3] - clock.now())
    await recorded.phase_count(4)  # SIGILHOLD: the SIGILIN went out with nothing to show
    assert "mindMoment" not in recorded.names()

    release.set()
    await eventually(lambda: "mindMoment" in recorded.names(), "the late moment")
    names = recorded.names()
    assert names.index("mindMoment") > [i for i, n in enumerate(names) if n == "phase"][3]
    assert clock.now() == start + default_offsets(COGNITIVE_CYCLE_MS)[3]  # not held back


async def test_events_broadcast_from_several_tasks_are_carried_in_seq_order():
    """A phase job and a tick may broadcast at once: the bus still carries them in order
    (over Redis, two publishes in flight could take two connections and swap)."""
    conductor = Conductor(holder="order-test", clock=FakeClock())
    carried: list[int] = []
    first_held = asyncio.Event()

    async def carry(encoded: EncodedEvent) -> None:
        if not carried and not first_held.is_set():
            await first_held.wait()  # the first publish is slow
        carried.append(encoded.seq)

    conductor.broadcaster.bus.carry = carry
    event = CognitiveStateChanged(state="DREAMING")
    slow = asyncio.create_task(conductor.broadcast(event))
    await settle()
    fast = asyncio.create_task(conductor.broadcast(event))
    await settle()
    assert carried == []  # the second waits for the first
    first_held.set()
    await asyncio.gather(slow, fast)
    assert carried == [1, 2]
