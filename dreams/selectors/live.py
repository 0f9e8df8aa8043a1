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
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field
from django.utils import timezone

from dreams.models import ConductorLease, DreamSettings, MindMoment, Session

__all__ = [
    "DREAM_FIELDS",
    "LiveCycle",
    "current_snapshot",
    "live_cycle",
    "open_session_names",
    "random_sigil_moment",
    "session_is_open",
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
    sigil_moments = _SigilMoments(using)
    id_range = sigil_moments.id_range()
    if id_range is None:
        return None
    lowest, highest = id_range
    if lowest == highest:
        return sigil_moments.first_drawn([lowest])
    for size in ROUND_SIZES:
        candidates = [rng.randint(lowest, highest) for _ in range(size)]
        moment = sigil_moments.first_drawn(
            [candidate for candidate in candidates if candidate != exclude_id]
        )
        if moment is not None:
            return moment
    return _exact_pick(using, exclude_id, rng)


class _SigilMoments:
    """The pick's two reads over the partial index ``moment_sigil_idx``, in SQL of their own:
    the id range through the cursor (plain integers), the moment through a raw queryset,
    which converts the row and builds the model as the ORM does. Compiling the ORM's
    equivalent (a CASE of many WHENs above all) takes several times longer than running
    it, and the pick's target is a fraction of a millisecond."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.connection = connections[using]
        self.id_range_sql, self.first_drawn_sql = _pick_statements(self.connection.vendor, using)

    def id_range(self) -> tuple[int, int] | None:
        """The lowest and highest id of a moment with a sigil; None when there is none."""
        with self.connection.cursor() as cursor:
            cursor.execute(self.id_range_sql)
            lowest, highest = cursor.fetchone()
        return None if lowest is None else (lowest, highest)

    def first_drawn(self, candidates: list[int]) -> MindMoment | None:
        """Of the candidates that are moments with a sigil, the one drawn first."""
        # A repeat changes nothing about which usable candidate came first.
        distinct = list(dict.fromkeys(candidates))
        if not distinct:
            return None
        sql = self.first_drawn_sql.format(
            candidates=", ".join(["%s"] * len(distinct)),
            draw_order=" ".join(f"WHEN %s THEN {position}" for position in range(len(distinct))),
        )
        return next(iter(MindMoment.objects.using(self.using).raw(sql, distinct * 2)), None)


@cache
def _pick_statements(vendor: str, using: str) -> tuple[str, str]:
    """The SQL of the id range and of the first drawn moment, built once per database: a
    pick happens every few seconds and must cost a fraction of a millisecond."""
    quote = connections[using].ops.quote_name
    meta = MindMoment._meta
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    has_sigil = quote(_column("has_sigil"))
    columns = ", ".join(quote(_column(name)) for name in DREAM_FIELDS)
    # Two LIMIT 1 scans of the partial index rather than MIN() and MAX() together:
    # SQLite reads only an end of the index for a lone MIN or MAX, all of it for both.
    ascending = f"SELECT {pk} FROM {table} WHERE {has_sigil} ORDER BY {pk}"  # noqa: S608
    id_range_sql = f"SELECT ({ascending} LIMIT 1), ({ascending} DESC LIMIT 1)"
    first_drawn_sql = (
        f"SELECT {columns} FROM {table} WHERE {has_sigil} AND {pk} IN ({{candidates}}) "  # noqa: S608
        f"ORDER BY CASE {pk} {{draw_order}} END LIMIT 1"
    )
    return id_range_sql, first_drawn_sql


def _column(name: str) -> str:
    # The pick reads concrete fields of MindMoment only, never a relation.
    return cast("Field[Any, Any]", MindMoment._meta.get_field(name)).column


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
