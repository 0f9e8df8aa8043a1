"""The conductor's one timer: every periodic job on one injectable clock."""

import asyncio

import pytest

from dreams.conductor.loops import MonotonicClock, Timer
from tests.clock import FakeClock, settle

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def timer():
    clock = FakeClock()
    running = Timer(clock)
    task = asyncio.create_task(running.run())
    await settle()
    yield running
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def recorder(timer: Timer, ticks: list[float]):
    async def tick() -> None:
        ticks.append(timer.clock.now())

    return tick


async def test_a_running_loop_takes_a_new_period_from_its_last_tick(timer):
    period = {"s": 10.0}
    ticks: list[float] = []
    timer.every("loop", lambda: period["s"], recorder(timer, ticks), first_now=True)
    await timer.clock.advance(0.05)
    period["s"] = 0.1  # ten seconds to the next tick become a tenth of one
    timer.retimed()
    await timer.clock.advance(0.3)
    assert [round(t - ticks[0], 3) for t in ticks] == [0, 0.1, 0.2, 0.3]


async def test_a_slow_tick_never_overlaps_and_skips_the_slots_it_overran(timer):
    started: list[float] = []
    release = asyncio.Event()

    async def slow() -> None:
        started.append(timer.clock.now())
        if len(started) == 1:
            await release.wait()

    timer.every("slow", lambda: 1.0, slow, first_now=True)
    await timer.clock.advance(3.5)
    assert started == [1000.0]  # still in its first tick: slots 1, 2 and 3 are skipped
    release.set()
    await timer.clock.advance(0.5)
    assert started == [1000.0, 1004.0]


async def test_a_failing_tick_leaves_the_job_ticking(timer, caplog):
    ticks: list[float] = []

    async def failing() -> None:
        ticks.append(timer.clock.now())
        raise RuntimeError("broken")

    timer.every("fragile", lambda: 1.0, failing, first_now=False)
    await timer.clock.advance(3)
    assert ticks == [1001.0, 1002.0, 1003.0]
    assert "fragile tick failed" in caplog.text


async def test_one_job_waits_on_a_slow_tick_of_another_for_nothing(timer):
    lease: list[float] = []
    timer.every("lease", lambda: 1.0, recorder(timer, lease), first_now=True)
    timer.every("engine", lambda: 5.0, lambda: asyncio.Event().wait(), first_now=True)
    await timer.clock.advance(4)
    assert lease == [1000.0, 1001.0, 1002.0, 1003.0, 1004.0]


async def test_a_one_off_fires_once_and_a_replaced_job_never_fires_twice(timer):
    once: list[float] = []
    loop: list[float] = []
    timer.after("delay", 1.0, recorder(timer, once))
    timer.every("loop", lambda: 1.0, recorder(timer, loop), first_now=False)
    timer.every("loop", lambda: 1.0, recorder(timer, loop), first_now=False)
    await timer.clock.advance(3)
    assert once == [1001.0]
    assert loop == [1001.0, 1002.0, 1003.0]
    assert not timer.has("delay")


async def test_a_cancelled_job_stops_and_its_tick_in_flight_is_cancelled(timer):
    cancelled = asyncio.Event()

    async def hanging() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    timer.every("hanging", lambda: 1.0, hanging, first_now=True)
    await settle()
    timer.cancel("hanging")
    await settle()
    assert cancelled.is_set()
    assert not timer.has("hanging")


async def test_a_timer_stops_when_cancelled_as_it_is_woken():
    running = Timer(MonotonicClock())
    task = asyncio.create_task(running.run())
    await settle()  # asleep with nothing due
    running.retimed()  # the wake and the stop land in the same turn of the loop
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done == {task} and task.cancelled()
