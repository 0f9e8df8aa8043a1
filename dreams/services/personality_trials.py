"""Trying a voice before it is saved: the selected engine thinks on sample percepts, or
dreams on the latest moments, in a voice that exists only in the request, and the outcome
is handed back to be shown. A dry run: nothing is written (no moment, review, run or sigil
image), so trying a voice changes neither history nor what observers see.

Each call keeps the time limit of the call it imitates, enforced where the engine is
called (its SDK's timeout, a process-group kill for a CLI): a cognition the engine's own
limit, a dream the dream settings' limit.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dreams.models import DreamSettings
from dreams.selectors.moments import moment_context
from dreams.selectors.personalities import trial_dream_material
from dreams.services.cognition import prior_moments
from dreams.services.continuity import open_threads
from dreams.services.dream_runs import dream_draft_checked
from engines.contracts import DreamDraft, MomentDraft, PerceptInput, Voice
from engines.errors import EngineError
from engines.services import EngineCall, engine_cognize, engine_dream

NO_MATERIAL_COPY = (
    "There are no moments to dream about yet: the voice of dreaming can be tried once the "
    "mind has had a few."
)


class TrialKind(StrEnum):
    COGNITION = "cognition"
    DREAM = "dream"


@dataclass(frozen=True)
class TrialOutcome:
    """What the engine answered, as a page shows it. `title` is a dream's; `text` is the
    moment's text or the dream's narrative."""

    kind: TrialKind
    engine: str
    model: str
    duration_ms: int
    text: str
    sigil_phrase: str
    sigil_commands: list[list]
    valence: float
    arousal: float
    title: str = ""
    material_count: int = 0


class TrialFailed(Exception):
    """The trial produced nothing to show; `message` is product copy for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _outcome(
    kind: TrialKind, call: EngineCall[MomentDraft] | EngineCall[DreamDraft], **words: Any
) -> TrialOutcome:
    """What a trial shows of an engine's answer: `words` are the kind's own (its text, a
    dream's title and material count), the rest is common to both drafts."""
    draft = call.draft
    return TrialOutcome(
        kind=kind,
        engine=call.engine,
        model=call.model,
        duration_ms=call.duration_ms,
        sigil_phrase=draft.sigil_phrase,
        sigil_commands=draft.sigil_commands,
        valence=draft.circumplex.valence,
        arousal=draft.circumplex.arousal,
        **words,
    )


def personality_try_cognition(*, voice: Voice, percepts: Sequence[PerceptInput]) -> TrialOutcome:
    """The moment the selected engine would write from `percepts` in `voice`, with the
    latest moments as context, as the cognitive loop gives them."""
    try:
        call = engine_cognize(
            percepts=percepts,
            prior_moments=[moment_context(moment) for moment in prior_moments()],
            voice=voice,
        )
    except EngineError as error:
        raise TrialFailed(error.operator_message) from None
    return _outcome(TrialKind.COGNITION, call, text=call.draft.mind_moment)


def personality_try_dream(*, voice: Voice) -> TrialOutcome:
    """The dream the selected engine would write in `voice` from the latest moments and
    the open continuity threads."""
    material = trial_dream_material()
    if not material:
        raise TrialFailed(NO_MATERIAL_COPY)
    try:
        call = dream_draft_checked(
            engine_dream(
                material=[moment_context(moment) for moment in material],
                continuity=open_threads(),
                voice=voice,
                timeout=DreamSettings.load().timeout_s,
            ),
            {moment.pk for moment in material},
        )
    except EngineError as error:
        raise TrialFailed(error.operator_message) from None
    return _outcome(
        TrialKind.DREAM,
        call,
        title=call.draft.title,
        text=call.draft.narrative,
        material_count=len(material),
    )
