"""Server time of the pages people read (the history of moments and one moment's page) at a
given number of moments, for ``manage.py bench_pages``.

Each backend gets a throwaway database made as ``benchmarks.dream_pick`` makes its own (a
temporary SQLite file, or a PostgreSQL schema dropped afterwards), filled with moments that
look like a real history: live moments with now and then a dream or a seed, readings spread
over the circumplex, real sigils (a pool of distinct ones), percepts on some, three minutes
apart, and about a tenth deleted in runs.

A page's time is the server's side of it: Django's test Client through the middleware, the
view, its queries and the template, with the site's default database pointed at the
throwaway one for the run (so that every query a page makes, through the ORM or a raw
cursor, reaches it). The network, the browser and the images the page asks for next are
not in it; nor is opening a connection (the client keeps its connection, as a server
with CONN_MAX_AGE does).
"""

import random
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import urlencode

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from benchmarks.dream_pick import BACKENDS, FILLED_FIELDS, fill_moments, throwaway_database
from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN, circumplex_colour
from dreams.models import MindMoment, MomentKind
from dreams.services.seeding import QUALITIES, THINGS
from dreams.sigils import GeneratedSigil, generate_sigil

__all__ = [
    "DEFAULT_REQUESTS",
    "DEFAULT_ROWS",
    "TARGET_MEDIAN_MS",
    "BackendReport",
    "PageTiming",
    "run_benchmark",
]

DEFAULT_ROWS = 1_000_000
DEFAULT_REQUESTS = 200
TARGET_MEDIAN_MS = 150.0
WARM_UP_REQUESTS = 5
# A page slow enough to exceed this many seconds stops at MIN_REQUESTS or after.
CASE_BUDGET_S = 60.0
MIN_REQUESTS = 10
SIGIL_POOL = 1_000
MOMENT_SPACING = timedelta(minutes=3)
OLDEST_AT = datetime(2021, 1, 1, tzinfo=UTC)
# Of a hundred moments: most are live, a few are dream replays, a few seeds.
KIND_WEIGHTS = {MomentKind.LIVE: 85, MomentKind.DREAM: 10, MomentKind.SEED: 5}
NO_SIGIL_SHARE = 0.03
# Words for the text search: one in about a third of the texts, one in one moment in 10,000,
# one in none.
COMMON_WORD = "remembered"
RARE_WORD = "cormorant"
RARE_SHARE = 0.0001
ABSENT_WORD = "zeppelin"
# The deep cursor lands this far down the table (and below), where OFFSET would hurt most.
DEEP_FROM = 0.8
# Very pleasant and very excited: about one moment in 500 lies there.
CORNER = {"valence_min": "0.7", "arousal_min": "0.7"}

Progress = Callable[[str], None]

_SENTENCES = (
    "It feels {quality}, like a {thing} {remembered} from far away.",
    "Something {quality} is here; the {thing} keeps returning.",
    "I notice the {thing} and a {quality} stillness around it.",
    "The moment is {quality}, circling a {thing} I cannot name.",
    "Voices fold into the hum of the room while the {thing} stays {quality}.",
    "A {quality} pressure gathers, as if the {thing} were about to speak.",
)


@dataclass(frozen=True)
class PageTiming:
    name: str
    path: str
    requests: int
    median_ms: float
    p95_ms: float
    # What a reader of the figures should know (a scan, a page not built yet).
    note: str = ""
    # A page not measured against the target (reported beside it).
    separate: bool = False
    # No figures: the page did not answer 200 (the note says what it answered).
    missing: bool = False

    @property
    def passed(self) -> bool:
        return not self.missing and self.median_ms < TARGET_MEDIAN_MS


@dataclass(frozen=True)
class BackendReport:
    backend: str
    rows: int
    timings: list[PageTiming]


@dataclass(frozen=True)
class _Case:
    name: str
    paths: Callable[[random.Random], str]
    note: str = ""
    separate: bool = False


def run_benchmark(
    *,
    backends: Sequence[str],
    postgres_url: str,
    rows: int,
    requests: int,
    seed: int,
    progress: Progress,
) -> list[BackendReport]:
    reports = []
    for backend in backends:
        rng = random.Random(seed)  # noqa: S311 - reproducible test data
        with throwaway_database(backend, postgres_url) as (alias, where):
            label = BACKENDS[backend]
            progress(f"{label}: schema migrated in {where}; filling {rows:,} moments")
            fill_moments(alias, rows, rng, progress, make_rows=_history_rows)
            with _serving_from(alias):
                timings = []
                for case in _cases(alias):
                    timing = _time_case(case, requests, rng)
                    timings.append(timing)
                    figures = (
                        timing.note
                        if timing.missing
                        else f"median {timing.median_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms"
                    )
                    progress(f"{label}: {case.name}: {figures}")
        reports.append(BackendReport(label, rows, timings))
    return reports


@contextmanager
def _serving_from(alias: str) -> Iterator[None]:
    """The site's default database is the throwaway one until the block ends (this thread
    only: the client calls the views in it). DEBUG is off, as on a server: no query log."""
    original = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connections[alias]
    try:
        with override_settings(DEBUG=False, DREAMS_PUBLIC_DEMO=False), warnings.catch_warnings():
            # WhiteNoise's note that static files were never collected: pages need only
            # their URLs.
            warnings.filterwarnings("ignore", message="No directory at")
            yield
    finally:
        connections[DEFAULT_DB_ALIAS] = original


def _cases(alias: str) -> list[_Case]:
    moments = MindMoment.objects.using(alias)
    cycles = moments.order_by("cycle").values_list("cycle", flat=True)
    lowest, highest = cycles.first() or 0, cycles.last() or 0
    deep_top = lowest + round((highest - lowest) * (1 - DEEP_FROM))
    ids = moments.order_by("id").values_list("id", flat=True)
    first_id, last_id = ids.first() or 0, ids.last() or 0
    newest = moments.order_by("-cycle").values_list("created_at", flat=True).first()
    history = reverse("moment-history")
    region = {
        "kind": MomentKind.DREAM,
        "valence_min": "0.1",
        "valence_max": "0.7",
        "arousal_min": "-0.4",
        "arousal_max": "0.3",
    }

    def deep_cursor(rng: random.Random) -> int:
        return rng.randint(lowest + 1, max(lowest + 1, deep_top))

    def a_moment(rng: random.Random) -> str:
        # A gap's id gives the moment after it, as a link to a pruned moment might.
        moment_id = ids.filter(id__gte=rng.randint(first_id, last_id)).first() or last_id
        return reverse("moment-page", args=[moment_id])

    last_week = (newest or OLDEST_AT) - timedelta(days=7)
    span = (newest or OLDEST_AT) - OLDEST_AT
    long_ago = OLDEST_AT + span * (1 - DEEP_FROM) / 2

    def a_month_long_ago(rng: random.Random) -> str:
        since = OLDEST_AT + span * rng.uniform(0, 1 - DEEP_FROM)
        window = {"since": since.isoformat(), "until": (since + timedelta(days=30)).isoformat()}
        return f"{history}?{urlencode(window)}"

    return [
        _Case("history, newest", lambda rng: history),
        _Case(
            "history, dream + circumplex box",
            lambda rng: f"{history}?{urlencode(region)}",
        ),
        _Case("history, deep cursor", lambda rng: f"{history}?before={deep_cursor(rng)}"),
        _Case(
            "history, box + deep cursor",
            lambda rng: f"{history}?{urlencode({**region, 'before': deep_cursor(rng)})}",
        ),
        _Case(
            "history, last week",
            lambda rng: f"{history}?{urlencode({'since': last_week.isoformat()})}",
        ),
        _Case("history, a month long ago", a_month_long_ago),
        _Case(
            "history, until long ago",
            lambda rng: f"{history}?{urlencode({'until': long_ago.isoformat()})}",
        ),
        _Case(
            "history, a corner of the circumplex",
            lambda rng: f"{history}?{urlencode(CORNER)}",
        ),
        _Case("moment page", a_moment),
        _Case(
            f"text, common word ({COMMON_WORD})",
            lambda rng: f"{history}?q={COMMON_WORD}",
            note="stops after a page of matches",
            separate=True,
        ),
        _Case(
            f"text, rare word ({RARE_WORD})",
            lambda rng: f"{history}?q={RARE_WORD}",
            note="a scan: reads most of the table for a page of matches",
            separate=True,
        ),
        _Case(
            f"text, absent word ({ABSENT_WORD})",
            lambda rng: f"{history}?q={ABSENT_WORD}",
            note="a full scan: no index serves a substring match",
            separate=True,
        ),
    ]


def _time_case(case: _Case, requests: int, rng: random.Random) -> PageTiming:
    client = Client(HTTP_HOST="localhost")
    # Scans take seconds a request: fewer of them say as much.
    count = max(min(3, requests), requests // 20) if case.separate else requests
    paths = [case.paths(rng) for _ in range(count + WARM_UP_REQUESTS)]
    durations: list[float] = []
    deadline = time.monotonic() + CASE_BUDGET_S
    for index, path in enumerate(paths):
        if len(durations) >= MIN_REQUESTS and time.monotonic() > deadline:
            break  # a slow page has said what it had to
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            # A page not built yet (404), or broken: said in the report, not a crash.
            note = "not built yet (404)" if response.status_code == 404 else "an error"
            note = f"{note}: {path} answered {response.status_code}"
            return PageTiming(case.name, path, 0, 0.0, 0.0, note, missing=True)
        if index >= WARM_UP_REQUESTS:
            durations.append(elapsed)
    return PageTiming(
        case.name,
        paths[-1],
        len(durations),
        float(np.median(durations)) * 1000,
        float(np.percentile(durations, 95)) * 1000,
        case.note,
        case.separate,
    )


def _history_rows(
    connection: BaseDatabaseWrapper, start: int, stop: int, rng: random.Random
) -> list[tuple]:
    """Moments start..stop-1 in FILLED_FIELDS' order, ready for the database."""
    pool = _sigil_pool()
    adapt_json = connection.ops.adapt_json_value
    adapt_time = connection.ops.adapt_datetimefield_value
    commands = [adapt_json(sigil.commands, None) for _, sigil in pool]
    empty = adapt_json([], None)
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    rows = []
    for moment_id in range(start, stop):
        index = rng.randrange(len(pool))
        phrase, sigil = pool[index]
        quality, thing = phrase.split(" ", 1)
        has_sigil = rng.random() >= NO_SIGIL_SHARE
        valence = round(rng.triangular(CIRCUMPLEX_MIN, CIRCUMPLEX_MAX, 0.0), 3)
        arousal = round(rng.triangular(CIRCUMPLEX_MIN, CIRCUMPLEX_MAX, 0.0), 3)
        words = {"quality": quality, "thing": thing, "remembered": COMMON_WORD}
        text = " ".join(rng.choice(_SENTENCES).format(**words) for _ in range(rng.randint(1, 4)))
        if rng.random() < RARE_SHARE:
            text += f" A {RARE_WORD} dives."
        visual = (
            adapt_json([{"description": f"a figure pausing by the {thing}"}], None)
            if rng.random() < 0.35
            else empty
        )
        values = {
            "id": moment_id,
            "cycle": moment_id,
            "kind": rng.choices(kinds, weights)[0].value,
            "text": text,
            "sigil_phrase": phrase if has_sigil else "",
            "sigil_code": sigil.code if has_sigil else "",
            "sigil_commands": commands[index] if has_sigil else empty,
            "has_sigil": has_sigil,
            "valence": valence,
            "arousal": arousal,
            "colour": circumplex_colour(valence, arousal),
            "visual_percepts": visual,
            "audio_percepts": empty,
            "engine": "bench",
            "created_at": adapt_time(OLDEST_AT + MOMENT_SPACING * moment_id),
        }
        rows.append(tuple(values[name] for name in FILLED_FIELDS))
    return rows


@cache
def _sigil_pool() -> list[tuple[str, GeneratedSigil]]:
    """Distinct real sigils, so that rows weigh what real ones do."""
    pool = []
    for index in range(SIGIL_POOL):
        quality = QUALITIES[index % len(QUALITIES)]
        thing = THINGS[index // len(QUALITIES) % len(THINGS)]
        phrase = f"{quality} {thing}"
        pool.append((phrase, generate_sigil(f"bench-pages:{index}:{phrase}")))
    return pool
