"""The dream loop's probes: the reads a pick runs at every tick, written by the ORM once
and then run as plain SQL.

Compiling a query (a filter of several bounds, a CASE of many WHENs) takes several times
longer than running it over an index, and a pick's target is a fraction of a millisecond.
So a probe is compiled once per selection and database (the ORM writes the SQL and
prepares its parameters, quoting and time zones included) and each run only appends the
candidates' ids: the rows still come back as models, converted as the ORM converts them.

On PostgreSQL a round trip costs more than an indexed read, so what a pick must check at
every tick (the id range its candidates are drawn from, the latest dream it follows) is
read in the same statement as the candidates (`MomentProbe.first_drawn_with`), and a
`RangedProbe` draws from the range it read last: one round trip per pick while the range
holds.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from django.db import connections
from django.db.models import Case, Field, IntegerField, Q, QuerySet, Value, When

from dreams.models import MindMoment

__all__ = ["MomentProbe", "Probed", "RangedProbe", "ValueProbe", "moment_probe", "value_probe"]

# Redraws of a ranged probe whose range changed between its reads; only a stream of writes
# at the range's ends gets past one.
RANGE_REDRAWS = 4


@dataclass(frozen=True)
class ValueProbe:
    """Queries that each answer one value (the first column of their first row), read
    together in one statement: one round trip."""

    columns: str
    params: tuple[Any, ...]
    names: tuple[str, ...]
    using: str

    @property
    def sql(self) -> str:
        return f"SELECT {self.columns}"

    def values(self) -> tuple[Any, ...]:
        """Each query's value, None for one that returns no row."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return tuple(cursor.fetchone())


@dataclass(frozen=True)
class Probed:
    """What one statement read: a value probe's values and the moments probed beside them."""

    values: tuple[Any, ...] | None  # None when no moment was found to carry them
    moments: list[MindMoment]


@dataclass(frozen=True)
class MomentProbe:
    """The moments of a selection, some of their fields, probed by candidate ids."""

    sql: str
    params: tuple[Any, ...]
    pk: str
    using: str
    # PostgreSQL gets the candidates as one array: psycopg binds client-side, and parses
    # afresh (about 1 ms) a statement of more than 50 parameters; SQLite keeps a prepared
    # statement per number of candidates.
    as_array: bool

    def first_drawn(self, candidates: Iterable[int]) -> MindMoment | None:
        """Of the candidates the selection holds, the one drawn first: one row read."""
        statement = self._first_drawn(candidates)
        if statement is None:
            return None
        return next(iter(MindMoment.objects.using(self.using).raw(*statement)), None)

    def first_drawn_with(self, candidates: Iterable[int], values: ValueProbe) -> Probed:
        """`first_drawn`, and the values of `values` read in the same statement (as
        columns of the moment's row: none without one)."""
        return self._with(self._first_drawn(candidates), values)

    def among_with(self, candidates: Iterable[int], values: ValueProbe) -> Probed:
        """Each of the candidates the selection holds, and the values of `values` read in
        the same statement."""
        distinct = list(dict.fromkeys(candidates))
        return self._with(self._among(distinct) if distinct else None, values)

    def next_by_cycle(self, after_cycle: int) -> MindMoment | None:
        """The first moment of the selection after `after_cycle`, in cycle order."""
        cycle = _qualified(self.using, "cycle")
        sql = f"{self.sql} AND {cycle} > %s ORDER BY {cycle} LIMIT 1"
        rows = MindMoment.objects.using(self.using).raw(sql, (*self.params, after_cycle))
        return next(iter(rows), None)

    def _first_drawn(self, candidates: Iterable[int]) -> tuple[str, tuple[Any, ...]] | None:
        # A repeat changes nothing about which selected candidate came first.
        distinct = list(dict.fromkeys(candidates))
        if not distinct:
            return None
        among, params = self._among(distinct)
        if self.as_array:
            draw_order = f"array_position(%s::bigint[], {self.pk})"
            return f"{among} ORDER BY {draw_order} LIMIT 1", (*params, distinct)
        positions = " ".join(f"WHEN %s THEN {position}" for position in range(len(distinct)))
        return f"{among} ORDER BY CASE {self.pk} {positions} END LIMIT 1", (*params, *distinct)

    def _among(self, distinct: list[int]) -> tuple[str, tuple[Any, ...]]:
        if self.as_array:
            return f"{self.sql} AND {self.pk} = ANY(%s::bigint[])", (*self.params, distinct)
        placeholders = ", ".join(["%s"] * len(distinct))
        return f"{self.sql} AND {self.pk} IN ({placeholders})", (*self.params, *distinct)

    def _with(self, statement: tuple[str, tuple[Any, ...]] | None, values: ValueProbe) -> Probed:
        if statement is None:
            return Probed(None, [])
        sql, params = statement
        # The values as the first columns of each row: scalar subqueries cost PostgreSQL's
        # planner less than a join of the two statements would. Both parts are SQL the
        # ORM compiled; the candidates are parameters.
        with_values = f"SELECT {values.columns}, {sql.removeprefix('SELECT ')}"
        rows = list(
            MindMoment.objects.using(self.using).raw(with_values, (*values.params, *params))
        )
        if not rows:
            return Probed(None, [])
        return Probed(tuple(getattr(rows[0], name) for name in values.names), rows)


class RangedProbe:
    """Moments of a selection drawn from an id range (the ids between the two values of
    `ends`, in either order), which is read again by every statement that finds one.

    Candidates are drawn from the range read last; when the statement finds that the range
    has changed since (a moment written or deleted at one of its ends), its moments are
    dropped and candidates drawn afresh from the range as it is now. Whether a draw counts
    thus depends only on the range, never on what the candidates found, so the pick stays
    exact; and while the range holds, as it does while the mind dreams (nobody perceives,
    so nothing is written), a probe is one round trip. A round that finds nothing decides
    nothing but to draw again (the next round, or an exact fallback, whose result does not
    depend on the range), so it is not checked."""

    def __init__(self, ends: ValueProbe, moments: MomentProbe) -> None:
        self.ends = ends
        self.moments = moments
        self._last_read: tuple[int, int] | None = None

    @property
    def last_read(self) -> tuple[int, int] | None:
        """The range as last read, None when the selection was empty."""
        return self._last_read

    def first_drawn(self, draw: Callable[[int, int], list[int]]) -> MindMoment | None:
        """Of the candidates `draw(lowest, highest)` gives, the first the selection holds;
        None when none does or the range is empty."""
        found = self._probe(lambda drawn: self.moments.first_drawn_with(drawn, self.ends), draw)
        return found[0] if found else None

    def among(
        self, draw: Callable[[int, int], list[int]]
    ) -> tuple[list[int], dict[int, MindMoment]]:
        """The candidates `draw(lowest, highest)` gave and those the selection holds, by id."""
        candidates: list[int] = []

        def probed(drawn: list[int]) -> Probed:
            candidates[:] = drawn
            return self.moments.among_with(drawn, self.ends)

        found = self._probe(probed, draw)
        return candidates, {moment.pk: moment for moment in found}

    def id_range(self) -> tuple[int, int] | None:
        """The range as it is now (one read), None when the selection is empty."""
        self._last_read = _as_range(self.ends.values())
        return self._last_read

    def forget(self) -> None:
        """Read the range afresh at the next probe: after every round missed, the range
        read last may be one that a history written since has left behind."""
        self._last_read = None

    def _probe(
        self, probe: Callable[[list[int]], Probed], draw: Callable[[int, int], list[int]]
    ) -> list[MindMoment]:
        id_range = self._last_read or self.id_range()
        probed = Probed(None, [])
        for _ in range(RANGE_REDRAWS):
            if id_range is None:
                return []
            probed = probe(draw(*id_range))
            if probed.values is None:
                return []
            read_now = _as_range(probed.values)
            if read_now == id_range:
                break
            self._last_read = id_range = read_now
        # Writes at the range's ends outran every redraw: the last draw stands.
        return probed.moments


def value_probe(*querysets: QuerySet[Any]) -> ValueProbe:
    """The probe of queries that each answer one value (say, `values_list("pk")[:1]`)."""
    compiled = [queryset.query.sql_with_params() for queryset in querysets]
    names = tuple(f"probed_{index}" for index in range(len(compiled)))
    columns = ", ".join(
        f"({part}) AS {name}" for (part, _), name in zip(compiled, names, strict=True)
    )
    params = tuple(param for _, part_params in compiled for param in part_params)
    return ValueProbe(columns, params, names, querysets[0].db)


def moment_probe(
    selection: QuerySet[MindMoment], fields: tuple[str, ...], *, condition: Q | None = None
) -> MomentProbe:
    """The probe of `selection` (which must filter: the candidates are added to its
    WHERE) loading `fields`, keeping the rows `condition` holds for.

    The condition is checked row by row (`CASE WHEN ... END = 1`), not offered to the
    planner as a filter: the rows are still found by primary key alone, where a filter on,
    say, `kind` would let SQLite's planner trade the key lookups for a scan of the kind's
    index (75 ms instead of a fraction of one at a million moments)."""
    if condition:
        held = Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
        selection = selection.alias(holds=held).filter(holds=1)
    queryset = selection.only(*fields).order_by()
    sql, params = queryset.query.sql_with_params()
    if " WHERE " not in sql or not sql.startswith("SELECT "):
        raise ValueError("a moment probe needs a selection that filters")
    as_array = connections[queryset.db].vendor == "postgresql"
    return MomentProbe(sql, tuple(params), _qualified(queryset.db, "id"), queryset.db, as_array)


def _as_range(ends: tuple[Any, ...]) -> tuple[int, int] | None:
    if any(end is None for end in ends):
        return None
    return min(ends), max(ends)


@lru_cache(maxsize=8)
def _qualified(using: str, field: str) -> str:
    quote = connections[using].ops.quote_name
    column = cast("Field[Any, Any]", MindMoment._meta.get_field(field)).column
    return f"{quote(MindMoment._meta.db_table)}.{quote(column)}"
