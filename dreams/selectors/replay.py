"""The dream loop's picks for the replay modes other than `uniform` (whose pick, and the
reasoning the others build on, is `dreams.selectors.live.random_sigil_moment`).

Every pick keeps the uniform pick's promises: its time does not grow with the table (no
scan, no list of every id in memory), it is exact with respect to its intended
distribution however deleted rows lie, and it never returns `exclude_id` while another
moment qualifies.

- `theme_moment`: uniform over the moments with a sigil that the theme selects. Candidates
  are drawn uniformly from an id range (narrowed to the theme's time window through the
  created_at index: moments are written as they happen, so ids grow with time) or, for a
  continuity thread, from the moments its dreams cited; candidates the theme does not
  select are rejected, which leaves the first selected one uniform over the selection.
  After the last round, an exact COUNT and OFFSET over the selection takes over: only a
  theme that selects very few of the ids in its range gets there.
- `salient_moment`: a moment with a sigil, with probability proportional to its salience
  weight (`dreams.replay.Salience`, in (0, 1]). Each uniform candidate is accepted with
  probability equal to its weight (rejection sampling), so the first accepted one has
  exactly that distribution; every weight is at least (1 - a)(1 - r)(1 - s), which bounds
  the rounds needed. Should every round fail, an exact weighted draw over the moments
  (one pass, weighted reservoir keys) decides.
- `next_in_sequence`: the next moment with a sigil after a cycle, in cycle order, through
  the unique index on cycle.
- `latest_dream_themes`: the latest dream review's themes with the moments each cites, in
  chronological order, for `last_dream`.
"""

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet

from dreams.models import ContinuityThread, DreamReview, MindMoment
from dreams.replay import Salience, ThemeFilter
from dreams.selectors.live import DREAM_FIELDS, ROUND_SIZES

# What the salience weight reads, beside what a dream broadcast reads.
SALIENCE_FIELDS = (*DREAM_FIELDS, "replays")
# Rejection rounds of the modes that reject more than deleted rows: a theme may select a
# small share of its range, and a weight may be small.
REJECTION_ROUNDS = (*ROUND_SIZES, 4096)

_rng = random.Random()  # noqa: S311 - choosing which dream to replay is not a secret


@dataclass(frozen=True)
class CitedTheme:
    """A theme of a dream review and the moments it cites, oldest first."""

    name: str
    moment_ids: tuple[int, ...]


def sigil_moments(using: str = DEFAULT_DB_ALIAS) -> QuerySet[MindMoment]:
    return MindMoment.objects.using(using).filter(has_sigil=True)


def theme_selection(theme: ThemeFilter) -> Q:
    """The moments a theme selects (besides having a sigil), as one filter: used by the
    candidates' probe and by the exact fallback alike."""
    bounds = {
        "valence__gte": theme.valence_min,
        "valence__lte": theme.valence_max,
        "arousal__gte": theme.arousal_min,
        "arousal__lte": theme.arousal_max,
        "created_at__gte": theme.since,
        "created_at__lte": theme.until,
        "kind": theme.kind or None,
    }
    return Q(**{lookup: value for lookup, value in bounds.items() if value is not None})


def thread_moment_ids(key: str, *, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """The moments cited by the dreams in which a continuity thread was seen: a few dozen
    per dream, read from the dream reviews (one row per dream), never from the moments."""
    cited: dict[int, None] = {}
    reviews = DreamReview.objects.using(using).order_by("sequence").values_list("threads", "themes")
    for threads, themes in reviews.iterator():
        if any(_thread_key(thread) == key for thread in threads):
            for theme in themes:
                cited.update(dict.fromkeys(_int_ids(theme.get("moment_ids", []))))
    return list(cited)


def theme_moment(
    theme: ThemeFilter,
    *,
    exclude_id: int | None = None,
    rng: random.Random | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> MindMoment | None:
    """A uniformly random moment with a sigil among those the theme selects; None when it
    selects none."""
    rng = rng or _rng
    selected = sigil_moments(using).filter(theme_selection(theme))
    if theme.thread:
        pool = thread_moment_ids(theme.thread, using=using)
        if not pool:
            return None
        selected = selected.filter(pk__in=pool)

        def draw(size: int) -> list[int]:
            return [rng.choice(pool) for _ in range(size)]
    else:
        id_range = _theme_id_range(theme, using)
        if id_range is None:
            return None
        lowest, highest = id_range

        def draw(size: int) -> list[int]:
            return [rng.randint(lowest, highest) for _ in range(size)]

    if (moment := _first_selected(selected, draw, exclude_id)) is not None:
        return moment
    return _exact_uniform(selected, exclude_id, rng)


def salient_moment(
    salience: Salience,
    *,
    now: datetime,
    exclude_id: int | None = None,
    rng: random.Random | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> MindMoment | None:
    """A moment with a sigil drawn in proportion to its salience weight at `now`; None
    when no moment has a sigil."""
    rng = rng or _rng
    usable = sigil_moments(using)
    if exclude_id is not None and usable.exclude(pk=exclude_id).exists():
        usable = usable.exclude(pk=exclude_id)
    id_range = _id_range(usable)
    if id_range is None:
        return None
    lowest, highest = id_range

    def weight(moment: MindMoment) -> float:
        return salience_weight(salience, moment, now=now)

    for size in REJECTION_ROUNDS:
        candidates = [rng.randint(lowest, highest) for _ in range(size)]
        found = _rows_by_id(usable.only(*SALIENCE_FIELDS), candidates)
        for candidate in candidates:
            moment = found.get(candidate)
            if moment is not None and rng.random() < weight(moment):
                return moment
    return _exact_weighted(usable.only(*SALIENCE_FIELDS), weight, rng)


def salience_weight(salience: Salience, moment: MindMoment, *, now: datetime) -> float:
    return salience.weight(
        valence=moment.valence,
        arousal=moment.arousal,
        age_hours=(now - moment.created_at).total_seconds() / 3600,
        replays=moment.replays,
    )


def next_in_sequence(*, after_cycle: int, using: str = DEFAULT_DB_ALIAS) -> MindMoment | None:
    """The first moment with a sigil after `after_cycle`, in cycle (that is, time) order."""
    later = sigil_moments(using).filter(cycle__gt=after_cycle).order_by("cycle")
    return later.only(*DREAM_FIELDS).first()


def latest_dream_themes(
    *, using: str = DEFAULT_DB_ALIAS
) -> tuple[int, tuple[CitedTheme, ...]] | None:
    """The latest dream review's id and its themes (each with its cited moments, oldest
    first, each moment once per theme); None before the first dream."""
    latest = DreamReview.objects.using(using).order_by("-sequence").values("pk", "themes").first()
    if latest is None:
        return None
    themes = tuple(
        CitedTheme(
            name=str(theme.get("name", "")),
            moment_ids=tuple(sorted(set(_int_ids(theme.get("moment_ids", []))))),
        )
        for theme in latest["themes"]
    )
    return latest["pk"], themes


def replayable_moment(moment_id: int, *, using: str = DEFAULT_DB_ALIAS) -> MindMoment | None:
    """The moment, if it is still kept and has a sigil."""
    return sigil_moments(using).filter(pk=moment_id).only(*DREAM_FIELDS).first()


def _theme_id_range(theme: ThemeFilter, using: str) -> tuple[int, int] | None:
    """The ids between the first and the last moment with a sigil in the theme's time
    window, read through the created_at index (ids grow with time)."""
    in_window = sigil_moments(using).filter(
        theme_selection(ThemeFilter(since=theme.since, until=theme.until))
    )
    if theme.since is None and theme.until is None:
        return _id_range(in_window)
    first = in_window.order_by("created_at", "cycle").values_list("pk", flat=True).first()
    last = in_window.order_by("-created_at", "-cycle").values_list("pk", flat=True).first()
    if first is None or last is None:
        return None
    return min(first, last), max(first, last)


def _id_range(moments: QuerySet[MindMoment]) -> tuple[int, int] | None:
    # Two LIMIT 1 reads of the partial index moment_sigil_idx, not one MIN and MAX.
    lowest = moments.order_by("pk").values_list("pk", flat=True).first()
    highest = moments.order_by("-pk").values_list("pk", flat=True).first()
    return None if lowest is None or highest is None else (lowest, highest)


def _rows_by_id(moments: QuerySet[MindMoment], candidates: Iterable[int]) -> dict[int, MindMoment]:
    return {moment.pk: moment for moment in moments.filter(pk__in=set(candidates))}


def _first_selected(
    selected: QuerySet[MindMoment], draw: Callable[[int], list[int]], exclude_id: int | None
) -> MindMoment | None:
    """Of rounds of drawn candidates, the first that the selection holds (other than
    `exclude_id`); None when every round misses."""
    fields = selected.only(*DREAM_FIELDS)
    for size in REJECTION_ROUNDS:
        candidates = [candidate for candidate in draw(size) if candidate != exclude_id]
        found = _rows_by_id(fields, candidates)
        for candidate in candidates:
            if candidate in found:
                return found[candidate]
    return None


def _exact_uniform(
    selected: QuerySet[MindMoment], exclude_id: int | None, rng: random.Random
) -> MindMoment | None:
    """A uniform pick by COUNT and OFFSET: linear in the selection, reached only when the
    selection is a small share of the ids its candidates are drawn from."""
    others = selected.exclude(pk=exclude_id) if exclude_id is not None else selected
    count = others.count()
    if count == 0:
        # Nothing else is selected: the excluded moment, if still selected, is the only one.
        return selected.only(*DREAM_FIELDS).first()
    offset = rng.randrange(count)
    return others.only(*DREAM_FIELDS).order_by("pk")[offset : offset + 1].first()


def _exact_weighted(
    moments: QuerySet[MindMoment], weight: Callable[[MindMoment], float], rng: random.Random
) -> MindMoment | None:
    """One pass with a weighted reservoir key each (u ** (1 / w), the largest wins), which
    picks each moment with probability proportional to its weight."""
    best: tuple[float, MindMoment] | None = None
    for moment in moments.order_by("pk").iterator(chunk_size=2000):
        key = math.log(1.0 - rng.random()) / weight(moment)
        if best is None or key > best[0]:
            best = (key, moment)
    return None if best is None else best[1]


def _thread_key(thread: object) -> str:
    # A review records its threads by name; a thread is followed by its name's key.
    return ContinuityThread.key_for(str(thread.get("name", ""))) if isinstance(thread, dict) else ""


def _int_ids(values: Sequence[object]) -> list[int]:
    return [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
