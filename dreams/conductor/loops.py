"""One timer for everything the conductor does on a period: the lease, the dream and
cognitive loops, housekeeping, the scheduler and the run worker.

Every job ticks on one clock, so a test drives all of them with a fake clock instead of
sleeping. A job's tick runs as a task of its own: a slow one (an engine call) never
delays another job (the lease), ticks of one job never overlap, and a tick that overruns
skips the slots it missed instead of drifting.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)

Tick = Callable[[], Awaitable[None]]
# The longest the timer sleeps without a job due.
IDLE_S = 3600.0


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""

    async def sleep(self, seconds: float, *, wake: asyncio.Event) -> None:
        """Return after `seconds`, or as soon as `wake` is set."""


class MonotonicClock:
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float, *, wake: asyncio.Event) -> None:
        # Not `wait_for`: on Python 3.11 it swallows a cancellation that arrives as the
        # wake event is set, and a conductor told to stop then sleeps on for an hour.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):
                await wake.wait()


@dataclass
class _Job:
    name: str
    period: Callable[[], float]
    tick: Tick
    due: float
    last: float
    once: bool
    current_period: float
    running: asyncio.Task | None = field(default=None)


class Timer:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or MonotonicClock()
        self._jobs: dict[str, _Job] = {}
        self._changed = asyncio.Event()

    def every(self, name: str, period: Callable[[], float], tick: Tick, *, first_now: bool) -> None:
        """Tick every `period()` seconds, read again at each slot (and at `retimed`), so a
        new period applies without a restart. Replaces a job of the same name, cancelling
        its tick in flight: there is never a second loop of one kind."""
        self.cancel(name)
        now = self.clock.now()
        current = period()
        due = now if first_now else now + current
        self._jobs[name] = _Job(name, period, tick, due, now, False, current)
        self._changed.set()

    def after(self, name: str, delay: float, tick: Tick) -> None:
        """Tick once, `delay` seconds from now (replacing a job of the same name)."""
        self.cancel(name)
        now = self.clock.now()
        self._jobs[name] = _Job(name, lambda: delay, tick, now + delay, now, True, delay)
        self._changed.set()

    def cancel(self, name: str) -> None:
        job = self._jobs.pop(name, None)
        if job is not None and job.running is not None:
            job.running.cancel()

    def has(self, name: str) -> bool:
        return name in self._jobs

    def retimed(self) -> None:
        """The periods may have changed: each job's next slot counts from its last."""
        self._changed.set()

    async def run(self) -> None:
        try:
            while True:
                self._changed.clear()
                now = self.clock.now()
                for job in list(self._jobs.values()):
                    self._reschedule(job)
                    if job.due <= now:
                        self._fire(job, now)
                wake_at = min((job.due for job in self._jobs.values()), default=now + IDLE_S)
                await self.clock.sleep(min(wake_at - now, IDLE_S), wake=self._changed)
        finally:
            await self.close()

    async def close(self) -> None:
        tasks = [job.running for job in self._jobs.values() if job.running is not None]
        self._jobs.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _reschedule(self, job: _Job) -> None:
        period = job.period()
        if period != job.current_period:
            job.current_period = period
            job.due = job.last + period

    def _fire(self, job: _Job, now: float) -> None:
        period = max(job.current_period, 1e-3)
        if job.running is None or job.running.done():
            job.last = job.due
            job.running = asyncio.create_task(self._tick(job), name=f"conductor-{job.name}")
        # The next slot after now: slots a running tick overran are skipped, not queued.
        missed = int((now - job.due) // period) + 1
        job.due += period * missed
        if job.once:
            job.due = float("inf")

    async def _tick(self, job: _Job) -> None:
        try:
            await job.tick()
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed tick must not end the job
            logger.exception("The conductor's %s tick failed; it goes on.", job.name)
        finally:
            if job.once and self._jobs.get(job.name) is job:
                del self._jobs[job.name]
            # Its end may make an earlier slot due again: look at the jobs anew.
            self._changed.set()
