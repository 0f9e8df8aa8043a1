"""Reads of mind moments: the API's filters and ordering, the last cycle, a moment as
engines see it."""

from datetime import UTC, datetime

import django_filters
from django.db.models import Q, QuerySet

from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN
from dreams.models import MindMoment, MomentKind
from engines.contracts import MomentContext


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time with any offset Python accepts, compared in UTC: PostgreSQL refuses
    offsets beyond 15:59, which a caller may well send. A time whose UTC falls outside the
    years 1 to 9999 is the first or last instant UTC can hold (every moment is after the one
    and before the other), not a crash."""

    def filter(self, qs: QuerySet, value: datetime | None) -> QuerySet:
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                edge = datetime.min if value.year == datetime.min.year else datetime.max
                value = edge.replace(tzinfo=UTC)
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


def moment_queryset() -> QuerySet[MindMoment]:
    """Moments with what the API shows of them, newest cycle first."""
    return (
        MindMoment.objects.select_related("personality")
        .prefetch_related("prior_moments")
        .order_by("-cycle")
    )


def moment_for_sigil_image(pk: int) -> MindMoment | None:
    """Just what rendering a moment's sigil image needs."""
    return MindMoment.objects.only("id", "sigil_commands", "has_sigil").filter(pk=pk).first()


def moments_by_id(ids: set[int]) -> dict[int, MindMoment]:
    """The moments that still exist among `ids` (moments can be pruned in the admin)."""
    return MindMoment.objects.in_bulk(ids)


def moments_exist(*, with_sigil: bool = False) -> bool:
    moments = MindMoment.objects.filter(has_sigil=True) if with_sigil else MindMoment.objects
    return moments.exists()


def moment_last_cycle() -> int:
    last = MindMoment.objects.order_by("-cycle").values_list("cycle", flat=True).first()
    return last or 0


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
