"""The dream loop's probes: the reads a pick runs at every tick, written by the ORM once
and then run as plain SQL.

Compiling a query (a filter of several bounds, a CASE of many WHENs) takes several times
longer than running it over an index, and a pick's target is a fraction of a millisecond.
So a probe is compiled once per selection and database (the ORM writes the SQL and
prepares its parameters, quoting and time zones included) and each run only appends the
candidates' ids: the rows still come back as models, converted as the ORM converts them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from django.db import connections
from django.db.models import Case, Field, IntegerField, Q, QuerySet, Value, When

from dreams.models import MindMoment

__all__ = ["MomentProbe", "ValueProbe", "moment_probe", "value_probe"]


@dataclass(frozen=True)
class ValueProbe:
    """Queries that each answer one value (the first column of their first row), read
    together in one statement: one round trip."""

    sql: str
    params: tuple[Any, ...]
    using: str

    def values(self) -> tuple[Any, ...]:
        """Each query's value, None for one that returns no row."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return tuple(cursor.fetchone())


@dataclass(frozen=True)
class MomentProbe:
    """The moments of a selection, some of their fields, probed by candidate ids."""

    sql: str
    params: tuple[Any, ...]
    pk: str
    using: str

    def first_drawn(self, candidates: Iterable[int]) -> MindMoment | None:
        """Of the candidates the selection holds, the one drawn first: one row read."""
        # A repeat changes nothing about which selected candidate came first.
        distinct = list(dict.fromkeys(candidates))
        if not distinct:
            return None
        draw_order = " ".join(f"WHEN %s THEN {position}" for position in range(len(distinct)))
        sql = f"{self._among(len(distinct))} ORDER BY CASE {self.pk} {draw_order} END LIMIT 1"
        rows = MindMoment.objects.using(self.using).raw(sql, (*self.params, *distinct, *distinct))
        return next(iter(rows), None)

    def among(self, candidates: Iterable[int]) -> dict[int, MindMoment]:
        """Each of the candidates the selection holds, by id."""
        distinct = list(dict.fromkeys(candidates))
        if not distinct:
            return {}
        rows = MindMoment.objects.using(self.using).raw(
            self._among(len(distinct)), (*self.params, *distinct)
        )
        return {moment.pk: moment for moment in rows}

    def next_by_cycle(self, after_cycle: int) -> MindMoment | None:
        """The first moment of the selection after `after_cycle`, in cycle order."""
        cycle = _qualified(self.using, "cycle")
        sql = f"{self.sql} AND {cycle} > %s ORDER BY {cycle} LIMIT 1"
        rows = MindMoment.objects.using(self.using).raw(sql, (*self.params, after_cycle))
        return next(iter(rows), None)

    def _among(self, count: int) -> str:
        return f"{self.sql} AND {self.pk} IN ({', '.join(['%s'] * count)})"


def value_probe(*querysets: QuerySet[Any]) -> ValueProbe:
    """The probe of queries that each answer one value (say, `values_list("pk")[:1]`)."""
    compiled = [queryset.query.sql_with_params() for queryset in querysets]
    sql = "SELECT " + ", ".join(f"({part})" for part, _ in compiled)
    params = tuple(param for _, part_params in compiled for param in part_params)
    return ValueProbe(sql, params, querysets[0].db)


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
        selection = selection.annotate(holds=held).filter(holds=1)
    queryset = selection.only(*fields).order_by()
    sql, params = queryset.query.sql_with_params()
    if " WHERE " not in sql:
        raise ValueError("a moment probe needs a selection that filters")
    return MomentProbe(sql, tuple(params), _qualified(queryset.db, "id"), queryset.db)


@lru_cache(maxsize=8)
def _qualified(using: str, field: str) -> str:
    quote = connections[using].ops.quote_name
    column = cast("Field[Any, Any]", MindMoment._meta.get_field(field)).column
    return f"{quote(MindMoment._meta.db_table)}.{quote(column)}"
