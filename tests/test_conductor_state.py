"""The state machine on its own: no sockets, no clock."""

import random

from dreams.conductor.state import Action, CognitiveState, Event, Machine, transition

S = CognitiveState


def run(events, machine=None):
    machine = machine or Machine()
    actions, states = [], []
    for event, sessions in events:
        step = transition(machine, event, sessions=sessions)
        machine = step.machine
        actions += step.actions
        states += step.states
    return machine, actions, states


def test_starting_with_no_sessions_dreams():
    machine, actions, states = run([(Event.STARTED, 0)])
    assert machine.state is S.DREAMING
    assert actions == [Action.START_DREAM_LOOP]
    assert states == [S.DREAMING]


def test_starting_with_open_sessions_aggregates():
    machine, actions, _ = run([(Event.STARTED, 2)])
    assert machine.state is S.AGGREGATING
    assert actions == [Action.START_COGNITIVE_LOOP]


def test_first_session_stops_dreaming_then_goes_idle_then_aggregating():
    machine, actions, states = run([(Event.STARTED, 0), (Event.SESSIONS_CHANGED, 1)])
    assert states == [S.DREAMING, S.IDLE, S.AGGREGATING]
    assert actions == [Action.START_DREAM_LOOP, Action.STOP_DREAM_LOOP, Action.START_COGNITIVE_LOOP]
    assert machine.state is S.AGGREGATING


def test_last_session_ending_stops_cognition_and_dreams_after_the_delay():
    _, actions, states = run(
        [(Event.STARTED, 1), (Event.SESSIONS_CHANGED, 0), (Event.DREAM_DELAY_ELAPSED, None)]
    )
    assert states == [S.AGGREGATING, S.IDLE, S.DREAMING]
    assert actions == [
        Action.START_COGNITIVE_LOOP,
        Action.STOP_COGNITIVE_LOOP,
        Action.SCHEDULE_DREAM_START,
        Action.START_DREAM_LOOP,
    ]


def test_a_session_arriving_during_the_delay_cancels_the_dream():
    machine, actions, _ = run(
        [(Event.STARTED, 1), (Event.SESSIONS_CHANGED, 0), (Event.SESSIONS_CHANGED, 1)]
    )
    assert machine.state is S.AGGREGATING
    assert Action.CANCEL_DREAM_START in actions
    late, late_actions, _ = run([(Event.DREAM_DELAY_ELAPSED, None)], machine)
    assert late.state is S.AGGREGATING and late_actions == []


def test_a_cycle_moves_through_cognizing_and_visualizing_back_to_aggregating():
    _, _, states = run(
        [
            (Event.STARTED, 1),
            (Event.COGNIZING, None),
            (Event.VISUALIZING, None),
            (Event.CYCLE_FINISHED, None),
        ]
    )
    assert states == [S.AGGREGATING, S.COGNIZING, S.VISUALIZING, S.AGGREGATING]


def test_reports_from_a_stopped_cognitive_loop_change_nothing():
    machine, _, _ = run([(Event.STARTED, 0), (Event.COGNIZING, None), (Event.CYCLE_FINISHED, None)])
    assert machine.state is S.DREAMING


def test_rapid_start_stop_pairs_always_leave_exactly_one_loop():
    rng = random.Random(7)
    machine = transition(Machine(), Event.STARTED, sessions=0).machine
    dream_loops, cognitive_loops = 1, 0
    for _ in range(200):
        for sessions in (1, 0):
            step = transition(machine, Event.SESSIONS_CHANGED, sessions=sessions)
            machine = step.machine
            dream_loops += step.actions.count(Action.START_DREAM_LOOP) - step.actions.count(
                Action.STOP_DREAM_LOOP
            )
            cognitive_loops += step.actions.count(Action.START_COGNITIVE_LOOP) - step.actions.count(
                Action.STOP_COGNITIVE_LOOP
            )
            assert dream_loops + cognitive_loops <= 1
            if rng.random() < 0.3:  # sometimes the delay elapses between the pairs
                step = transition(machine, Event.DREAM_DELAY_ELAPSED)
                machine = step.machine
                dream_loops += step.actions.count(Action.START_DREAM_LOOP)
    step = transition(machine, Event.DREAM_DELAY_ELAPSED)
    dream_loops += step.actions.count(Action.START_DREAM_LOOP)
    assert step.machine.state is S.DREAMING
    assert (dream_loops, cognitive_loops) == (1, 0)
