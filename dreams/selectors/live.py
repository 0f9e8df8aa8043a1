"""Reads for what observers see live: the conductor's last snapshot (`current_snapshot`),
the loop it runs and the open sessions (`live_cycle`, `open_session_names`), and the dream
loop's pick, described here.

The pick: a uniformly random mind moment with a sigil, in time that does not
grow with the table.

Method, rejection sampling over the id range:

1. One query reads the lowest and the highest id among moments with a sigil. The partial
   index ``moment_sigil_idx`` answers each end in O(log n).
2. A round draws candidate ids independently and uniformly from [lowest, highest]. One query
   probes them all by primary key (``id IN (...)``); of those that exist, have a sigil and
   are not ``exclude_id``, the one drawn first is the pick.
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
is two indexed queries whatever the size of the table. Only a range in which fewer than
about 1 id in 100 is usable reaches the fallback with any real chance (0.3% at d = 1/100),
and its COUNT and OFFSET are linear in the number of moments with a sigil; ids only grow,
so such a range means a table that is small or was mostly deleted.

"Never the same twice in a row": ``exclude_id`` is left out whenever another moment with a
sigil exists; a lone moment is returned again, there being no choice. The pick never
writes. Database errors propagate: the dream loop logs them and carries on.
"""

import random
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from dreams.models import ConductorLease, DreamSettings, MindMoment, Session
from dreams.selectors.probe import MomentProbe, moment_probe

__all__ = [
    "DREAM_FIELDS",
    "LiveCycle",
    "current_snapshot",
    "live_cycle",
    "open_session_names",
    "random_sigil_moment",
    "session_is_open",
    "sigil_id_range",
    "sigil_moment_probe",
]

# What a dream broadcast reads (dreams.realtime.events), so that making it costs no
# further query; the rest (percepts, session, ...) stays deferred.
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
    id_range = sigil_id_range(using)
    if id_range is None:
        return None
    lowest, highest = id_range
    probe = sigil_moment_probe(using)
    if lowest == highest:
        return probe.first_drawn([lowest])
    for size in ROUND_SIZES:
        candidates = [rng.randint(lowest, highest) for _ in range(size)]
        moment = probe.first_drawn(
            [candidate for candidate in candidates if candidate != exclude_id]
        )
        if moment is not None:
            return moment
    return _exact_pick(using, exclude_id, rng)


def sigil_id_range(using: str = DEFAULT_DB_ALIAS) -> tuple[int, int] | None:
    """The lowest and highest id of a moment with a sigil, in one read of the partial
    index ``moment_sigil_idx``; None when no moment has a sigil."""
    with connections[using].cursor() as cursor:
        cursor.execute(_id_range_sql(connections[using].vendor, using))
        lowest, highest = cursor.fetchone()
    return None if lowest is None else (lowest, highest)


def sigil_moment_probe(using: str = DEFAULT_DB_ALIAS) -> MomentProbe:
    """The moments with a sigil, with `DREAM_FIELDS`, probed by candidate ids."""
    return _sigil_moment_probe(connections[using].vendor, using)


@cache
def _sigil_moment_probe(vendor: str, using: str) -> MomentProbe:
    return moment_probe(MindMoment.objects.using(using).filter(has_sigil=True), DREAM_FIELDS)


@cache
def _id_range_sql(vendor: str, using: str) -> str:
    """Built once per database: a pick happens every few seconds and must cost a fraction
    of a millisecond."""
    quote = connections[using].ops.quote_name
    table = quote(MindMoment._meta.db_table)
    pk = quote(MindMoment._meta.pk.column)
    has_sigil = quote(MindMoment._meta.get_field("has_sigil").column)
    # Two LIMIT 1 scans of the partial index rather than MIN() and MAX() together:
    # SQLite reads only an end of the index for a lone MIN or MAX, all of it for both.
    ascending = f"SELECT {pk} FROM {table} WHERE {has_sigil} ORDER BY {pk}"  # noqa: S608
    return f"SELECT ({ascending} LIMIT 1), ({ascending} DESC LIMIT 1)"


def _exact_pick(using: str, exclude_id: int | None, rng: random.Random) -> MindMoment | None:
    usable = MindMoment.objects.using(using).filter(has_sigil=True)
    if exclude_id is not None:
        usable = usable.exclude(pk=exclude_id)
    count = usable.count()
    if count == 0:
        # Moments were deleted since the id range was read: nothing to dream this time.
        return None
    offset = rng.randrange(count)
    return next(iter(usable.only(*DREAM_FIELDS).order_by("pk")[offset : offset + 1]), None)


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
