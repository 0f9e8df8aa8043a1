"""Deterministic demo mind moments, fast enough to fill a table with a million of them."""

import multiprocessing
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN, circumplex_colour
from dreams.models import MindMoment, MomentKind
from dreams.selectors.moments import moment_last_cycle
from dreams.sigils import generate_sigil
from engines.offline.prose import with_article

SEED_ENGINE = "seed"
MOMENT_SPACING = timedelta(minutes=3)

# The demo's words: a phrase is a quality and a thing (benchmarks.pages draws from them too).
QUALITIES = (
    "quiet",
    "amber",
    "restless",
    "hollow",
    "bright",
    "drifting",
    "tender",
    "distant",
    "electric",
    "slow",
    "silver",
    "tangled",
    "warm",
    "brittle",
    "luminous",
    "patient",
)
THINGS = (
    "harbour",
    "threshold",
    "window",
    "river",
    "signal",
    "garden",
    "staircase",
    "lantern",
    "crowd",
    "orbit",
    "echo",
    "bridge",
    "tide",
    "mirror",
    "forest",
    "engine",
)
_SCENES = (
    "a figure pausing by the {thing}",
    "light moving across {a_thing}",
    "two people laughing near the {thing}",
    "an empty {thing} at dusk",
    "hands shaping something like {a_thing}",
    "rain gathering on the {thing}",
)
_SOUNDS = (
    "someone humming a tune",
    "footsteps fading down a corridor",
    "a question asked twice",
    "wind against glass",
    "a door closing softly",
    "distant music with a steady beat",
)
_REFLECTIONS = (
    "It feels {quality}, like {a_thing} remembered from far away.",
    "Something {quality} is here; the {thing} keeps returning.",
    "I notice the {thing} and {a_quality} stillness around it.",
    "The moment is {quality}, circling {a_thing} I cannot name.",
)

# Each word after "a" or "an", as it sounds (an orbit, an amber stillness), worked out once.
_A = {word: with_article(word) for word in (*QUALITIES, *THINGS)}


# The columns a seeded moment fills; everything else keeps its database default.
SEED_FIELDS = (
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
    "visual_percepts",
    "audio_percepts",
    "engine",
    "created_at",
)
_JSON_FIELDS = ("sigil_commands", "visual_percepts", "audio_percepts")


def seed_values(rng: random.Random, *, seed: int, index: int) -> dict[str, object]:
    """The content of one demo moment, drawn from `rng` (so a seed fixes the sequence)."""
    quality, thing = rng.choice(QUALITIES), rng.choice(THINGS)
    phrase = f"{quality} {thing}"
    sigil = generate_sigil(f"{seed}:{index}:{phrase}")
    # Triangular draws spread readings over the whole circumplex but favour the middle,
    # as real readings do.
    valence = round(rng.triangular(CIRCUMPLEX_MIN, CIRCUMPLEX_MAX, 0.0), 3)
    arousal = round(rng.triangular(CIRCUMPLEX_MIN, CIRCUMPLEX_MAX, 0.0), 3)
    visual, audio = [], []
    if rng.random() < 0.35:
        visual = [{"description": rng.choice(_SCENES).format(thing=thing, a_thing=_A[thing])}]
    if rng.random() < 0.25:
        audio = [{"transcript": rng.choice(_SOUNDS)}]
    return {
        "text": rng.choice(_REFLECTIONS).format(
            quality=quality, thing=thing, a_quality=_A[quality], a_thing=_A[thing]
        ),
        "sigil_phrase": phrase,
        "sigil_code": sigil.code,
        "sigil_commands": sigil.commands,
        "valence": valence,
        "arousal": arousal,
        "colour": circumplex_colour(valence, arousal),
        "visual_percepts": visual,
        "audio_percepts": audio,
    }


@dataclass(frozen=True)
class _SeedPlan:
    seed: int
    count: int
    first_cycle: int
    newest: datetime


def _seed_rows(plan: _SeedPlan, start: int, stop: int) -> list[tuple]:
    """Database-ready rows for moments start..stop. Each batch draws from its own random
    stream, so the moments do not depend on which process made them."""
    rng = random.Random(f"{plan.seed}:{start}")  # noqa: S311 - demo data, not security
    adapt_json = connection.ops.adapt_json_value
    adapt_time = connection.ops.adapt_datetimefield_value
    rows = []
    for index in range(start, stop):
        values = seed_values(rng, seed=plan.seed, index=index)
        values.update(
            cycle=plan.first_cycle + index,
            kind=MomentKind.SEED.value,
            has_sigil=True,
            engine=SEED_ENGINE,
            created_at=adapt_time(plan.newest - MOMENT_SPACING * (plan.count - 1 - index)),
        )
        for name in _JSON_FIELDS:
            values[name] = adapt_json(values[name], None)
        rows.append(tuple(values[name] for name in SEED_FIELDS))
    return rows


def _seed_batch(job: tuple[_SeedPlan, int, int]) -> list[tuple]:
    return _seed_rows(*job)


def _insert_statement() -> str:
    """A plain multi-row INSERT: the ORM's per-object bookkeeping costs several times the
    insert itself at a million rows, and seeded moments need none of it."""
    quote = connection.ops.quote_name
    # SEED_FIELDS are concrete fields of MindMoment, never relations.
    fields = [cast("Field[Any, Any]", MindMoment._meta.get_field(name)) for name in SEED_FIELDS]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(SEED_FIELDS))
    table = quote(MindMoment._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - no input


@contextmanager
def _row_batches(plan: _SeedPlan, batch_size: int, workers: int) -> Iterator[Iterator[list]]:
    """Batches of rows in order; with several workers, made in forked processes while this
    one inserts (making rows is most of the work). Workers never touch the database."""
    jobs = [
        (plan, start, min(plan.count, start + batch_size))
        for start in range(0, plan.count, batch_size)
    ]
    if workers < 2 or len(jobs) < 2:
        yield map(_seed_batch, jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield pool.imap(_seed_batch, jobs)


def moments_seed(
    *,
    count: int,
    seed: int = 0,
    batch_size: int = 5000,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Append `count` demo moments after the last cycle; the same seed gives the same moments.

    The newest seeded moment is dated now and the others step back in time from it, so the
    history reads naturally in the admin and the API. Returns the number inserted.
    """
    plan = _SeedPlan(seed, count, moment_last_cycle() + 1, timezone.now())
    statement = _insert_statement()
    written = 0
    with (
        _row_batches(plan, batch_size, workers or os.cpu_count() or 1) as batches,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for rows in batches:
            cursor.executemany(statement, rows)
            written += len(rows)
            if on_progress is not None:
                on_progress(written)
    return written
