"""The conductor: it owns the cognitive state, the live sessions and the two loops.

It runs as an asyncio task, either inside the web process (`manage.py serve`, the embedded
setup) or in its own process (`manage.py run_conductor`), and conducts only while it holds
the leader lease. Consumers tell it about sessions over the channel layer; sessions and
percepts themselves live in the database, so a standby that takes over finds them intact.

Every cycle of either loop runs the six display phases (`phases.py`), each announced with
a `phase` event at its start; the cycle's moment goes out at its SIGILIN (`CycleShow`).

Losing the lease or the database is a state, not an end: the conductor steps down, tells
observers it is paused, and keeps trying to take the lease back (every second at most),
so it resumes within a few seconds of the database answering again. Every periodic job
(the lease, the loops, housekeeping, the scheduler, the run worker) ticks on one timer
(`loops.Timer`) with an injectable clock.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Final

from asgiref.sync import sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from dreams.conductor.leader import LEASE_TTL, Snapshot, lease_release, lease_renew, lease_take
from dreams.conductor.loops import Clock, Timer
from dreams.conductor.phases import SIGIL_PHASE, Phase, PhaseSlot
from dreams.conductor.replay import Replayer
from dreams.conductor.resurfacing import ReplayCounter
from dreams.conductor.state import Action, CognitiveState, Event, Machine, transition
from dreams.models import (
    DreamSettings,
    LoopTiming,
    MindMoment,
    SchedulerSource,
    SessionEndReason,
)
from dreams.processes import holder_name
from dreams.realtime.events import (
    CognitiveStateChanged,
    CycleCompleted,
    CycleFailed,
    CycleStarted,
    InlineSdf,
    MindMomentAnnounced,
    PhaseStarted,
    Replay,
    SessionsUpdate,
    Sigil,
)
from dreams.realtime.events import (
    Event as RealtimeEvent,
)
from dreams.realtime.hub import hub
from dreams.realtime.publish import (
    BROADCAST,
    CONDUCTOR_CHANNEL,
    Broadcaster,
    event_of,
    set_local_conductor,
)
from dreams.replay import Replayed
from dreams.selectors.moments import moment_last_cycle
from dreams.services.cognition import cognize, moment_from_cognition, pending_percepts, visualize
from dreams.services.dream_runs import dream_run_claim, dream_run_execute, runs_recover
from dreams.services.resurfacing import replays_record
from dreams.services.scheduler import scheduled_dream
from dreams.services.sessions import open_session_count, sessions_expire
from engines.errors import EngineError
from engines.selection import engine_auto_select

logger = logging.getLogger(__name__)
dream_log = logging.getLogger("dreams.conductor.dream")
cognition_log = logging.getLogger("dreams.conductor.cognition")

RENEW_EVERY_S = 1.0
STANDBY_POLL_S = 0.5
# After a failed attempt on the database, the next comes sooner than a standby's poll at
# first and never later than this: the conductor resumes within it of the database
# answering again.
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 1.0
# How often the leader checks that its lease is still good while a renewal hangs on a
# database that does not answer; it steps down this much before the lease runs out, so a
# standby that takes over never conducts beside it.
LEASE_WATCH_S = 0.25
LEASE_MARGIN_S = 0.5
REAP_EVERY_S = 1.0
WORK_EVERY_S = 1.0
# How often a leader writes the replay counts (and once more when the conductor stops).
REPLAY_COUNTS_EVERY_S = 30.0
# A new leader cannot know the last seq its predecessor sent after its last heartbeat;
# jumping ahead keeps seq rising, and observers see the gap and resync.
SEQ_JUMP_ON_TAKEOVER = 1000
PAUSED: Final = "PAUSED"
DATABASE_PAUSE_COPY = "Paused: the database is not answering. The mind resumes when it does."
DREAM_LOOP, COGNITIVE_LOOP = "dream-loop", "cognitive-loop"


def phase_job(loop: str, phase: Phase) -> str:
    """The timer job that starts one display phase of a loop's cycle."""
    return f"{loop}:{phase}"


def phase_jobs(loop: str) -> tuple[str, ...]:
    return tuple(phase_job(loop, phase) for phase in Phase)


LEADING_JOBS = (
    "reaper",
    "replay-counts",
    "worker",
    "scheduler",
    DREAM_LOOP,
    COGNITIVE_LOOP,
    "dream-delay",
    "late-show",
    *phase_jobs(DREAM_LOOP),
    *phase_jobs(COGNITIVE_LOOP),
)


class CycleShow:
    """A cycle's moment goes out once: at the cycle's SIGILIN when it is ready by then
    (displays fade it in together), else as soon as it is ready. Both sides run on the
    conductor's event loop, and each checks and marks without awaiting in between, so
    the moment goes out exactly once whichever comes first."""

    def __init__(self) -> None:
        self._show: Callable[[], Awaitable[None]] | None = None
        self._due = False
        self._shown = False

    @property
    def waiting(self) -> bool:
        """Ready, not shown yet: its SIGILIN is still to come."""
        return self._show is not None and not self._shown

    async def ready(self, show: Callable[[], Awaitable[None]]) -> None:
        self._show = show
        if self._due:
            await self._go()

    async def due(self) -> None:
        self._due = True
        if self._show is not None:
            await self._go()

    async def _go(self) -> None:
        if self._shown or self._show is None:
            return
        self._shown = True
        await self._show()


def _stored_timing() -> LoopTiming:
    """The live loop timing stored by setup (or the environment's), read from the
    database: call it in a worker thread."""
    return DreamSettings.load().loop_timing


def _in_thread(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ORM or engine work in a worker thread (an engine call may take many seconds:
    it must not hold the thread other database work shares)."""

    def closing(*args: object, **kwargs: object) -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(closing, thread_sensitive=False)


def session_group(session_id: str) -> str:
    """The channel-layer group of one session's socket, wherever it is served."""
    return f"dreams.session.{session_id}"


class Conductor:
    def __init__(
        self,
        *,
        timing: LoopTiming | None = None,
        holder: str | None = None,
        clock: Clock | None = None,
        scheduler_tick_s: float | None = None,
    ) -> None:
        # Without a fixed timing, the stored one is read when leading starts and then by
        # the reaper each second, so setup's changes apply without a restart.
        self._live_timing = timing is None
        self.timing = timing or LoopTiming(0, 0, 0, 0)
        self.holder = holder or holder_name()
        self.timer = Timer(clock)
        self.scheduler_tick_s = (
            settings.DREAMS_SCHEDULER_TICK_S if scheduler_tick_s is None else scheduler_tick_s
        )
        self.machine = Machine()
        self.broadcaster = Broadcaster(hub.dispatch)
        self.last_sigil: tuple[int, bool, Replayed | None] | None = None
        self.replayer = Replayer()
        # Replays are counted here and written in batches: no database write per tick.
        self.replay_counter = ReplayCounter()
        # The current cycle's moment of each loop, until it has gone out.
        self._shows: dict[str, CycleShow] = {}
        self._lock = asyncio.Lock()
        self._inbox_task: asyncio.Task | None = None
        self._lease_good_until = 0.0
        self._failures = 0
        self.leading = asyncio.Event()
        # Why the conductor cannot conduct now, as product copy (None while all is well).
        self.paused: str | None = None

    # -- leadership ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Stand by for the lease, conduct while holding it, and take it back after a
        fault, until `stop`."""
        logger.info("Conductor %s started; waiting for the leader lease.", self.holder)
        self.timer.every("lease", self._lease_period, self._lease_tick, first_now=True)
        self.timer.every("lease-watch", lambda: LEASE_WATCH_S, self._lease_watch, first_now=False)
        timing = asyncio.create_task(self.timer.run(), name="conductor-timer")
        try:
            await stop.wait()
        finally:
            self.timer.cancel("lease")
            self.timer.cancel("lease-watch")
            await self._step_down(release=True)
            timing.cancel()
            await asyncio.gather(timing, return_exceptions=True)
            await self.broadcaster.bus.close()

    @property
    def seq(self) -> int:
        """The last broadcast's number."""
        return self.broadcaster.seq

    @seq.setter
    def seq(self, value: int) -> None:
        self.broadcaster.seq = value

    def _lease_period(self) -> float:
        if self._failures:
            return min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (self._failures - 1))
        return RENEW_EVERY_S if self.leading.is_set() else STANDBY_POLL_S

    async def _lease_tick(self) -> None:
        started = self.timer.clock.now()
        try:
            if self.leading.is_set():
                renewed = await _in_thread(lease_renew)(
                    holder=self.holder, snapshot=self.snapshot()
                )
                if not renewed:
                    logger.warning("Conductor %s lost the leader lease.", self.holder)
                    await self._step_down()
            else:
                lease = await _in_thread(lease_take)(holder=self.holder)
                if lease is not None:
                    await self._lead(previous_seq=lease.seq)
                elif self.paused:
                    logger.info("Another conductor leads now; %s stands by.", self.holder)
                    self.paused = None
        except Exception as error:
            self._failures += 1
            if self._failures == 1:
                logger.warning(
                    "The database is not answering (%s); the conductor keeps trying.",
                    type(error).__name__,
                )
            await self._pause(DATABASE_PAUSE_COPY)
            return
        if self._failures:
            logger.info("The database answers again; the conductor goes on.")
        self._failures = 0
        if self.leading.is_set():
            self._lease_good_until = started + LEASE_TTL.total_seconds() - LEASE_MARGIN_S

    async def _lease_watch(self) -> None:
        """A renewal may hang for many seconds on a locked or unreachable database: step
        down before the lease runs out rather than conduct beside a standby that took it."""
        if self.leading.is_set() and self.timer.clock.now() > self._lease_good_until:
            logger.warning("Conductor %s could not renew its lease in time.", self.holder)
            await self._pause(DATABASE_PAUSE_COPY)

    async def _lead(self, *, previous_seq: int) -> None:
        # Every read comes first: should one fail, nothing has changed yet, and the next
        # tick takes the lease (still ours) and tries again.
        timing = await _in_thread(_stored_timing)() if self._live_timing else self.timing
        recovered = await _in_thread(runs_recover)()
        # The engine choice is stored before the loops read it (a no-op once stored).
        await _in_thread(engine_auto_select)()
        sessions = await _in_thread(open_session_count)()
        if recovered:
            logger.warning("A dream run of a process that died was marked abandoned.")
        logger.info("Conductor %s is now the leader.", self.holder)
        self.timing = timing
        if not self.seq:
            self.seq = previous_seq + SEQ_JUMP_ON_TAKEOVER if previous_seq else 0
        self.machine = Machine()
        self.paused = None
        self._lease_good_until = self.timer.clock.now() + LEASE_TTL.total_seconds()
        set_local_conductor(asyncio.get_running_loop(), self._handle)
        self.leading.set()
        await self._apply(Event.STARTED, sessions=sessions)
        # Only now may notices arrive: one handled before STARTED would wake the machine
        # twice and start a second loop.
        self._inbox_task = asyncio.create_task(self._inbox(), name="conductor-inbox")
        self.timer.every("reaper", lambda: REAP_EVERY_S, self._reap, first_now=False)
        self.timer.every("worker", lambda: WORK_EVERY_S, self._work, first_now=True)
        self.timer.every(
            "replay-counts", lambda: REPLAY_COUNTS_EVERY_S, self._write_replays, first_now=False
        )
        if self.scheduler_tick_s > 0:
            self.timer.every(
                "scheduler", lambda: self.scheduler_tick_s, self._schedule, first_now=True
            )

    async def _pause(self, reason: str) -> None:
        """Stop conducting and tell observers why, once per fault."""
        await self._step_down()
        if self.paused != reason:
            self.paused = reason
            await self.broadcast(CognitiveStateChanged(state=PAUSED, reason=reason))

    async def _step_down(self, *, release: bool = False) -> None:
        if not self.leading.is_set():
            return
        self.leading.clear()
        set_local_conductor(asyncio.get_running_loop(), None)
        for name in LEADING_JOBS:
            self.timer.cancel(name)
        self._shows.clear()
        if release:
            # Only a conductor that stops writes its counts now: after a fault the write
            # would wait on the database that failed, and the counts keep until it answers.
            await self._write_replays()
        if self._inbox_task is not None:
            self._inbox_task.cancel()
            await asyncio.gather(self._inbox_task, return_exceptions=True)
            self._inbox_task = None
        self.machine = Machine()
        if release:
            try:
                await _in_thread(lease_release)(holder=self.holder)
            except Exception:  # the lease runs out by itself
                logger.warning("Could not release the leader lease; it expires in seconds.")
        logger.info("Conductor %s stopped leading.", self.holder)

    def snapshot(self) -> Snapshot:
        moment_id, is_dream, replayed = self.last_sigil or (None, False, None)
        return Snapshot(
            self.machine.state, self.machine.sessions, self.seq, moment_id, is_dream, replayed
        )

    # -- the state machine --------------------------------------------------------------

    async def _apply(self, event: Event, *, sessions: int | None = None) -> None:
        if not self.leading.is_set():
            return  # a tick that ends after stepping down must not wake the machine
        async with self._lock:
            step = transition(self.machine, event, sessions=sessions)
            self.machine = step.machine
            for action in step.actions:
                self._carry_out(action)
            for state in step.states:
                log = dream_log if state is CognitiveState.DREAMING else cognition_log
                log.info("State %s (%d sessions).", state, self.machine.sessions)
                await self.broadcast(CognitiveStateChanged(state=state.value))
            if step.states:
                await self._record_snapshot()

    async def _record_snapshot(self) -> None:
        """What a newly connected observer is told; written at once, not at the next
        heartbeat, so no observer is told of a state that is over."""
        if not self.leading.is_set():
            return
        try:
            await _in_thread(lease_renew)(holder=self.holder, snapshot=self.snapshot())
        except Exception:
            logger.exception("Could not record the conductor's state.")

    def _carry_out(self, action: Action) -> None:
        # Starting a loop replaces any loop of the same kind, so there is never a second.
        if action is Action.START_DREAM_LOOP:
            dream_log.info(
                "[dream] Dream loop starts: replaying a moment every %gs.",
                self.timing.dream_cycle_s,
            )
            self.timer.every(
                DREAM_LOOP, lambda: self.timing.dream_cycle_s, self._dream_tick, first_now=True
            )
        elif action is Action.STOP_DREAM_LOOP:
            dream_log.info("[dream] Dream loop stops.")
            self._stop_loop(DREAM_LOOP)
        elif action is Action.START_COGNITIVE_LOOP:
            cognition_log.info(
                "[cognition] Cognitive loop starts: a cycle every %gs.",
                self.timing.cognitive_cycle_s,
            )
            self.timer.every(
                COGNITIVE_LOOP,
                lambda: self.timing.cognitive_cycle_s,
                self._cognitive_tick,
                first_now=False,
            )
        elif action is Action.STOP_COGNITIVE_LOOP:
            cognition_log.info("[cognition] Cognitive loop stops.")
            show = self._stop_loop(COGNITIVE_LOOP)
            if show is not None and show.waiting:
                # A moment made from a session's percepts still goes out, without waiting
                # for a SIGILIN that will not come.
                self.timer.after("late-show", 0, show.due)
        elif action is Action.SCHEDULE_DREAM_START:
            self.timer.after("dream-delay", self.timing.dream_start_delay_s, self._dream_delayed)
        elif action is Action.CANCEL_DREAM_START:
            self.timer.cancel("dream-delay")

    def _stop_loop(self, loop: str) -> CycleShow | None:
        """Stop a loop and the phases of its cycle; returns its cycle's show."""
        self.timer.cancel(loop)
        for job in phase_jobs(loop):
            self.timer.cancel(job)
        return self._shows.pop(loop, None)

    async def _dream_delayed(self) -> None:
        await self._apply(Event.DREAM_DELAY_ELAPSED)

    # -- display phases -----------------------------------------------------------------

    async def _begin_cycle(
        self,
        loop: str,
        slots: tuple[PhaseSlot, ...],
        *,
        started: float,
        cycle_number: int,
        is_dream: bool,
    ) -> CycleShow:
        """Start a cycle's display phases: the first now, the others at their offsets
        from `started` (the cycle's start on the timer's clock). Returns the show its
        moment goes out by, at SIGILIN."""
        show = CycleShow()
        self._shows[loop] = show

        def phase_starts(slot: PhaseSlot) -> Callable[[], Awaitable[None]]:
            async def start() -> None:
                if slot.phase is SIGIL_PHASE:
                    await show.due()
                await self.broadcast(
                    PhaseStarted(
                        phase=slot.phase.value,
                        mode="DREAM" if is_dream else "LIVE",
                        next_phase=slot.phase.next.value,
                        duration=slot.duration_ms,
                        cycle_number=cycle_number,
                        start_time=timezone.now(),
                        is_dream=is_dream,
                    )
                )

            return start

        first, *rest = slots
        for slot in rest:
            delay = started + slot.offset_ms / 1000 - self.timer.clock.now()
            self.timer.after(phase_job(loop, slot.phase), delay, phase_starts(slot))
        await phase_starts(first)()
        return show

    # -- broadcasting -------------------------------------------------------------------

    async def broadcast(self, event: RealtimeEvent, *, inline_sdf: InlineSdf | None = None) -> None:
        """Number the event and send it, encoded once (twice for sigils: with and without
        the inline distance field some observers ask for)."""
        await self.broadcaster.broadcast(event, inline_sdf=inline_sdf)

    async def _announce_moment(
        self, moment: MindMoment, *, is_dream: bool, replayed: Replayed | None = None
    ) -> None:
        def events() -> tuple[Sigil, InlineSdf, MindMomentAnnounced]:
            # The distance field takes milliseconds: computed first, so the events'
            # timestamps are taken just before they are broadcast.
            sdf = InlineSdf.of(moment)
            return (
                Sigil.of(moment, is_dream=is_dream, replayed=replayed),
                sdf,
                MindMomentAnnounced.of(moment, is_dream=is_dream, replayed=replayed),
            )

        sigil, sdf, mind_moment = await _in_thread(events)()
        self.last_sigil = (moment.pk, is_dream, replayed)
        await self.broadcast(sigil, inline_sdf=sdf)
        await self.broadcast(mind_moment)
        await self._record_snapshot()

    # -- the loops ----------------------------------------------------------------------

    async def _dream_tick(self) -> None:
        started = self.timer.clock.now()
        slots = self.timing.dream_phases
        try:
            picked = await _in_thread(self._replay_next)()
        except Exception:
            dream_log.exception(
                "[dream] Could not read a moment to dream of; trying again next cycle."
            )
            return
        if picked is None:
            return
        moment, replayed = picked
        dream_log.info(
            "[dream] Dreaming of cycle %s (%s), %s.",
            moment.cycle,
            moment.sigil_phrase,
            Replay.of(replayed).label,
        )
        show = await self._begin_cycle(
            DREAM_LOOP, slots, started=started, cycle_number=moment.cycle, is_dream=True
        )
        await show.ready(lambda: self._announce_moment(moment, is_dream=True, replayed=replayed))
        self.replay_counter.note(moment_id=moment.pk, mode=replayed.mode, at=timezone.now())

    async def _write_replays(self) -> None:
        batch = self.replay_counter.take()
        if not batch:
            return
        try:
            await _in_thread(replays_record)(batch=batch)
        except Exception:
            self.replay_counter.give_back(batch)
            dream_log.warning("[dream] Could not write the replay counts; kept for the next try.")

    def _replay_next(self) -> tuple[MindMoment, Replayed] | None:
        # The plan is read at every tick, so a change of mode shows at the next replay.
        return self.replayer.next(DreamSettings.load().replay_plan)

    async def _cognitive_tick(self) -> None:
        started = self.timer.clock.now()
        slots = self.timing.cognitive_phases
        percepts = await _in_thread(pending_percepts)()
        cycle = await _in_thread(moment_last_cycle)() + 1
        show = await self._begin_cycle(
            COGNITIVE_LOOP, slots, started=started, cycle_number=cycle, is_dream=False
        )
        await self.broadcast(CycleStarted(cycle=cycle, percept_count=len(percepts)))
        if not percepts:
            await self.broadcast(
                CycleCompleted(
                    cycle=cycle, skipped=True, reason="No new percepts since the last cycle."
                )
            )
            return
        cognition_log.info("[cognition] Cycle %s: cognizing %d percepts.", cycle, len(percepts))
        try:
            await self._apply(Event.COGNIZING)
            cognition = await _in_thread(cognize)(percepts)
            await self._apply(Event.VISUALIZING)
            await _in_thread(visualize)(cognition)
            moment = await _in_thread(moment_from_cognition)(cognition)
        except EngineError as error:
            cognition_log.warning("[cognition] Cycle %s failed: %s", cycle, error.reason)
            await self.broadcast(
                CycleFailed(cycle=cycle, reason=error.reason, message=error.operator_message)
            )
        except Exception:
            cognition_log.exception("[cognition] Cycle %s failed unexpectedly.", cycle)
            await self.broadcast(
                CycleFailed(
                    cycle=cycle, reason="error", message="The cycle failed; see the server log."
                )
            )
        else:
            completed = CycleCompleted(
                cycle=moment.cycle,
                skipped=False,
                moment_id=moment.pk,
                percept_count=len(percepts),
                duration_ms=cognition.call.duration_ms,
            )

            async def announce() -> None:
                await self._announce_moment(moment, is_dream=False)
                await self.broadcast(completed)

            await show.ready(announce)
        finally:
            await self._apply(Event.CYCLE_FINISHED)

    # -- dream runs ---------------------------------------------------------------------

    async def _work(self) -> None:
        """Claim the run the web queued, if any, and dream it (in a thread of its own,
        which renews the run's lease while the engine works)."""
        run = await _in_thread(dream_run_claim)(holder=self.holder)
        if run is not None:
            logger.info("Dream run %s (%s) claimed by the conductor.", run.pk, run.trigger)
            await _in_thread(dream_run_execute)(run)

    async def _schedule(self) -> None:
        """The embedded scheduler: a heartbeat, and a dream when one is due."""
        await _in_thread(scheduled_dream)(
            source=SchedulerSource.EMBEDDED, interval_s=round(self.scheduler_tick_s)
        )

    # -- sessions -----------------------------------------------------------------------

    async def _sessions_changed(self) -> None:
        count = await _in_thread(open_session_count)()
        changed = count != self.machine.sessions
        if changed:
            await self.broadcast(SessionsUpdate(count=count))
        await self._apply(Event.SESSIONS_CHANGED, sessions=count)
        if changed:
            await self._record_snapshot()

    async def _reap(self) -> None:
        """End silent sessions, and reconcile the session count with the database: the
        consumers' notices are only a shortcut, so a lost one costs a second at most."""
        if self._live_timing:
            self._retime(await _in_thread(_stored_timing)())
        cutoff = timezone.now() - timedelta(seconds=self.timing.session_timeout_s)
        expired = await _in_thread(sessions_expire)(inactive_since=cutoff)
        if expired:
            cognition_log.info("[cognition] %d sessions timed out.", len(expired))
            await sessions_told_they_ended(expired, reason=SessionEndReason.TIMED_OUT)
        if await _in_thread(open_session_count)() != self.machine.sessions:
            await self._sessions_changed()

    def _retime(self, timing: LoopTiming) -> None:
        if timing == self.timing:
            return
        logger.info(
            "Loop timing changed: a cognitive cycle every %gs, a dream every %gs, sessions "
            "time out after %gs.",
            timing.cognitive_cycle_s,
            timing.dream_cycle_s,
            timing.session_timeout_s,
        )
        self.timing = timing
        self.timer.retimed()

    async def _inbox(self) -> None:
        layer = get_channel_layer()
        while True:
            try:
                message = await layer.receive(CONDUCTOR_CHANNEL)
            except Exception:
                logger.exception("Could not read the conductor's channel; retrying.")
                await asyncio.sleep(1)
                continue
            try:
                await self._handle(message)
            except Exception:
                logger.exception("Could not handle a %s message.", message.get("type"))

    async def _handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "sessions.changed":
            await self._sessions_changed()
        elif kind == BROADCAST:
            await self.broadcast(event_of(message))


async def sessions_told_they_ended(session_ids: list[str], *, reason: SessionEndReason) -> None:
    """Tell each session's socket (in whichever web process) that its session is over:
    it sends `sessionEnded` with the reason, then closes."""
    layer = get_channel_layer()
    for session_id in session_ids:
        try:
            await layer.group_send(
                session_group(session_id), {"type": "session.ended", "reason": str(reason)}
            )
        except Exception:  # the perceptor finds out at its next frame
            logger.warning("Could not tell a session it ended.")


async def notify_conductor(message: dict) -> None:
    """Tell the conductor (wherever it runs) that sessions changed. A full channel
    drops the notice: the conductor reconciles sessions from the database each second."""
    try:
        await get_channel_layer().send(CONDUCTOR_CHANNEL, message)
    except ChannelFull:
        logger.warning("The conductor's channel is full; it will catch up from the database.")
