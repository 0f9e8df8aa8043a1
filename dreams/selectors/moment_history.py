"""The history of moments: a page of them, newest first, filtered as the API filters them
(`MomentFilter`) and reached by a keyset cursor on the cycle, so that a page costs the same
at the top of a million moments as deep in them (no OFFSET, no COUNT)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.expressions import CombinedExpression

from dreams.models import MindMoment
from dreams.selectors.moments import MomentFilter, moment_last_cycle

HISTORY_PAGE_SIZE = 48
# What a sigil thumbnail and its caption need: never the commands or the percepts.
HISTORY_FIELDS = (
    "id",
    "cycle",
    "kind",
    "text",
    "sigil_phrase",
    "has_sigil",
    "valence",
    "arousal",
    "colour",
    "created_at",
)
# The query string's filter names: the API's, so that a page's URL and the API agree.
HISTORY_FILTER_NAMES: tuple[str, ...] = tuple(MomentFilter.base_filters)
# The order of pages: the cycle, or an expression of it that no index gives.
CycleKey = F | CombinedExpression


@dataclass(frozen=True)
class HistoryPage:
    """Moments newest first, and the cursors to the pages on either side: `newer_than`
    for `?after=` (the newest moment's cycle), `older_than` for `?before=` (the oldest's);
    None where there is nothing more that way."""

    moments: list[MindMoment]
    newer_than: int | None
    older_than: int | None


def moment_history_filter(data: Mapping[str, Any]) -> MomentFilter:
    """The API's FilterSet over the history's columns: check `is_valid()`, then read `qs`."""
    return MomentFilter(data, queryset=MindMoment.objects.only(*HISTORY_FIELDS))


def moment_history_page(
    moments: QuerySet[MindMoment],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = HISTORY_PAGE_SIZE,
    by_time: bool = False,
) -> HistoryPage:
    """The `size` moments of `moments` just older than cycle `before`, or just newer than
    cycle `after`, or the newest. A newer page that would come up short (the top was
    reached) is the newest page instead, so that pages stay full.

    `by_time` (see `moment_history_reads_by_time`) reads through the time index and sorts
    what it finds, instead of walking the cycle index down: the same moments, in the same
    order, at a cost that follows the size of the time range, not what lies above it."""
    cycle: CycleKey = F("cycle") + 0 if by_time else F("cycle")  # + 0: not the index's order
    if after is not None:
        newer = _read(moments.filter(cycle__gt=after).order_by(cycle.asc()), size + 1, by_time)
        if len(newer) > size:
            page = newer[:size][::-1]
            return HistoryPage(page, page[0].cycle, _older_than(moments, page, cycle))
        before = None
    moments_here = moments.filter(cycle__lt=before) if before is not None else moments
    page = _read(moments_here.order_by(cycle.desc()), size + 1, by_time)
    older_than = page[size - 1].cycle if len(page) > size else None
    page = page[:size]
    newer_than = None
    if before is not None and page and _exists_newer(moments, page[0].cycle, cycle):
        newer_than = page[0].cycle
    return HistoryPage(page, newer_than, older_than)


def moment_history_reads_by_time(
    *, since: datetime | None, until: datetime | None, before: int | None = None
) -> bool:
    """Whether a page filtered by time is cheaper read through the time index than by
    walking the cycles down from the top (or from `before`): when fewer moments lie in the
    range than above it. Cycles follow time closely enough to estimate both from the cycles
    found at the range's ends (two index probes); the choice changes the cost, never the
    moments shown."""
    if since is None and until is None:
        return False
    top = moment_last_cycle() + 1 if before is None else before
    high = top if until is None else min(top, _cycle_before(until, beyond=top))
    low = 0 if since is None else _cycle_before(since, beyond=top)
    return high - low < top - high


def _cycle_before(when: datetime, *, beyond: int) -> int:
    """The cycle of the last moment made before `when` (0 if none), by the time index;
    `beyond` for a time after every year UTC can hold."""
    try:
        when = when.astimezone(UTC)  # PostgreSQL refuses offsets beyond 15:59
    except OverflowError:
        return 0 if when.year == datetime.min.year else beyond
    last = MindMoment.objects.filter(created_at__lt=when).order_by("-created_at")
    return last.values_list("cycle", flat=True).first() or 0


def _read(ordered: QuerySet[MindMoment], limit: int, by_time: bool) -> list[MindMoment]:
    """The first `limit` moments of `ordered`. Read by time, the range's cycles are sorted
    first (from the index on time and cycle alone, for a range of any size) and only the
    page's rows are read after: sorting whole rows read one by one was the slow part."""
    if not by_time:
        return list(ordered[:limit])
    cycles = list(ordered.values_list("cycle", flat=True)[:limit])
    by_cycle = {moment.cycle: moment for moment in ordered.order_by().filter(cycle__in=cycles)}
    return [by_cycle[cycle] for cycle in cycles if cycle in by_cycle]


def _older_than(
    moments: QuerySet[MindMoment], page: list[MindMoment], cycle: CycleKey
) -> int | None:
    oldest = page[-1].cycle
    older = moments.filter(cycle__lt=oldest).order_by(cycle.desc()).values_list("cycle")
    return oldest if older[:1] else None


def _exists_newer(moments: QuerySet[MindMoment], after: int, cycle: CycleKey) -> bool:
    # The nearest first: the walk stops at the first match.
    return bool(moments.filter(cycle__gt=after).order_by(cycle.asc()).values_list("cycle")[:1])
