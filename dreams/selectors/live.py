"""Reads for what observers see live: the conductor's last snapshot (`current_snapshot`),
the loop it runs and the open sessions (`live_cycle`, `open_session_names`), and the dream
loop's pick, described here.

The pick: a uniformly random mind moment with a sigil, in time that does not
grow with the table.

Method, rejection sampling over the id range:

1. The range: the lowest and the highest id among moments with a sigil. The partial index
   ``moment_sigil_idx`` answers each end in O(log n).
2. A round draws candidate ids independently and uniformly from [lowest, highest]. One query
   probes them all by primary key (``id IN (...)``) and reads the range again; of those
   that exist, have a sigil and are not ``exclude_id``, the one drawn first is the pick.
   Candidates are drawn from the range the previous pick read, and drawn again when the
   range they were drawn from is no longer the range (`dreams.selectors.probe.RangedProbe`).
3. A round that draws nothing usable is followed by a bigger one; after the last round an
   exact method takes over: count the usable moments and read the one at a random OFFSET.

Why it is uniform: each candidate is uniform over the integers of [lowest, highest] and
independent of the others, so every usable id has the same chance of being drawn, and ids
that are not usable (deleted rows, moments without a sigil, ``exclude_id``) are merely
rejected. Conditioned on being usable, a candidate is therefore uniform over the usable
moments; the first usable candidate in draw order is the first success of independent
trials, so it is uniform too, however the gaps lie. Rounds are fresh draws and the fallback
is exact, so the whole pick is uniform. (Taking the first id at or after one random point
instead would favour the moments that follow long gaps.)

Cost: a round of k candidates comes back empty with probability (1 - d)^k, d being the share
of the id range that is usable. With a tenth of the rows deleted and one moment in twenty
without a sigil (d = 0.85), the first round of 8 misses about once in four million picks;
at d = 0.2 it misses 17% of the time and the second round of 64 almost never does. So a pick
is one statement of indexed reads whatever the size of the table (two when the range moved).
Only a range in which fewer than about 1 id in 100 is usable reaches the fallback with any
real chance (0.3% at d = 1/100), and its COUNT and OFFSET are linear in the number of moments
with a sigil; ids only grow, so such a range means a table that is small or was mostly
deleted.

"Never the same twice in a row": ``exclude_id`` is left out whenever another moment with a
sigil exists; a lone moment is returned again, there being no choice. The pick never
writes. Database errors propagate: the dream loop logs them and carries on.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils import timezone

from dreams.models import ConductorLease, DreamSettings, MindMoment, Session
from dreams.selectors.probe import MomentProbe, RangedProbe, moment_probe, value_probe

__all__ = [
    "DREAM_FIELDS",
    "LiveCycle",
    "current_snapshot",
    "exact_uniform_pick",
    "live_cycle",
    "open_session_names",
    "random_sigil_moment",
    "session_is_open",
    "sigil_id_range",
    "sigil_moment_probe",
    "sigil_moments_in_range",
    "uniform_draw",
]

# What a dream broadcast reads (dreams.realtime.events) and the salience weight weighs
# (`replays`), so that neither costs a further query; the rest (percepts, session, ...)
# stays deferred.
DREAM_FIELDS = (
    "id",
    "cycle",
    "kind",
    "text",
    "sigil_phrase",
    "sigil_code",
    "sigil_commands",
    "has_sigil",
    "valence",
    "arousal",
    "colour",
    "engine",
    "created_at",
    "replays",
)

# Candidates per round. The first round almost always suffices; the later ones keep sparse
# id ranges off the linear fallback at the price of a longer IN list.
ROUND_SIZES = (8, 64, 512)

_rng = random.Random()  # noqa: S311 - choosing which dream to replay is not a secret


def random_sigil_moment(
    *,
    exclude_id: int | None = None,
    rng: random.Random | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> MindMoment | None:
    """A uniformly random moment with a sigil, other than `exclude_id` unless it is the only
    one, with only `DREAM_FIELDS` loaded; None when no moment has a sigil."""
    rng = rng or _rng
    moments = sigil_moments_in_range(using)
    for size in ROUND_SIZES:
        if (moment := moments.first_drawn(uniform_draw(size, exclude_id, rng))) is not None:
            return moment
        if moments.last_read is None:
            return None  # no moment has a sigil
    moments.forget()
    return exact_uniform_pick(
        MindMoment.objects.using(using).filter(has_sigil=True), exclude_id, rng
    )


def uniform_draw(
    size: int, exclude_id: int | None, rng: random.Random
) -> Callable[[int, int], list[int]]:
    """A round's candidates: `size` ids drawn uniformly from a range, less `exclude_id`;
    a range of one id gives that id, there being no choice."""

    def candidates(lowest: int, highest: int) -> list[int]:
        if lowest == highest:
            return [lowest]
        drawn = (rng.randint(lowest, highest) for _ in range(size))
        return [candidate for candidate in drawn if candidate != exclude_id]

    return candidates


def sigil_id_range(using: str = DEFAULT_DB_ALIAS) -> tuple[int, int] | None:
    """The lowest and highest id of a moment with a sigil, in one read of the partial
    index ``moment_sigil_idx``; None when no moment has a sigil."""
    return sigil_moments_in_range(using).id_range()


def sigil_moment_probe(using: str = DEFAULT_DB_ALIAS) -> MomentProbe:
    """The moments with a sigil, with `DREAM_FIELDS`, probed by candidate ids."""
    return sigil_moments_in_range(using).moments


def sigil_moments_in_range(using: str = DEFAULT_DB_ALIAS) -> RangedProbe:
    """The moments with a sigil, with `DREAM_FIELDS`, drawn from the range between the
    lowest and the highest id of a moment with a sigil."""
    return _sigil_moments_in_range(connections[using].vendor, using)


@cache
def _sigil_moments_in_range(vendor: str, using: str) -> RangedProbe:
    """Built once per database: a pick happens every few seconds and must cost a fraction
    of a millisecond."""
    with_sigil = MindMoment.objects.using(using).filter(has_sigil=True)
    # Two LIMIT 1 reads of the partial index ``moment_sigil_idx`` rather than MIN() and
    # MAX() together: SQLite reads only an end of the index for a lone MIN or MAX, all of
    # it for both.
    ends = value_probe(
        with_sigil.order_by("pk").values_list("pk")[:1],
        with_sigil.order_by("-pk").values_list("pk")[:1],
    )
    return RangedProbe(ends, moment_probe(with_sigil, DREAM_FIELDS))


def exact_uniform_pick(
    selected: QuerySet[MindMoment], exclude_id: int | None, rng: random.Random
) -> MindMoment | None:
    """A uniform pick among the selected moments by COUNT and OFFSET: linear in the
    selection, reached only when rounds of candidates keep missing."""
    others = selected.exclude(pk=exclude_id) if exclude_id is not None else selected
    count = others.count()
    if count == 0:
        # Nothing else is selected: the excluded moment, if still selected, is the only one.
        return selected.only(*DREAM_FIELDS).first()
    offset = rng.randrange(count)
    return others.only(*DREAM_FIELDS).order_by("pk")[offset : offset + 1].first()


def current_snapshot() -> ConductorLease | None:
    """What the leading conductor last recorded for observers (state, sessions, the last
    sigil), or None when no conductor ever led."""
    return ConductorLease.objects.select_related("last_sigil_moment").first()


@dataclass(frozen=True)
class LiveCycle:
    """The loop the conductor runs now: its state ("IDLE" before any conductor led),
    whether a conductor holds the lease, and the period of that loop's cycle."""

    state: str
    conducting: bool
    interval_ms: int


def live_cycle() -> LiveCycle:
    lease = current_snapshot()
    state = (lease.state if lease is not None else "") or "IDLE"
    timing = DreamSettings.load().loop_timing
    return LiveCycle(
        state=state,
        conducting=lease is not None and lease.expires_at > timezone.now(),
        interval_ms=timing.dream_cycle_ms if state == "DREAMING" else timing.cognitive_cycle_ms,
    )


def open_session_names() -> list[str]:
    """Each open session, oldest first, by the name its perceptor gave (else its id)."""
    open_sessions = Session.objects.filter(ended_at__isnull=True).order_by("started_at")
    return [name or str(pk) for pk, name in open_sessions.values_list("pk", "client_name")]


def session_is_open(session_id: str) -> bool:
    return Session.objects.filter(pk=session_id, ended_at__isnull=True).exists()
