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
    exact_uniform_pick,
    sigil_moment_probe,
    sigil_moments_in_range,
    uniform_draw,
)
from dreams.selectors.probe import RangedProbe, ValueProbe, moment_probe, value_probe

# What the salience weight reads: the exact fallback weighs every moment on these alone.
WEIGHT_FIELDS = ("id", "valence", "arousal", "created_at", "replays")
# Rejection rounds of the modes that reject more than deleted rows: a theme may select a
# small share of its range, and a weight may be small.
REJECTION_ROUNDS = (*ROUND_SIZES, 4096)
# A theme's rounds are bigger: it may select a small share of its range. Its first round
# stays small all the same, since each candidate costs a key lookup and the condition (64
# took SQLite 0.8 ms, 16 took 0.4 ms, at a million moments): a theme that selects a
# fifteenth of its range needs one round of 16 two times in three, the second almost always.
THEME_ROUNDS = (16, 128, 1024, 4096)

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
        for size in THEME_ROUNDS:
            candidates = [rng.choice(pool) for _ in range(size)]
            others = [candidate for candidate in candidates if candidate != exclude_id]
            if (moment := probes.moments.first_drawn(others)) is not None:
                return moment
    else:
        for size in THEME_ROUNDS:
            if (moment := probes.first_drawn(uniform_draw(size, exclude_id, rng))) is not None:
                return moment
            if probes.last_read is None:
                return None  # nothing with a sigil in the theme's time window
        probes.forget()
    # Built only here: compiling the selection costs more than a probe.
    selected = sigil_moments(using).filter(theme_selection(theme))
    return exact_uniform_pick(selected.filter(pk__in=pool) if pool else selected, exclude_id, rng)


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
    # A round's candidates are read whole, with the range, in one statement: a second
    # round trip for the accepted one would cost PostgreSQL more than the rows do.
    moments = sigil_moments_in_range(using)
    for size in REJECTION_ROUNDS:
        candidates, found = moments.among(uniform_draw(size, exclude_id, rng))
        if moments.last_read is None:
            return None  # no moment has a sigil
        lowest, highest = moments.last_read
        if lowest == highest and lowest in found:
            return found[lowest]  # the only one: its weight does not matter
        for candidate in candidates:
            moment = found.get(candidate)
            if moment is not None and rng.random() < salience_weight(salience, moment, now=now):
                return moment
    moments.forget()
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


@dataclass(frozen=True)
class CitedMoment:
    """A cited moment, if it is still kept and has a sigil, and the latest dream review's
    id as the same statement read it (the moment's row carries it: None without one)."""

    moment: MindMoment | None
    latest_review_id: int | None


def cited_moment(moment_id: int, *, using: str = DEFAULT_DB_ALIAS) -> CitedMoment:
    """A cited moment and, in the same statement, which dream is the latest: a replay of
    the last dream learns that a newer dream was written without a further round trip."""
    latest = _latest_review_probe(connections[using].vendor, using)
    probed = sigil_moment_probe(using).first_drawn_with([moment_id], latest)
    if probed.values is None:
        return CitedMoment(None, None)
    return CitedMoment(probed.moments[0], probed.values[0])


@lru_cache(maxsize=32)
def _theme_probes(theme: ThemeFilter, vendor: str, using: str) -> RangedProbe:
    """A theme's moments, drawn from the ids between the first and the last moment with a
    sigil in its time window (read through the created_at index: ids grow with time), or
    from the whole range without a window."""
    moments = moment_probe(sigil_moments(using), DREAM_FIELDS, condition=theme_selection(theme))
    if theme.since is None and theme.until is None:
        return RangedProbe(sigil_moments_in_range(using).ends, moments)
    in_window = sigil_moments(using).filter(
        theme_selection(ThemeFilter(since=theme.since, until=theme.until))
    )
    first = in_window.order_by("created_at", "cycle").values_list("pk", flat=True)[:1]
    last = in_window.order_by("-created_at", "-cycle").values_list("pk", flat=True)[:1]
    return RangedProbe(value_probe(first, last), moments)


@cache
def _latest_review_probe(vendor: str, using: str) -> ValueProbe:
    return value_probe(DreamReview.objects.using(using).order_by("-sequence").values_list("pk")[:1])


def _thread_pool(key: str, using: str) -> tuple[int, ...]:
    """The moments a thread's dreams cited, read again only when a new dream was written."""
    latest = DreamReview.objects.using(using).order_by("-sequence").values_list("pk").first()
    return () if latest is None else _cited_in_thread(key, using, latest[0])


@lru_cache(maxsize=16)
def _cited_in_thread(key: str, using: str, latest_review_id: int) -> tuple[int, ...]:
    return tuple(thread_moment_ids(key, using=using))


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
