"""Timing and uniformity of the dream loop's pick (`dreams.selectors.live`), the time of
each replay mode's pick (`dreams.conductor.replay.Replayer`) and of the dream tick with the
resurfacing analytics on and off, for ``manage.py bench_dream_pick``.

Every backend gets a throwaway database: SQLite in a temporary file, PostgreSQL in a schema
made for the run and dropped after it, so neither the operator's data nor the test database
is touched. Django's migrations give it the real schema, partial index included, through a
database alias that exists only for the run.

Tables are filled with plain rows (only the pick is measured) and then holed the way a
history can be: about a tenth of the rows deleted in runs of random length at random places,
and one moment in twenty without a sigil. The rows spread over the circumplex, over time (a
minute apart) and over the kinds, so that a theme selects a share of them as it would of a
real history; one dream review cites a few dozen of them, for `last_dream`.
"""

import random
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import environ
import numpy as np
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.utils import ConnectionHandler
from scipy.stats import chisquare

from dreams.conductor.conductor import REPLAY_COUNTS_EVERY_S
from dreams.conductor.replay import Replayer
from dreams.conductor.resurfacing import ReplayCounter
from dreams.models import DreamReview, MindMoment, MomentKind, ReplayTally
from dreams.realtime.events import MindMomentAnnounced, Sigil
from dreams.replay import ReplayMode, ReplayPlan, ThemeFilter
from dreams.selectors.live import DREAM_FIELDS, random_sigil_moment
from dreams.services.resurfacing import replays_record
from dreams.services.seeding import SEED_FIELDS
from dreams.sigils import GeneratedSigil, generate_sigil

__all__ = [
    "BACKENDS",
    "DEFAULT_POSTGRES_URL",
    "DEFAULT_SIZES",
    "FILLED_FIELDS",
    "GAP_STRETCH",
    "TARGET_ANALYTICS_RATIO",
    "TARGET_MEDIAN_MS",
    "TARGET_P_VALUE",
    "BackendReport",
    "ModeTiming",
    "PickTiming",
    "RowMaker",
    "TickTiming",
    "Uniformity",
    "fill_moments",
    "postgres_location",
    "postgres_reachable",
    "run_benchmark",
    "throwaway_database",
]

BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
TARGET_MEDIAN_MS = 1.0
TARGET_P_VALUE = 0.01
# The dream tick with the resurfacing analytics against the tick without them.
TARGET_ANALYTICS_RATIO = 1.10
UNIFORMITY_ROWS = 1_000
DELETED_SHARE = 0.1
NO_SIGIL_SHARE = 0.05
# Each stretch of this many ids loses one run of 0 to 2 * DELETED_SHARE * stretch ids.
GAP_STRETCH = 100
BATCH_ROWS = 50_000
PROGRESS_EVERY = 250_000
FIRST_CREATED_AT = datetime(2025, 1, 1, tzinfo=UTC)
ROW_KINDS = (MomentKind.LIVE, MomentKind.DREAM, MomentKind.SEED)
# The latest dream review's themes, and the moments each cites.
REVIEW_THEMES = 5
CITED_PER_THEME = 8

Progress = Callable[[str], None]

# The seeder's columns, and the id: the bench numbers its rows itself, gaps included.
FILLED_FIELDS = ("id", *SEED_FIELDS)
# Rows for ids start..stop-1, each a tuple of FILLED_FIELDS' values ready for the database.
RowMaker = Callable[[BaseDatabaseWrapper, int, int, random.Random], list[tuple]]


@dataclass(frozen=True)
class PickTiming:
    rows: int
    median_ms: float
    p99_ms: float
    baseline_median_ms: float

    @property
    def speedup(self) -> float:
        return self.baseline_median_ms / self.median_ms

    @property
    def passed(self) -> bool:
        return self.median_ms <= TARGET_MEDIAN_MS


@dataclass(frozen=True)
class Uniformity:
    moments: int
    picks: int
    statistic: float
    p_value: float

    @property
    def passed(self) -> bool:
        return self.p_value > TARGET_P_VALUE


@dataclass(frozen=True)
class ModeTiming:
    """One replay mode's pick, as the dream loop makes it (`Replayer.next`)."""

    rows: int
    mode: str
    median_ms: float
    p99_ms: float

    @property
    def passed(self) -> bool:
        return self.median_ms <= TARGET_MEDIAN_MS


@dataclass(frozen=True)
class TickTiming:
    """The dream tick's own work (the pick and the events it broadcasts), without and with
    the replay noted for the analytics, measured in alternation; and the batch write that
    replaces a write per tick, for the replays of one write period."""

    rows: int
    off_median_ms: float
    on_median_ms: float
    batch_replays: int
    batch_write_ms: float

    @property
    def ratio(self) -> float:
        return self.on_median_ms / self.off_median_ms

    @property
    def passed(self) -> bool:
        return self.ratio <= TARGET_ANALYTICS_RATIO


@dataclass(frozen=True)
class BackendReport:
    backend: str
    timings: list[PickTiming]
    uniformity: Uniformity
    modes: list[ModeTiming]
    ticks: list[TickTiming]


def postgres_reachable(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def postgres_location(url: str) -> str:
    """Where `url` points, without its credentials."""
    config = environ.Env.db_url_config(url)
    return f"{config['HOST']}:{config['PORT']}/{config['NAME']}"


def run_benchmark(
    *,
    backends: Sequence[str],
    postgres_url: str,
    sizes: Sequence[int],
    picks: int,
    baseline_picks: int,
    uniformity_picks: int,
    seed: int,
    progress: Progress,
) -> list[BackendReport]:
    reports = []
    for backend in backends:
        rng = random.Random(seed)  # noqa: S311 - reproducible test data
        with throwaway_database(backend, postgres_url) as (alias, where):
            progress(f"{BACKENDS[backend]}: schema migrated in {where}")
            # The small table first and the sizes in order, so that the table emptied before
            # each fill is never the biggest: SQLite deletes row by row (foreign keys point
            # at the table), a minute for a million.
            fill_moments(alias, UNIFORMITY_ROWS, rng, progress)
            progress(f"{BACKENDS[backend]}: {uniformity_picks:,} picks for the chi-square")
            uniformity = _uniformity(alias, uniformity_picks, rng)
            timings, modes, ticks = [], [], []
            for size in sorted(sizes):
                fill_moments(alias, size, rng, progress)
                timing = _time_picks(alias, size, picks, baseline_picks, rng)
                timings.append(timing)
                progress(
                    f"{BACKENDS[backend]}: {size:,} rows, pick median {timing.median_ms:.3f} ms"
                )
                _write_latest_review(alias, rng)
                for mode in ReplayMode:
                    modes.append(_time_mode(alias, size, mode, picks, rng))
                    progress(
                        f"{BACKENDS[backend]}: {size:,} rows, {mode} median "
                        f"{modes[-1].median_ms:.3f} ms"
                    )
                ticks.append(_time_ticks(alias, size, picks, rng))
        reports.append(BackendReport(BACKENDS[backend], timings, uniformity, modes, ticks))
    return reports


@contextmanager
def throwaway_database(backend: str, postgres_url: str) -> Iterator[tuple[str, str]]:
    """The alias of an empty database with the project's schema, removed afterwards, and
    where that database is."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dreams-bench-") as directory:
            path = Path(directory) / "bench.sqlite3"
            with _alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}) as alias:
                call_command("migrate", database=alias, verbosity=0)
                yield alias, "a temporary file"
        return
    schema = f"dreams_bench_{secrets.token_hex(4)}"
    config = environ.Env.db_url_config(postgres_url)
    config.setdefault("OPTIONS", {})["options"] = f"-c search_path={schema}"
    with _alias(config) as alias:
        connection = connections[alias]
        quoted = connection.ops.quote_name(schema)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quoted}")
        try:
            call_command("migrate", database=alias, verbosity=0)
            yield alias, f"schema {schema} of {postgres_location(postgres_url)}"
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA {quoted} CASCADE")


@contextmanager
def _alias(config: dict[str, Any]) -> Iterator[str]:
    alias = f"dream_bench_{secrets.token_hex(4)}"
    # A handler of its own fills in the defaults Django expects of a database entry.
    connections.settings[alias] = ConnectionHandler({DEFAULT_DB_ALIAS: config}).settings[
        DEFAULT_DB_ALIAS
    ]
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def fill_moments(
    alias: str,
    rows: int,
    rng: random.Random,
    progress: Progress,
    *,
    make_rows: RowMaker | None = None,
) -> None:
    """Replace the moments with ids 1..rows (plain rows of one sigil unless `make_rows`
    makes them), then delete about a tenth of them in runs."""
    connection = connections[alias]
    table = connection.ops.quote_name(MindMoment._meta.db_table)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # Reviews and replay tallies (the previous size's) hold moments: they go first.
        for holder in (DreamReview, ReplayTally, MindMoment):
            quoted = connection.ops.quote_name(holder._meta.db_table)
            cursor.execute(f"DELETE FROM {quoted}")  # noqa: S608 - no input
        for written in _insert(connection, cursor, table, rows, rng, make_rows or _rows):
            if written % PROGRESS_EVERY == 0 or written == rows:
                progress(f"  {written:,} of {rows:,} rows written")
        cursor.executemany(
            f"DELETE FROM {table} WHERE id BETWEEN %s AND %s",  # noqa: S608 - no input
            _gap_runs(rows, rng),
        )
    if connection.vendor == "postgresql":
        # The state autovacuum soon leaves a table in, reached before the timing rather than
        # during it: no dead rows (a MAX over the deleted top of an index wades through
        # them), and statistics, without which the planner guesses.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")


def _insert(
    connection: BaseDatabaseWrapper,
    cursor: CursorWrapper,
    table: str,
    rows: int,
    rng: random.Random,
    make_rows: RowMaker,
) -> Iterator[int]:
    """Insert the rows in batches, yielding how many are written after each."""
    columns = ", ".join(
        connection.ops.quote_name(MindMoment._meta.get_field(name).column) for name in FILLED_FIELDS
    )
    batches = (
        make_rows(connection, start, min(rows + 1, start + BATCH_ROWS), rng)
        for start in range(1, rows + 1, BATCH_ROWS)
    )
    written = 0
    if connection.vendor == "postgresql":
        # COPY fills a million rows several times faster than executemany.
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(row)
                written += len(batch)
                yield written
        return
    placeholders = ", ".join(["%s"] * len(FILLED_FIELDS))
    statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    for batch in batches:
        cursor.executemany(statement, batch)
        written += len(batch)
        yield written


def _rows(
    connection: BaseDatabaseWrapper, start: int, stop: int, rng: random.Random
) -> list[tuple]:
    sigil = _bench_sigil()
    commands = connection.ops.adapt_json_value(sigil.commands, None)
    empty = connection.ops.adapt_json_value([], None)
    rows = []
    for moment_id in range(start, stop):
        has_sigil = rng.random() >= NO_SIGIL_SHARE
        rows.append(
            (
                moment_id,
                moment_id,
                ROW_KINDS[moment_id % len(ROW_KINDS)].value,
                f"Bench moment {moment_id}, a quiet harbour remembered from far away.",
                "quiet harbour" if has_sigil else "",
                sigil.code if has_sigil else "",
                commands if has_sigil else empty,
                has_sigil,
                round(rng.uniform(-1, 1), 3),
                round(rng.uniform(-1, 1), 3),
                "#ffffff",
                empty,
                empty,
                "bench",
                connection.ops.adapt_datetimefield_value(_created_at(moment_id)),
            )
        )
    return rows


def _created_at(moment_id: int) -> datetime:
    return FIRST_CREATED_AT + timedelta(minutes=moment_id)


@cache
def _bench_sigil() -> GeneratedSigil:
    """One real sigil for all the rows, so that they weigh what real ones do."""
    return generate_sigil("bench")


def _gap_runs(rows: int, rng: random.Random) -> list[tuple[int, int]]:
    """Inclusive id ranges to delete: one run of random length per stretch of ids."""
    runs = []
    for start in range(1, rows + 1, GAP_STRETCH):
        stretch = min(GAP_STRETCH, rows + 1 - start)
        length = round(rng.uniform(0, 2 * DELETED_SHARE * stretch))
        if length:
            first = start + rng.randrange(stretch - length + 1)
            runs.append((first, first + length - 1))
    return runs


def _time_picks(
    alias: str, rows: int, picks: int, baseline_picks: int, rng: random.Random
) -> PickTiming:
    durations = []
    previous = None
    for _ in range(picks):
        started = time.perf_counter()
        moment = random_sigil_moment(exclude_id=previous, rng=rng, using=alias)
        durations.append(time.perf_counter() - started)
        previous = moment.pk
    shuffled = MindMoment.objects.using(alias).filter(has_sigil=True).only(*DREAM_FIELDS)
    baseline = []
    for _ in range(baseline_picks):
        started = time.perf_counter()
        shuffled.order_by("?").first()
        baseline.append(time.perf_counter() - started)
    return PickTiming(
        rows=rows,
        median_ms=float(np.median(durations)) * 1000,
        p99_ms=float(np.percentile(durations, 99)) * 1000,
        baseline_median_ms=float(np.median(baseline)) * 1000,
    )


def _uniformity(alias: str, picks: int, rng: random.Random) -> Uniformity:
    """Chi-square of the picks' spread over every moment with a sigil against an even one."""
    moment_ids = MindMoment.objects.using(alias).filter(has_sigil=True).values_list("pk", flat=True)
    drawn = Counter(random_sigil_moment(rng=rng, using=alias).pk for _ in range(picks))
    observed = [drawn.pop(moment_id, 0) for moment_id in moment_ids]
    if drawn:
        raise RuntimeError(f"moments without a sigil were picked: {sorted(drawn)[:10]}")
    statistic, p_value = chisquare(observed)
    return Uniformity(len(observed), picks, float(statistic), float(p_value))


def bench_plans(rows: int) -> dict[str, ReplayPlan]:
    """Each replay mode as timed: the theme selects a quadrant of the circumplex, one kind
    in three and the middle half of the history (about 2% of its ids), salience and
    sequence keep their defaults."""
    theme = ThemeFilter(
        valence_min=0.0,
        valence_max=1.0,
        arousal_min=-1.0,
        arousal_max=0.0,
        since=_created_at(rows // 4),
        until=_created_at(3 * rows // 4),
        kind=MomentKind.LIVE,
    )
    return {mode: ReplayPlan(mode=mode, theme=theme) for mode in ReplayMode}


def _write_latest_review(alias: str, rng: random.Random) -> None:
    """A dream review citing a few dozen moments in themes, as the latest dream."""
    moments = MindMoment.objects.using(alias).filter(has_sigil=True)
    cited = [
        random_sigil_moment(rng=rng, using=alias) for _ in range(REVIEW_THEMES * CITED_PER_THEME)
    ]
    themes = [
        {
            "name": f"theme {index + 1}",
            "moment_ids": sorted(
                moment.pk for moment in cited[start : start + CITED_PER_THEME] if moment
            ),
        }
        for index, start in enumerate(range(0, len(cited), CITED_PER_THEME))
    ]
    DreamReview.objects.using(alias).create(
        sequence=1,
        title="Bench dream",
        narrative="A dream for the bench.",
        themes=themes,
        moment=moments.latest("pk"),
        engine="bench",
        material_count=len(cited),
        material_through_cycle=0,
    )


def _time_mode(alias: str, rows: int, mode: str, picks: int, rng: random.Random) -> ModeTiming:
    plan = bench_plans(rows)[mode]
    replayer = Replayer(rng=rng, using=alias)
    durations = []
    for _ in range(picks):
        started = time.perf_counter()
        picked = replayer.next(plan)
        durations.append(time.perf_counter() - started)
        if picked is None:
            raise RuntimeError(f"the {mode} mode found nothing to replay in {rows:,} rows")
    return ModeTiming(
        rows=rows,
        mode=mode,
        median_ms=float(np.median(durations)) * 1000,
        p99_ms=float(np.percentile(durations, 99)) * 1000,
    )


def _time_ticks(alias: str, rows: int, ticks: int, rng: random.Random) -> TickTiming:
    """Ticks of the uniform mode, alternately without and with the analytics, so that the
    machine's noise falls on both alike."""
    replayer = Replayer(rng=rng, using=alias)
    plan = ReplayPlan()
    counter = ReplayCounter()
    durations: dict[bool, list[float]] = {False: [], True: []}
    for tick in range(2 * ticks):
        analytics = tick % 2 == 1
        started = time.perf_counter()
        picked = replayer.next(plan)
        if picked is None:
            raise RuntimeError(f"nothing to replay in {rows:,} rows")
        moment, replayed = picked
        Sigil.of(moment, is_dream=True, replayed=replayed)
        MindMomentAnnounced.of(moment, is_dream=True, replayed=replayed)
        if analytics:
            counter.note(moment_id=moment.pk, mode=replayed.mode, at=datetime.now(UTC))
        durations[analytics].append(time.perf_counter() - started)
    # What the conductor writes every REPLAY_COUNTS_EVERY_S at the default dream cycle.
    per_write = round(REPLAY_COUNTS_EVERY_S * 1000 / settings.DREAM_CYCLE_MS)
    batch = ReplayCounter()
    for _ in range(per_write):
        picked = replayer.next(plan)
        assert picked is not None
        batch.note(moment_id=picked[0].pk, mode=plan.mode, at=datetime.now(UTC))
    started = time.perf_counter()
    replays_record(batch=batch.take(), using=alias)
    write_ms = (time.perf_counter() - started) * 1000
    return TickTiming(
        rows=rows,
        off_median_ms=float(np.median(durations[False])) * 1000,
        on_median_ms=float(np.median(durations[True])) * 1000,
        batch_replays=per_write,
        batch_write_ms=write_ms,
    )
