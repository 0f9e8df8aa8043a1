"""The cognitive state machine as a pure function: (machine, event) -> (machine, actions).

No clocks, sockets or tasks here; the conductor carries out the actions. That keeps the
rules (never both loops, dreaming only when nobody is connected, a delay before dreaming
resumes) testable on their own.
"""

from dataclasses import dataclass, replace
from enum import StrEnum


class CognitiveState(StrEnum):
    IDLE = "IDLE"
    AGGREGATING = "AGGREGATING"
    COGNIZING = "COGNIZING"
    VISUALIZING = "VISUALIZING"
    DREAMING = "DREAMING"


LIVE_STATES = frozenset(
    {CognitiveState.AGGREGATING, CognitiveState.COGNIZING, CognitiveState.VISUALIZING}
)


class Action(StrEnum):
    START_DREAM_LOOP = "start_dream_loop"
    STOP_DREAM_LOOP = "stop_dream_loop"
    START_COGNITIVE_LOOP = "start_cognitive_loop"
    STOP_COGNITIVE_LOOP = "stop_cognitive_loop"
    SCHEDULE_DREAM_START = "schedule_dream_start"
    CANCEL_DREAM_START = "cancel_dream_start"


class Event(StrEnum):
    STARTED = "started"
    SESSIONS_CHANGED = "sessions_changed"
    DREAM_DELAY_ELAPSED = "dream_delay_elapsed"
    COGNIZING = "cognizing"
    VISUALIZING = "visualizing"
    CYCLE_FINISHED = "cycle_finished"


@dataclass(frozen=True)
class Machine:
    state: CognitiveState = CognitiveState.IDLE
    sessions: int = 0
    dream_start_pending: bool = False

    @property
    def dreaming(self) -> bool:
        return self.state is CognitiveState.DREAMING

    @property
    def cognizing(self) -> bool:
        return self.state in LIVE_STATES


@dataclass(frozen=True)
class Step:
    """The machine after an event, the actions to carry out in order, and every state it
    passed through (each is announced to observers)."""

    machine: Machine
    actions: tuple[Action, ...] = ()
    states: tuple[CognitiveState, ...] = ()


def _wake(machine: Machine) -> Step:
    """Someone is here: stop dreaming (or a pending dream start), then aggregate."""
    actions: list[Action] = []
    states: list[CognitiveState] = []
    if machine.dreaming:
        actions.append(Action.STOP_DREAM_LOOP)
        states.append(CognitiveState.IDLE)
    if machine.dream_start_pending:
        actions.append(Action.CANCEL_DREAM_START)
    actions.append(Action.START_COGNITIVE_LOOP)
    states.append(CognitiveState.AGGREGATING)
    return Step(
        replace(machine, state=CognitiveState.AGGREGATING, dream_start_pending=False),
        tuple(actions),
        tuple(states),
    )


def _rest(machine: Machine) -> Step:
    """Nobody is left: stop cognition, go idle, and dream after the delay."""
    actions = [Action.SCHEDULE_DREAM_START]
    if machine.cognizing:
        actions.insert(0, Action.STOP_COGNITIVE_LOOP)
    return Step(
        replace(machine, state=CognitiveState.IDLE, dream_start_pending=True),
        tuple(actions),
        (CognitiveState.IDLE,),
    )


def transition(machine: Machine, event: Event, *, sessions: int | None = None) -> Step:
    """Apply `event`; `sessions` is the live session count for STARTED and SESSIONS_CHANGED."""
    if event in (Event.STARTED, Event.SESSIONS_CHANGED):
        count = machine.sessions if sessions is None else sessions
        machine = replace(machine, sessions=count)
        if event is Event.STARTED:
            if count:
                return _wake(machine)
            return Step(
                replace(machine, state=CognitiveState.DREAMING),
                (Action.START_DREAM_LOOP,),
                (CognitiveState.DREAMING,),
            )
        if count and not machine.cognizing:
            return _wake(machine)
        if not count and (machine.cognizing or machine.state is CognitiveState.IDLE):
            if machine.dream_start_pending:
                return Step(machine)
            return _rest(machine)
        return Step(machine)
    if event is Event.DREAM_DELAY_ELAPSED:
        if machine.dream_start_pending and not machine.sessions:
            return Step(
                replace(machine, state=CognitiveState.DREAMING, dream_start_pending=False),
                (Action.START_DREAM_LOOP,),
                (CognitiveState.DREAMING,),
            )
        return Step(replace(machine, dream_start_pending=False))
    # The cognitive loop reports its progress; stale reports from a stopped loop are ignored.
    if not machine.cognizing:
        return Step(machine)
    target = {
        Event.COGNIZING: CognitiveState.COGNIZING,
        Event.VISUALIZING: CognitiveState.VISUALIZING,
        Event.CYCLE_FINISHED: CognitiveState.AGGREGATING,
    }[event]
    if target is machine.state:
        return Step(machine)
    return Step(replace(machine, state=target), (), (target,))
