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

The reads at every tick are probes (`dreams.selectors.probe`): the ORM compiles a theme's
selection once, and each round only adds its candidates, so a pick costs what its indexed
queries cost (`manage.py bench_dream_pick` times each mode at a million moments).
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, lru_cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q, QuerySet

from dreams.models import ContinuityThread, DreamReview, MindMoment
from dreams.replay import Salience, ThemeFilter
from dreams.selectors.live import (
    DREAM_FIELDS,
    ROUND_SIZES,
    sigil_id_range,
    sigil_moment_probe,
)
from dreams.selectors.probe import MomentProbe, ValueProbe, moment_probe, value_probe

# What the salience weight reads: candidates are weighed on these alone, and only the
# accepted one is read whole.
WEIGHT_FIELDS = ("id", "valence", "arousal", "created_at", "replays")
# Rejection rounds of the modes that reject more than deleted rows: a theme may select a
# small share of its range, and a weight may be small.
REJECTION_ROUNDS = (*ROUND_SIZES, 4096)
# A theme's first round is bigger: a probe of 64 ids costs little more than one of 8, and a
# theme that selects a twentieth of its range then needs one round, not two, nine times in
# ten (a round trip saved, which is most of a pick's time on PostgreSQL).
THEME_ROUNDS = REJECTION_ROUNDS[1:]

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
    # A thread's moments are where the candidates come from, not part of the probe.
    probes = _theme_probes(replace(theme, thread=""), connections[using].vendor, using)
    pool: tuple[int, ...] = ()
    if theme.thread:
        pool = _thread_pool(theme.thread, using)
        if not pool:
            return None

        def draw(size: int) -> list[int]:
            return [rng.choice(pool) for _ in range(size)]
    else:
        id_range = probes.id_range()
        if id_range is None:
            return None
        lowest, highest = id_range

        def draw(size: int) -> list[int]:
            return [rng.randint(lowest, highest) for _ in range(size)]

    for size in THEME_ROUNDS:
        candidates = [candidate for candidate in draw(size) if candidate != exclude_id]
        if (moment := probes.moments.first_drawn(candidates)) is not None:
            return moment
    # Built only here: compiling the selection costs more than a probe.
    selected = sigil_moments(using).filter(theme_selection(theme))
    return _exact_uniform(selected.filter(pk__in=pool) if pool else selected, exclude_id, rng)


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
    id_range = sigil_id_range(using)
    if id_range is None:
        return None
    lowest, highest = id_range
    moments = sigil_moment_probe(using)
    if lowest == highest:
        return moments.first_drawn([lowest])
    weighed = _weight_probe(connections[using].vendor, using)
    for size in REJECTION_ROUNDS:
        candidates = [
            candidate
            for candidate in (rng.randint(lowest, highest) for _ in range(size))
            if candidate != exclude_id
        ]
        found = weighed.among(candidates)
        for candidate in candidates:
            light = found.get(candidate)
            if light is None or rng.random() >= salience_weight(salience, light, now=now):
                continue
            # Only the accepted moment is read whole; None if it was deleted meanwhile.
            if (moment := moments.first_drawn([candidate])) is not None:
                return moment
    usable = sigil_moments(using)
    if exclude_id is not None and usable.exclude(pk=exclude_id).exists():
        usable = usable.exclude(pk=exclude_id)
    return _exact_weighted(usable, salience, now, rng, using)


def salience_weight(salience: Salience, moment: MindMoment, *, now: datetime) -> float:
    return salience.weight(
        valence=moment.valence,
        arousal=moment.arousal,
        age_hours=(now - moment.created_at).total_seconds() / 3600,
        replays=moment.replays,
    )


def next_in_sequence(*, after_cycle: int, using: str = DEFAULT_DB_ALIAS) -> MindMoment | None:
    """The first moment with a sigil after `after_cycle`, in cycle (that is, time) order."""
    return sigil_moment_probe(using).next_by_cycle(after_cycle)


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
    return sigil_moment_probe(using).first_drawn([moment_id])


@dataclass(frozen=True)
class _ThemeProbes:
    """A theme's probes: its moments by candidate id, and the first and last moment with
    a sigil in its time window (None without a window: the whole id range)."""

    moments: MomentProbe
    window_ends: ValueProbe | None
    using: str

    def id_range(self) -> tuple[int, int] | None:
        """The ids between the first and the last moment with a sigil in the time window,
        read through the created_at index (ids grow with time)."""
        if self.window_ends is None:
            return sigil_id_range(self.using)
        first, last = self.window_ends.values()
        if first is None or last is None:
            return None
        return min(first, last), max(first, last)


@lru_cache(maxsize=32)
def _theme_probes(theme: ThemeFilter, vendor: str, using: str) -> _ThemeProbes:
    moments = moment_probe(sigil_moments(using), DREAM_FIELDS, condition=theme_selection(theme))
    if theme.since is None and theme.until is None:
        return _ThemeProbes(moments, None, using)
    in_window = sigil_moments(using).filter(
        theme_selection(ThemeFilter(since=theme.since, until=theme.until))
    )
    first = in_window.order_by("created_at", "cycle").values_list("pk", flat=True)[:1]
    last = in_window.order_by("-created_at", "-cycle").values_list("pk", flat=True)[:1]
    return _ThemeProbes(moments, value_probe(first, last), using)


@cache
def _weight_probe(vendor: str, using: str) -> MomentProbe:
    return moment_probe(sigil_moments(using), WEIGHT_FIELDS)


def _thread_pool(key: str, using: str) -> tuple[int, ...]:
    """The moments a thread's dreams cited, read again only when a new dream was written."""
    latest = DreamReview.objects.using(using).order_by("-sequence").values_list("pk").first()
    return () if latest is None else _cited_in_thread(key, using, latest[0])


@lru_cache(maxsize=16)
def _cited_in_thread(key: str, using: str, latest_review_id: int) -> tuple[int, ...]:
    return tuple(thread_moment_ids(key, using=using))


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
    moments: QuerySet[MindMoment],
    salience: Salience,
    now: datetime,
    rng: random.Random,
    using: str,
) -> MindMoment | None:
    """One pass with a weighted reservoir key each (u ** (1 / w), the largest wins), which
    picks each moment with probability proportional to its weight."""
    best: tuple[float, int] | None = None
    for light in moments.only(*WEIGHT_FIELDS).order_by("pk").iterator(chunk_size=2000):
        key = math.log(1.0 - rng.random()) / salience_weight(salience, light, now=now)
        if best is None or key > best[0]:
            best = (key, light.pk)
    return None if best is None else sigil_moment_probe(using).first_drawn([best[1]])


def _thread_key(thread: object) -> str:
    # A review records its threads by name; a thread is followed by its name's key.
    return ContinuityThread.key_for(str(thread.get("name", ""))) if isinstance(thread, dict) else ""


def _int_ids(values: Sequence[object]) -> list[int]:
    return [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
