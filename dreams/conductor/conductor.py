"""The conductor: it owns the cognitive state, the live sessions and the two loops.

It runs as an asyncio task, either inside the web process (`manage.py serve`, the embedded
setup) or in its own process (`manage.py run_conductor`), and conducts only while it holds
the leader lease. Consumers tell it about sessions over the channel layer; sessions and
percepts themselves live in the database, so a standby that takes over finds them intact.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from dreams.conductor.leader import Snapshot, holder_name, lease_release, lease_renew, lease_take
from dreams.conductor.payloads import inline_sdf, mind_moment_data, sigil_data
from dreams.conductor.state import Action, CognitiveState, Event, Machine, transition
from dreams.dream_pick import random_sigil_moment
from dreams.fanout import EncodedEvent, FanOut
from dreams.models import DreamSettings, MindMoment
from dreams.realtime import CONDUCTOR_CHANNEL, encode_frame, json_safe, set_local_conductor
from dreams.selectors import moment_last_cycle
from dreams.services.cognition import cognize, moment_from_cognition, pending_percepts, visualize
from dreams.services.sessions import open_session_count, sessions_expire
from engines.errors import EngineError

logger = logging.getLogger(__name__)
dream_log = logging.getLogger("dreams.conductor.dream")
cognition_log = logging.getLogger("dreams.conductor.cognition")

RENEW_EVERY_S = 1.0
STANDBY_POLL_S = 0.5
REAP_EVERY_S = 1.0
# A new leader cannot know the last seq its predecessor sent after its last heartbeat;
# jumping ahead keeps seq rising, and observers see the gap and resync.
SEQ_JUMP_ON_TAKEOVER = 1000


@dataclass(frozen=True)
class Timing:
    cognitive_cycle_s: float
    dream_cycle_s: float
    dream_start_delay_s: float
    session_timeout_s: float

    @classmethod
    def from_settings(cls) -> "Timing":
        """The live loop timing stored by setup (or the environment's), read from the
        database: call it in a worker thread."""
        loop = DreamSettings.load().loop_timing
        return cls(
            loop.cognitive_cycle_ms / 1000,
            loop.dream_cycle_ms / 1000,
            settings.DREAM_START_DELAY_MS / 1000,
            loop.session_timeout_ms / 1000,
        )


def _in_thread(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ORM or engine work in a worker thread (an engine call may take many seconds:
    it must not hold the thread other database work shares)."""

    def closing(*args: object, **kwargs: object) -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(closing, thread_sensitive=False)


async def _every(
    period: Callable[[], float],
    tick: Callable[[], Awaitable[None]],
    *,
    first_now: bool,
    retimed: asyncio.Event,
) -> None:
    """Call `tick` on a fixed schedule of the monotonic clock: ticks never overlap, and a
    slow tick skips the slots it overran instead of drifting. When `retimed` fires during a
    wait, the period is read again and the next tick counts from the last one, so a new
    period applies without a restart and without cutting a tick short."""
    loop = asyncio.get_running_loop()
    current = period()
    last = loop.time()
    due = last if first_now else last + current
    while True:
        while True:
            if period() != current:
                current = period()
                due = last + current
            wait = due - loop.time()
            if wait <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(retimed.wait(), timeout=wait)
        last = due
        try:
            await tick()
        except Exception:  # one failed tick must not end the loop
            logger.exception("A loop tick failed; the loop goes on.")
        due = last + current * (int((loop.time() - last) // current) + 1)


class Conductor:
    def __init__(self, *, timing: Timing | None = None, holder: str | None = None) -> None:
        # Without a fixed timing, the stored one is read when leading starts and then by
        # the reaper each second, so setup's changes apply without a restart.
        self._live_timing = timing is None
        self.timing = timing or Timing(0, 0, 0, 0)
        self._retimed = asyncio.Event()
        self.holder = holder or holder_name()
        self.machine = Machine()
        self.seq = 0
        self.fanout = FanOut()
        self.last_sigil: tuple[int, bool] | None = None
        self.last_dream_id: int | None = None
        self._lock = asyncio.Lock()
        self._dream_task: asyncio.Task | None = None
        self._cognitive_task: asyncio.Task | None = None
        self._delay_task: asyncio.Task | None = None
        self.leading = asyncio.Event()

    # -- leadership ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for the lease as a standby, conduct while holding it, until `stop`."""
        logger.info("Conductor %s started; waiting for the leader lease.", self.holder)
        try:
            while not stop.is_set():
                lease = await _in_thread(lease_take)(holder=self.holder)
                if lease is None:
                    await _wait(stop, STANDBY_POLL_S)
                    continue
                await self._lead(stop, previous_seq=lease.seq)
        finally:
            await self.fanout.close()

    async def _lead(self, stop: asyncio.Event, *, previous_seq: int) -> None:
        logger.info("Conductor %s is now the leader.", self.holder)
        self.seq = previous_seq + SEQ_JUMP_ON_TAKEOVER if previous_seq else 0
        self.machine = Machine()
        set_local_conductor(asyncio.get_running_loop(), self._handle)
        helpers: list[asyncio.Task] = []
        try:
            if self._live_timing:
                self.timing = await _in_thread(Timing.from_settings)()
            sessions = await _in_thread(open_session_count)()
            await self._apply(Event.STARTED, sessions=sessions)
            # Only now may notices arrive: one handled before STARTED would wake the
            # machine twice and start a second loop.
            helpers = [
                asyncio.create_task(self._inbox(), name="conductor-inbox"),
                asyncio.create_task(
                    _loop_forever(REAP_EVERY_S, self._reap), name="conductor-reaper"
                ),
            ]
            self.leading.set()
            await self._hold_lease(stop)
        finally:
            self.leading.clear()
            set_local_conductor(asyncio.get_running_loop(), None)
            for task in (*helpers, self._dream_task, self._cognitive_task, self._delay_task):
                await _stop_task(task)
            self._dream_task = self._cognitive_task = self._delay_task = None
            await _in_thread(lease_release)(holder=self.holder)
            logger.info("Conductor %s stopped leading.", self.holder)

    async def _hold_lease(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await _wait(stop, RENEW_EVERY_S)
            try:
                renewed = await _in_thread(lease_renew)(
                    holder=self.holder, snapshot=self.snapshot()
                )
            except Exception:
                logger.exception("Could not renew the leader lease.")
                renewed = False
            if not renewed:
                logger.warning("Conductor %s lost the leader lease.", self.holder)
                return

    def snapshot(self) -> Snapshot:
        moment_id, is_dream = self.last_sigil or (None, False)
        return Snapshot(self.machine.state, self.machine.sessions, self.seq, moment_id, is_dream)

    # -- the state machine --------------------------------------------------------------

    async def _apply(self, event: Event, *, sessions: int | None = None) -> None:
        async with self._lock:
            step = transition(self.machine, event, sessions=sessions)
            self.machine = step.machine
            for action in step.actions:
                self._carry_out(action)
            for state in step.states:
                log = dream_log if state is CognitiveState.DREAMING else cognition_log
                log.info("State %s (%d sessions).", state, self.machine.sessions)
                await self.broadcast("cognitiveState", {"state": state})
            if step.states:
                await self._record_snapshot()

    async def _record_snapshot(self) -> None:
        """What a newly connected observer is told; written at once, not at the next
        heartbeat, so no observer is told of a state that is over."""
        try:
            await _in_thread(lease_renew)(holder=self.holder, snapshot=self.snapshot())
        except Exception:
            logger.exception("Could not record the conductor's state.")

    def _carry_out(self, action: Action) -> None:
        # Starting a loop replaces any loop of the same kind, so there is never a second.
        if action is Action.START_DREAM_LOOP:
            _cancel(self._dream_task)
            dream_log.info(
                "[dream] Dream loop starts: replaying a moment every %gs.",
                self.timing.dream_cycle_s,
            )
            self._dream_task = self._loop(
                "dream-loop", lambda: self.timing.dream_cycle_s, self._dream_tick, first_now=True
            )
        elif action is Action.STOP_DREAM_LOOP:
            dream_log.info("[dream] Dream loop stops.")
            _cancel(self._dream_task)
            self._dream_task = None
        elif action is Action.START_COGNITIVE_LOOP:
            _cancel(self._cognitive_task)
            cognition_log.info(
                "[cognition] Cognitive loop starts: a cycle every %gs.",
                self.timing.cognitive_cycle_s,
            )
            self._cognitive_task = self._loop(
                "cognitive-loop",
                lambda: self.timing.cognitive_cycle_s,
                self._cognitive_tick,
                first_now=False,
            )
        elif action is Action.STOP_COGNITIVE_LOOP:
            cognition_log.info("[cognition] Cognitive loop stops.")
            _cancel(self._cognitive_task)
            self._cognitive_task = None
        elif action is Action.SCHEDULE_DREAM_START:
            self._delay_task = asyncio.create_task(self._dream_after_delay(), name="dream-delay")
        elif action is Action.CANCEL_DREAM_START:
            _cancel(self._delay_task)
            self._delay_task = None

    def _loop(
        self,
        name: str,
        period_s: Callable[[], float],
        tick: Callable[[], Awaitable[None]],
        *,
        first_now: bool,
    ) -> asyncio.Task:
        """A loop ticking on the monotonic clock at the period in force, which the loop
        reads again whenever the stored timing changes."""
        return asyncio.create_task(
            _every(period_s, tick, first_now=first_now, retimed=self._retimed), name=name
        )

    async def _dream_after_delay(self) -> None:
        await asyncio.sleep(self.timing.dream_start_delay_s)
        self._delay_task = None
        await self._apply(Event.DREAM_DELAY_ELAPSED)

    # -- broadcasting -------------------------------------------------------------------

    async def broadcast(self, event: str, data: dict, *, inline_sdf: dict | None = None) -> None:
        """Number the event and send it, encoded once (twice for sigils: with and without
        the inline distance field some observers ask for)."""
        self.seq += 1
        with_sdf = None
        if inline_sdf is not None:
            with_sdf = encode_frame(event, {**data, "sdf": inline_sdf}, self.seq)
        encoded = EncodedEvent(self.seq, event, encode_frame(event, data, self.seq), with_sdf)
        try:
            await self.fanout.publish(encoded)
        except Exception:
            logger.exception("Could not deliver %s to observers.", event)

    async def _announce_moment(self, moment: MindMoment, *, is_dream: bool) -> None:
        def payloads() -> tuple[dict, dict, dict]:
            # The distance field takes milliseconds: computed first, so the events'
            # timestamps are taken just before they are broadcast.
            sdf = inline_sdf(moment)
            return (
                sigil_data(moment, is_dream=is_dream),
                sdf,
                mind_moment_data(moment, is_dream=is_dream),
            )

        sigil, sdf, mind_moment = await _in_thread(payloads)()
        self.last_sigil = (moment.pk, is_dream)
        await self.broadcast("sigil", sigil, inline_sdf=sdf)
        await self.broadcast("mindMoment", mind_moment)
        await self._record_snapshot()

    # -- the loops ----------------------------------------------------------------------

    async def _dream_tick(self) -> None:
        try:
            moment = await _in_thread(random_sigil_moment)(exclude_id=self.last_dream_id)
        except Exception:
            dream_log.exception(
                "[dream] Could not read a moment to dream of; trying again next cycle."
            )
            return
        if moment is None:
            dream_log.info("[dream] Nothing to dream of yet: no moment has a sigil.")
            return
        self.last_dream_id = moment.pk
        dream_log.info("[dream] Dreaming of cycle %s (%s).", moment.cycle, moment.sigil_phrase)
        await self._announce_moment(moment, is_dream=True)

    async def _cognitive_tick(self) -> None:
        percepts = await _in_thread(pending_percepts)()
        cycle = await _in_thread(moment_last_cycle)() + 1
        await self.broadcast("cycleStarted", {"cycle": cycle, "perceptCount": len(percepts)})
        if not percepts:
            await self.broadcast(
                "cycleCompleted",
                {
                    "cycle": cycle,
                    "skipped": True,
                    "reason": "No new percepts since the last cycle.",
                },
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
                "cycleFailed",
                {"cycle": cycle, "reason": error.reason, "message": error.operator_message},
            )
        except Exception:
            cognition_log.exception("[cognition] Cycle %s failed unexpectedly.", cycle)
            await self.broadcast(
                "cycleFailed",
                {
                    "cycle": cycle,
                    "reason": "error",
                    "message": "The cycle failed; see the server log.",
                },
            )
        else:
            await self._announce_moment(moment, is_dream=False)
            await self.broadcast(
                "cycleCompleted",
                {
                    "cycle": moment.cycle,
                    "skipped": False,
                    "momentId": moment.pk,
                    "perceptCount": len(percepts),
                    "durationMs": cognition.call.duration_ms,
                },
            )
        finally:
            await self._apply(Event.CYCLE_FINISHED)

    # -- sessions -----------------------------------------------------------------------

    async def _sessions_changed(self) -> None:
        count = await _in_thread(open_session_count)()
        changed = count != self.machine.sessions
        if changed:
            await self.broadcast("sessionsUpdate", {"count": count})
        await self._apply(Event.SESSIONS_CHANGED, sessions=count)
        if changed:
            await self._record_snapshot()

    async def _reap(self) -> None:
        """End silent sessions, and reconcile the session count with the database: the
        consumers' notices are only a shortcut, so a lost one costs a second at most."""
        if self._live_timing:
            self._retime(await _in_thread(Timing.from_settings)())
        cutoff = timezone.now() - timezone.timedelta(seconds=self.timing.session_timeout_s)
        if await _in_thread(sessions_expire)(inactive_since=cutoff):
            cognition_log.info("[cognition] Sessions timed out.")
        if await _in_thread(open_session_count)() != self.machine.sessions:
            await self._sessions_changed()

    def _retime(self, timing: Timing) -> None:
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
        # set() wakes every loop waiting now; clearing at once keeps later waits waiting.
        self._retimed.set()
        self._retimed.clear()

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
        elif kind == "percept.received":
            await self.broadcast("perceptReceived", message["percept"])
        elif kind == "broadcast":
            await self.broadcast(message["event"], message["data"])


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _loop_forever(period: float, tick: Callable[[], Awaitable[None]]) -> None:
    while True:
        await asyncio.sleep(period)
        try:
            await tick()
        except Exception:
            logger.exception("Conductor housekeeping failed; trying again.")


def _cancel(task: asyncio.Task | None) -> None:
    if task is not None:
        task.cancel()


async def _stop_task(task: asyncio.Task | None) -> None:
    if task is None:
        return
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def notify_conductor(message: dict) -> None:
    """Tell the conductor (wherever it runs) about sessions or percepts. A full channel
    drops the notice: the conductor reconciles sessions from the database each second."""
    try:
        await get_channel_layer().send(CONDUCTOR_CHANNEL, json_safe(message))
    except ChannelFull:
        logger.warning("The conductor's channel is full; it will catch up from the database.")
