"""Reads of personalities: the version in force and the voice it gives, every version with
how much of history it made, and the moments a dream trial consolidates."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from dreams.models import DreamReview, MindMoment, MomentKind, Personality
from engines.contracts import Voice
from engines.prompts import DEFAULT_VOICE

# How many recent waking moments a trial of the voice of dreaming consolidates.
TRIAL_DREAM_MOMENTS = 30


def personality_active() -> Personality | None:
    """The active version. None only where every version was removed from the database
    by hand (the migration seeds one, the services never leave none active)."""
    return Personality.objects.filter(is_active=True).first()


def voice_of(personality: Personality | None) -> Voice:
    """The voice a version gives; with no version, the default voice (recorded as none)."""
    return personality.voice if personality is not None else DEFAULT_VOICE


def _cited_by(model: type[MindMoment] | type[DreamReview]) -> Coalesce:
    """How many rows of `model` a version made, counted through the foreign key's index."""
    counted = (
        model.objects.filter(personality=OuterRef("pk"))
        .order_by()
        .values("personality")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def personality_versions() -> QuerySet[Personality]:
    """Every version, newest first, with `moment_count` and `review_count`: how many mind
    moments and dream reviews it made."""
    return Personality.objects.annotate(
        moment_count=_cited_by(MindMoment), review_count=_cited_by(DreamReview)
    ).order_by("-version")


def personality_get(pk: int) -> Personality | None:
    return personality_versions().filter(pk=pk).first()


def trial_dream_material(*, limit: int = TRIAL_DREAM_MOMENTS) -> list[MindMoment]:
    """The latest waking moments (not dreams), oldest first: what a trial of the voice of
    dreaming consolidates, whether or not a dream already has."""
    recent = MindMoment.objects.exclude(kind=MomentKind.DREAM).order_by("-cycle")[:limit]
    return sorted(recent, key=lambda moment: moment.cycle)
