"""Reads of the resurfacing analytics, for the API and the pictures: which moments come back
most, how many never did, replays over time by mode, one moment's replays, and how a
dream's cited moments were replayed before and after it.

Days are UTC days, as the tallies are kept (dreams.models.ReplayTally). Every read is
bounded by the index it goes through: the top moments by the (replays, id) index (only the
moments at or above the cut-off's replay count are sorted), the days by the tallies'
(day, mode) index, one moment's or one dream's by the tallies' (moment, day, mode) key.
Counting the moments with a sigil is the one read that grows with the table: a count over
their partial index.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from dreams.models import DreamReview, MindMoment, ReplayTally
from dreams.replay import ReplayMode

DAYS = 30
TOP = 10
# A dream's cited moments are compared over this many days before it and after it.
DREAM_WINDOW_DAYS = 7
# The most cited moments a dream's picture draws.
CITED_DRAWN = 12
TOP_FIELDS = ("id", "cycle", "kind", "sigil_phrase", "replays", "citations", "last_resurfaced_at")


def utc_today() -> date:
    return timezone.now().astimezone(UTC).date()


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def top_moments(*, limit: int = TOP) -> list[MindMoment]:
    """The `limit` most replayed moments, by replays, then citations, then the newest; only
    moments replayed at least once."""
    cutoff = (
        MindMoment.objects.filter(replays__gt=0)
        .order_by("-replays", "-id")
        .values_list("replays", flat=True)[limit - 1 : limit]
        .first()
    )
    # One range of the index: the moments replayed at least as often as the last one kept.
    chosen = MindMoment.objects.filter(replays__gte=cutoff or 1).only(*TOP_FIELDS)
    return list(chosen.order_by("-replays", "-citations", "-id")[:limit])


@dataclass(frozen=True)
class SigilMomentCounts:
    with_sigil: int
    never_replayed: int

    @property
    def never_replayed_share(self) -> float | None:
        """None while there is no moment with a sigil: no share to speak of."""
        return self.never_replayed / self.with_sigil if self.with_sigil else None


def sigil_moment_counts() -> SigilMomentCounts:
    """How many moments the dream loop can replay (those with a sigil), and how many of
    them it never has. Two counts, each through an index of its own: only moments with a
    sigil are ever replayed, so the replayed ones are counted on the (replays, id) index
    alone (one aggregate with both conditions would read every row)."""
    with_sigil = MindMoment.objects.filter(has_sigil=True).count()
    replayed = MindMoment.objects.filter(replays__gt=0).count()
    return SigilMomentCounts(with_sigil, max(0, with_sigil - replayed))


@dataclass(frozen=True)
class DayModeReplays:
    day: date
    mode: str
    replays: int


@dataclass(frozen=True)
class ReplaysOverTime:
    first: date
    last: date
    days: list[DayModeReplays]  # by day, then mode; only days and modes with replays

    @property
    def by_mode(self) -> dict[str, int]:
        """Every mode's replays in these days, 0 for a mode not used."""
        totals = {mode: 0 for mode in ReplayMode.values}
        for entry in self.days:
            totals[entry.mode] = totals.get(entry.mode, 0) + entry.replays
        return totals


def _window(days: int, today: date | None) -> tuple[date, date]:
    last = today or utc_today()
    return last - timedelta(days=days - 1), last


def replays_over_time(*, days: int = DAYS, today: date | None = None) -> ReplaysOverTime:
    """Replays of every moment per day and mode, over the `days` days ending `today`."""
    first, last = _window(days, today)
    rows = (
        ReplayTally.objects.filter(day__gte=first, day__lte=last)
        .values("day", "mode")
        .annotate(total=Sum("replays"))
        .order_by("day", "mode")
    )
    return ReplaysOverTime(
        first, last, [DayModeReplays(row["day"], row["mode"], row["total"]) for row in rows]
    )


def moment_replays_over_time(
    moment_id: int, *, days: int = DAYS, today: date | None = None
) -> ReplaysOverTime:
    """One moment's replays per day and mode, over the `days` days ending `today`."""
    first, last = _window(days, today)
    rows = (
        ReplayTally.objects.filter(moment_id=moment_id, day__gte=first, day__lte=last)
        .values_list("day", "mode", "replays")
        .order_by("day", "mode")
    )
    return ReplaysOverTime(first, last, [DayModeReplays(*row) for row in rows])


@dataclass(frozen=True)
class CitedMomentReplays:
    moment: MindMoment
    before: int
    after: int


@dataclass(frozen=True)
class DreamResurfacing:
    """How the moments a dream cites were replayed in the days before the day it was
    written and after it (that day left out: its replays may fall either side)."""

    written: date
    before_days: int
    after_days: int  # fewer than the window while the dream is recent; 0 on its day
    cited: int  # the cited moments still kept
    moments: list[CitedMomentReplays]  # the most replayed in the window first

    @property
    def before(self) -> int:
        return sum(entry.before for entry in self.moments)

    @property
    def after(self) -> int:
        return sum(entry.after for entry in self.moments)


def dream_resurfacing(
    review: DreamReview,
    *,
    cited: Iterable[MindMoment] | None = None,
    window: int = DREAM_WINDOW_DAYS,
    today: date | None = None,
) -> DreamResurfacing:
    """`cited`: the review's cited moments when the caller has them (the dream page), else
    they are read here."""
    if cited is None:
        cited = MindMoment.objects.filter(pk__in=review.cited_moment_ids()).only(
            "id", "cycle", "kind", "sigil_phrase"
        )
    kept = {moment.pk: moment for moment in cited}
    written = utc_day(review.created_at)
    after_days = max(0, min(window, ((today or utc_today()) - written).days))
    counts = {
        row["moment_id"]: row
        for row in ReplayTally.objects.filter(
            moment_id__in=kept,
            day__gte=written - timedelta(days=window),
            day__lte=written + timedelta(days=after_days),
        )
        .exclude(day=written)
        .values("moment_id")
        .annotate(
            before=Sum("replays", filter=Q(day__lt=written)),
            after=Sum("replays", filter=Q(day__gt=written)),
        )
        .order_by()
    }
    entries = [
        CitedMomentReplays(
            moment,
            counts.get(pk, {}).get("before") or 0,
            counts.get(pk, {}).get("after") or 0,
        )
        for pk, moment in kept.items()
    ]
    # Compared per day, since the two windows differ in length while the dream is recent.
    entries.sort(
        key=lambda entry: (
            -(entry.before / window + (entry.after / after_days if after_days else 0)),
            entry.moment.pk,
        )
    )
    return DreamResurfacing(written, window, after_days, len(kept), entries)
