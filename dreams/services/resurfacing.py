"""Resurfacing analytics: how often each moment came back, through the dream loop's replays
(written in batches from the conductor's counter, `dreams.conductor.resurfacing`) and the
dream reviews that cite it.

Both writers lock the moments they count in id order before updating them, so a batch of
replays and a review being written never wait on each other in a cycle (PostgreSQL would
break such a deadlock by failing one of them), and a moment deleted meanwhile cannot
leave a tally behind: a deleted moment is simply skipped.
"""

from collections.abc import Iterable, Iterator

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Case, DateTimeField, F, PositiveIntegerField, Value, When
from django.db.models.functions import Coalesce, Greatest

from dreams.conductor.resurfacing import ReplayBatch
from dreams.models import DreamReview, MindMoment, ReplayTally

# Ids per statement: far below SQLite's limit on bound parameters, and a CASE of this many
# branches stays a small statement.
CHUNK = 500


def replays_record(*, batch: ReplayBatch, using: str = DEFAULT_DB_ALIAS) -> None:
    """Add a batch of replays in one transaction: each moment's `replays` and
    `last_resurfaced_at` (never moved back), and its tallies by day and mode. A few
    statements per 500 moments, however many replays the batch holds."""
    if not batch:
        return
    with transaction.atomic(using=using):
        kept = _lock(batch.moments, using)
        for chunk in _chunks(kept):
            counts = Case(
                *(When(pk=pk, then=Value(batch.moments[pk].count)) for pk in chunk),
                output_field=PositiveIntegerField(),
            )
            latest = Case(
                *(When(pk=pk, then=Value(batch.moments[pk].latest)) for pk in chunk),
                output_field=DateTimeField(),
            )
            MindMoment.objects.using(using).filter(pk__in=chunk).update(
                replays=F("replays") + counts, last_resurfaced_at=_no_earlier_than(latest)
            )
        _tallies_add(batch, set(kept), using)


def citations_record(*, review: DreamReview) -> None:
    """Count one citation for each distinct moment the review's themes cite; the review's
    time becomes their last resurfacing unless they resurfaced later."""
    with transaction.atomic():
        for chunk in _chunks(_lock(review.cited_moment_ids(), DEFAULT_DB_ALIAS)):
            MindMoment.objects.filter(pk__in=chunk).update(
                citations=F("citations") + 1,
                last_resurfaced_at=_no_earlier_than(Value(review.created_at)),
            )


def _no_earlier_than(at: Case | Value) -> Greatest:
    # GREATEST with a NULL is NULL on SQLite (MAX), and the NULL itself on PostgreSQL.
    return Greatest(Coalesce(F("last_resurfaced_at"), at), at, output_field=DateTimeField())


def _lock(ids: Iterable[int], using: str) -> list[int]:
    """The moments among `ids` that still exist, locked (in id order) until the end of
    the transaction."""
    kept: list[int] = []
    for chunk in _chunks(sorted(ids)):
        rows = MindMoment.objects.using(using).select_for_update().filter(pk__in=chunk)
        kept += rows.order_by("pk").values_list("pk", flat=True)
    return kept


def _tallies_add(batch: ReplayBatch, kept: set[int], using: str) -> None:
    wanted = {key: count for key, count in batch.tallies.items() if key[0] in kept}
    if not wanted:
        return
    days = {day for _, day, _ in wanted}
    tallies = ReplayTally.objects.using(using)
    existing: list[ReplayTally] = []
    for chunk in _chunks(sorted({moment_id for moment_id, _, _ in wanted})):
        for tally in tallies.filter(moment_id__in=chunk, day__in=days):
            key = (tally.moment_id, tally.day, tally.mode)
            if key in wanted:
                tally.replays += wanted.pop(key)
                existing.append(tally)
    tallies.bulk_update(existing, ["replays"], batch_size=CHUNK)
    tallies.bulk_create(
        [
            ReplayTally(moment_id=moment_id, day=day, mode=mode, replays=count)
            for (moment_id, day, mode), count in wanted.items()
        ],
        batch_size=CHUNK,
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
