"""Reads of mind moments that more than one caller needs."""

from dataclasses import dataclass
from datetime import UTC, datetime

import django_filters
from django.db.models import Count, F, Max, Q, QuerySet

from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN
from dreams.models import (
    ACTIVE_RUN_STATUSES,
    SETTABLE_FIELDS,
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    MomentKind,
)
from engines.contracts import MomentContext


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time with any offset Python accepts, compared in UTC: PostgreSQL refuses
    offsets beyond 15:59, which a caller may well send."""

    def filter(self, qs: QuerySet, value: datetime | None) -> QuerySet:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


class MomentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MomentKind.choices)
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    # Strict: "perhaps" is an error, not "no filter" as a plain BooleanFilter would have it.
    has_sigil = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
    )
    valence_min = django_filters.NumberFilter(
        field_name="valence", lookup_expr="gte", min_value=CIRCUMPLEX_MIN, max_value=CIRCUMPLEX_MAX
    )
    valence_max = django_filters.NumberFilter(
        field_name="valence", lookup_expr="lte", min_value=CIRCUMPLEX_MIN, max_value=CIRCUMPLEX_MAX
    )
    arousal_min = django_filters.NumberFilter(
        field_name="arousal", lookup_expr="gte", min_value=CIRCUMPLEX_MIN, max_value=CIRCUMPLEX_MAX
    )
    arousal_max = django_filters.NumberFilter(
        field_name="arousal", lookup_expr="lte", min_value=CIRCUMPLEX_MIN, max_value=CIRCUMPLEX_MAX
    )
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Text search")

    class Meta:
        model = MindMoment
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(text__icontains=value) | Q(sigil_phrase__icontains=value))


def dream_run_active() -> DreamRun | None:
    """The run that holds the single-run lock: queued for a worker, or running."""
    return DreamRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).first()


def moment_queryset() -> QuerySet[MindMoment]:
    """Moments with what the API shows of them, newest cycle first."""
    return MindMoment.objects.prefetch_related("prior_moments").order_by("-cycle")


def moment_last_cycle() -> int:
    last = MindMoment.objects.order_by("-cycle").values_list("cycle", flat=True).first()
    return last or 0


def latest_review() -> DreamReview | None:
    return DreamReview.objects.select_related("moment").order_by("-sequence").first()


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
    chosen = list(
        new.annotate(salience=F("valence") * F("valence") + F("arousal") * F("arousal")).order_by(
            "-salience", "-cycle"
        )[:limit]
    )
    return DreamMaterial(chosen, summary["count"], summary["through"] or 0)


def moment_context(moment: MindMoment) -> MomentContext:
    """A moment as engines see it: as context for cognition, or as dream material."""
    return MomentContext(
        id=moment.pk,
        cycle=moment.cycle,
        text=moment.text,
        sigil_phrase=moment.sigil_phrase,
        valence=moment.valence,
        arousal=moment.arousal,
        created_at=moment.created_at,
        sigil_commands=moment.sigil_commands,
    )


def dream_settings_summary(row: DreamSettings) -> dict[str, object]:
    """The dream settings as plain data: what the command and the settings API show."""
    timing = row.loop_timing
    return {
        **{name: getattr(row, name) for name in SETTABLE_FIELDS},
        "setup_complete": row.setup_complete,
        "setup_completed_at": row.setup_completed_at,
        "cadence_label": row.cadence_description,
        "loop_timing_in_force": {
            "cognitive_cycle_ms": timing.cognitive_cycle_ms,
            "dream_cycle_ms": timing.dream_cycle_ms,
            "session_timeout_ms": timing.session_timeout_ms,
        },
    }
