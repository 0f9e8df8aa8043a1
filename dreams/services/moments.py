"""Writing mind moments: the one place that hands out the global cycle number."""

from django.db import IntegrityError, transaction

from dreams.emotion import circumplex_colour
from dreams.models import MindMoment, MomentKind, Personality, Session
from dreams.selectors.moments import moment_last_cycle

_CYCLE_ATTEMPTS = 5


def moment_create(
    *,
    kind: MomentKind,
    text: str,
    sigil_phrase: str,
    sigil_code: str,
    sigil_commands: list[list],
    valence: float,
    arousal: float,
    engine: str,
    processing_ms: int | None = None,
    visual_percepts: list[dict] | None = None,
    audio_percepts: list[dict] | None = None,
    prior_moments: list[MindMoment] | None = None,
    session: Session | None = None,
    personality: Personality | None = None,
) -> MindMoment:
    """Create a moment with the next global cycle. Two writers racing for the same cycle
    (possible on PostgreSQL) are told apart by the unique constraint; the loser retries."""
    for attempt in range(_CYCLE_ATTEMPTS):
        try:
            with transaction.atomic():
                moment = MindMoment.objects.create(
                    cycle=moment_last_cycle() + 1,
                    kind=kind,
                    text=text,
                    sigil_phrase=sigil_phrase,
                    sigil_code=sigil_code,
                    sigil_commands=sigil_commands,
                    valence=valence,
                    arousal=arousal,
                    colour=circumplex_colour(valence, arousal),
                    engine=engine,
                    processing_ms=processing_ms,
                    visual_percepts=visual_percepts or [],
                    audio_percepts=audio_percepts or [],
                    session=session,
                    personality=personality,
                )
                if prior_moments:
                    moment.prior_moments.set(prior_moments)
                return moment
        except IntegrityError:
            if attempt == _CYCLE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
