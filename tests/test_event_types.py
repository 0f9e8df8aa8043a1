"""The events' Literal types name exactly the values the models and the state machine hold,
so reading a column back as one of them (`MindMomentAnnounced.of`, `DreamRunChanged.of`,
the snapshot's state) cannot name a value the event refuses."""

from typing import get_args

import pytest

from dreams.conductor.phases import Phase
from dreams.conductor.state import CognitiveState
from dreams.models import MomentKind, RunStatus, SessionEndReason, Trigger
from dreams.realtime.events import (
    MomentKindValue,
    PhaseName,
    ReplayModeValue,
    RunStatusValue,
    SessionEndReasonValue,
    State,
    TriggerValue,
)
from dreams.replay import ReplayMode
from engines.errors import EngineError, EngineFailure


@pytest.mark.parametrize(
    ("literal", "values"),
    [
        (MomentKindValue, MomentKind.values),
        (TriggerValue, Trigger.values),
        (RunStatusValue, RunStatus.values),
        (SessionEndReasonValue, SessionEndReason.values),
        (State, [state.value for state in CognitiveState]),
        (PhaseName, [phase.value for phase in Phase]),
        (ReplayModeValue, ReplayMode.values),
    ],
)
def test_each_event_literal_names_the_values_its_source_holds(literal, values):
    assert sorted(get_args(literal)) == sorted(values)


def test_every_engine_failure_reason_is_a_declared_one():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    reasons = {cls.reason for cls in [EngineError, *subclasses(EngineError)]}
    assert reasons <= set(get_args(EngineFailure))
