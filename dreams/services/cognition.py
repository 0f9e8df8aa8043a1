"""One cognitive cycle, in steps the conductor announces: take the waiting percepts,
cognize them with the selected engine, visualize the sigil, then write the mind moment
and mark the percepts as consumed in one transaction."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from dreams.models import MindMoment, MomentKind, Percept, PerceptKind, Personality
from dreams.selectors.moments import moment_context
from dreams.selectors.personalities import personality_active, voice_of
from dreams.services.moments import moment_create
from dreams.services.sigil_images import SigilImageFormat, sigil_image_get_or_render
from engines.contracts import MomentDraft, PerceptInput
from engines.services import EngineCall, engine_cognize

PRIOR_MOMENTS_AS_CONTEXT = 3
MAX_PERCEPTS_PER_CYCLE = 100


@dataclass(frozen=True)
class Cognition:
    percepts: list[Percept]
    call: EngineCall[MomentDraft]
    prior: list[MindMoment]
    # The version whose voice the engine was given (None: the default voice, with no
    # version in the database).
    personality: Personality | None = None


def pending_percepts() -> list[Percept]:
    """Percepts no cycle has consumed yet, oldest first (kept across failed cycles and
    conductor restarts)."""
    return list(
        Percept.objects.filter(moment__isnull=True).order_by("received_at", "id")[
            :MAX_PERCEPTS_PER_CYCLE
        ]
    )


def _percept_input(percept: Percept) -> PerceptInput:
    payload = percept.payload
    return PerceptInput(
        kind=percept.kind,
        description=str(payload.get("description", "")),
        transcript=str(payload.get("transcript", "")),
        valence=payload.get("valence"),
        arousal=payload.get("arousal"),
    )


def prior_moments() -> list[MindMoment]:
    """The moments the next cognition is given as context: the latest few."""
    return list(MindMoment.objects.order_by("-cycle")[:PRIOR_MOMENTS_AS_CONTEXT])


def cognize(percepts: Sequence[Percept], *, timeout: float | None = None) -> Cognition:
    prior = prior_moments()
    personality = personality_active()
    call = engine_cognize(
        percepts=[_percept_input(percept) for percept in percepts],
        prior_moments=[moment_context(moment) for moment in prior],
        voice=voice_of(personality),
        timeout=timeout,
    )
    return Cognition(list(percepts), call, prior, personality)


def visualize(cognition: Cognition) -> None:
    """Render the images observers will fetch, so the first request is served from disk."""
    for image_format in (SigilImageFormat.PNG, SigilImageFormat.SDF):
        sigil_image_get_or_render(
            commands=cognition.call.draft.sigil_commands, image_format=image_format
        )


@transaction.atomic
def moment_from_cognition(cognition: Cognition) -> MindMoment:
    draft = cognition.call.draft
    percepts = cognition.percepts
    sessions = {percept.session_id for percept in percepts}
    moment = moment_create(
        kind=MomentKind.LIVE,
        text=draft.mind_moment,
        sigil_phrase=draft.sigil_phrase,
        sigil_code=draft.sigil_code,
        sigil_commands=draft.sigil_commands,
        valence=draft.circumplex.valence,
        arousal=draft.circumplex.arousal,
        engine=cognition.call.engine,
        processing_ms=cognition.call.duration_ms,
        visual_percepts=[p.payload for p in percepts if p.kind == PerceptKind.VISUAL],
        audio_percepts=[p.payload for p in percepts if p.kind == PerceptKind.AUDIO],
        prior_moments=cognition.prior,
        session=percepts[0].session if len(sessions) == 1 else None,
        personality=cognition.personality,
    )
    Percept.objects.filter(pk__in=[percept.pk for percept in percepts]).update(moment=moment)
    return moment
