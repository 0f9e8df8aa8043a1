"""The history of moments: a page of them, newest first, filtered as the API filters them
(`MomentFilter`) and reached by a keyset cursor on the cycle, so that a page costs the same
at the top of a million moments as deep in them (no OFFSET, no COUNT)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from dreams.models import MindMoment
from dreams.selectors.moments import MomentFilter

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
) -> HistoryPage:
    """The `size` moments of `moments` just older than cycle `before`, or just newer than
    cycle `after`, or the newest. A newer page that would come up short (the top was
    reached) is the newest page instead, so that pages stay full."""
    if after is not None:
        newer = list(moments.filter(cycle__gt=after).order_by("cycle")[: size + 1])
        if len(newer) > size:
            page = newer[:size][::-1]
            return HistoryPage(page, page[0].cycle, _older_than(moments, page))
        before = None
    moments_here = moments.filter(cycle__lt=before) if before is not None else moments
    page = list(moments_here.order_by("-cycle")[: size + 1])
    older_than = page[size - 1].cycle if len(page) > size else None
    page = page[:size]
    newer_than = None
    if before is not None and page and _exists_newer(moments, page[0].cycle):
        newer_than = page[0].cycle
    return HistoryPage(page, newer_than, older_than)


def _older_than(moments: QuerySet[MindMoment], page: list[MindMoment]) -> int | None:
    oldest = page[-1].cycle
    older = moments.filter(cycle__lt=oldest).order_by("-cycle").values_list("cycle", flat=True)
    return oldest if older[:1] else None


def _exists_newer(moments: QuerySet[MindMoment], cycle: int) -> bool:
    # The nearest first, by the cycle's index: the walk stops at the first match.
    return bool(moments.filter(cycle__gt=cycle).order_by("cycle").values_list("cycle")[:1])
