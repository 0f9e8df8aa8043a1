"""Reads of dream runs and reviews: the run that holds the lock, the latest review, and the
material for the next dream."""

from dataclasses import dataclass

from django.db.models import Count, F, Max, QuerySet

from dreams.models import (
    ACTIVE_RUN_STATUSES,
    DreamReview,
    DreamRun,
    MindMoment,
    MomentKind,
    RunReason,
    RunStatus,
)


def dream_run_active() -> DreamRun | None:
    """The run that holds the single-run lock: queued for a worker, or running."""
    return DreamRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).first()


def dream_run_queryset() -> QuerySet[DreamRun]:
    """Every run, newest first (the model's ordering)."""
    return DreamRun.objects.all()


def dream_run_history() -> QuerySet[DreamRun]:
    """Runs, newest first, without the "not due" skips: cron checks every few minutes and
    those would crowd out the runs that matter."""
    return DreamRun.objects.exclude(status=RunStatus.SKIPPED, reason=RunReason.NOT_DUE)


def dream_run_stage(run_id: int) -> str | None:
    return DreamRun.objects.filter(pk=run_id).values_list("stage", flat=True).first()


def review_queryset() -> QuerySet[DreamReview]:
    return DreamReview.objects.select_related("moment", "personality")


def latest_review() -> DreamReview | None:
    return review_queryset().order_by("-sequence").first()


@dataclass(frozen=True)
class DreamMaterial:
    moments: list[MindMoment]
    new_count: int
    through_cycle: int


def _new_moments(after_cycle: int) -> QuerySet[MindMoment]:
    # Dreams consolidate waking life: earlier dreams are not material for the next one.
    return MindMoment.objects.filter(cycle__gt=after_cycle).exclude(kind=MomentKind.DREAM)


def material_watermark() -> int:
    review = latest_review()
    return review.material_through_cycle if review else 0


def new_moment_count() -> int:
    return _new_moments(material_watermark()).count()


def dream_material(*, limit: int) -> DreamMaterial:
    """The most salient moments since the last written dream, at most `limit` of them.
    Salience is emotional intensity (distance from the circumplex centre); ties go to
    the more recent moment."""
    new = _new_moments(material_watermark())
    summary = new.aggregate(count=Count("id"), through=Max("cycle"))
    chosen: list[MindMoment] = list(
        new.annotate(salience=F("valence") * F("valence") + F("arousal") * F("arousal")).order_by(
            "-salience", "-cycle"
        )[:limit]
    )
    return DreamMaterial(chosen, summary["count"], summary["through"] or 0)
