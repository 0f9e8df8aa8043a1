import io
import itertools
import os
import random
import re
from collections import Counter

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from scipy.stats import chisquare

from benchmarks.dream_pick import postgres_location, postgres_reachable
from dreams.models import MindMoment
from dreams.realtime.events import MindMomentAnnounced, Sigil
from dreams.selectors.live import (
    DREAM_FIELDS,
    ROUND_SIZES,
    random_sigil_moment,
    sigil_moments_in_range,
)
from tests.children import postgres_url
from tests.factories import make_moment

# Ids are set explicitly where the draw matters, so a seed gives the same picks on every
# backend and in every run.
FIRST_ID = 10_000


def _picks(count: int, *, seed: int, chained: bool = False) -> list[int]:
    rng = random.Random(seed)
    picked: list[int] = []
    for _ in range(count):
        exclude_id = picked[-1] if chained and picked else None
        picked.append(random_sigil_moment(exclude_id=exclude_id, rng=rng).pk)
    return picked


@pytest.mark.django_db
def test_no_moment_with_a_sigil_gives_none():
    assert random_sigil_moment() is None
    make_moment(with_sigil=False)
    assert random_sigil_moment() is None
    assert random_sigil_moment(exclude_id=123) is None


@pytest.mark.django_db
def test_only_moments_with_a_sigil_are_picked():
    with_sigil = {make_moment().pk for _ in range(5)}
    for _ in range(5):
        make_moment(with_sigil=False)
    assert set(_picks(300, seed=1)) == with_sigil


@pytest.mark.django_db
def test_the_pick_loads_what_a_dream_shows_as_the_orm_would(django_assert_num_queries):
    moment = make_moment(valence=0.25, arousal=-0.5, colour="#12ab34")
    picked = random_sigil_moment()
    stored = MindMoment.objects.get(pk=moment.pk)
    for name in DREAM_FIELDS:
        assert getattr(picked, name) == getattr(stored, name), name
    assert picked.created_at.tzinfo is not None
    assert picked.get_deferred_fields() == {
        field.attname for field in MindMoment._meta.concrete_fields
    } - set(DREAM_FIELDS)
    assert picked._state.db == "default"
    with django_assert_num_queries(0):
        Sigil.of(picked, is_dream=True)
        MindMomentAnnounced.of(picked, is_dream=True)


@pytest.mark.django_db
@pytest.mark.parametrize("moments", [2, 3, 10])
def test_never_the_same_moment_twice_in_a_row(moments):
    ids = {make_moment().pk for _ in range(moments)}
    picked = _picks(200, seed=moments, chained=True)
    assert all(previous != current for previous, current in itertools.pairwise(picked))
    assert set(picked) == ids


@pytest.mark.django_db
def test_a_lone_moment_is_picked_again():
    only = make_moment()
    make_moment(with_sigil=False)
    assert random_sigil_moment(exclude_id=only.pk) == only
    assert random_sigil_moment(exclude_id=only.pk + 1) == only


@pytest.mark.django_db
def test_a_sparse_id_range_falls_back_to_the_exact_pick(django_assert_num_queries):
    sparse = [make_moment(id=moment_id).pk for moment_id in (10, 10**9, 10**12)]
    make_moment(id=5 * 10**11, with_sigil=False)
    sigil_moments_in_range().forget()  # as a conductor that has not read the range yet
    # Bounds, every round missing, then the count and the row at an offset.
    with django_assert_num_queries(1 + len(ROUND_SIZES) + 2):
        assert random_sigil_moment(rng=random.Random(0)).pk in sparse

    drawn = Counter(_picks(300, seed=3))
    assert set(drawn) == set(sparse)
    assert chisquare(list(drawn.values())).pvalue > 0.001
    chained = _picks(30, seed=4, chained=True)
    assert all(previous != current for previous, current in itertools.pairwise(chained))


@pytest.mark.django_db
def test_a_pick_is_two_reads_and_never_more_than_a_few(django_assert_max_num_queries):
    for moment_id in range(FIRST_ID, FIRST_ID + 30):
        make_moment(id=moment_id)
    sigil_moments_in_range().forget()  # as a conductor that has not read the range yet
    rng = random.Random(5)
    for exclude_id in range(FIRST_ID, FIRST_ID + 30):
        with django_assert_max_num_queries(2):
            random_sigil_moment(exclude_id=exclude_id, rng=rng)
    # Two moments at the ends of the range: most rounds miss, some all of them.
    MindMoment.objects.filter(pk__gt=FIRST_ID, pk__lt=FIRST_ID + 29).delete()
    for _ in range(20):
        with django_assert_max_num_queries(1 + len(ROUND_SIZES) + 2) as captured:
            assert random_sigil_moment(exclude_id=FIRST_ID, rng=rng).pk == FIRST_ID + 29
        assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in captured)


def _run_bench(django_db_blocker, *options: str) -> str:
    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command(
            "bench_dream_pick",
            "--sizes=200,400",
            "--picks=50",
            "--baseline-picks=2",
            "--uniformity-picks=2000",
            *options,
            stdout=out,
        )
    assert not [alias for alias in connections if alias.startswith("dream_bench_")]
    return out.getvalue()


def _assert_reported(text: str, backend: str) -> None:
    for rows in ("200", "400"):
        row = rf"^{backend} +{rows} +[\d.]+ +[\d.]+ +[\d.]+ +\d+x  \S*(PASS|MISS)"
        assert re.search(row, text, re.M), text
    uniformity = rf"^Uniformity on {backend}: 2,000 picks over \d+ moments .* p = [\d.]+"
    assert re.search(uniformity, text, re.M), text
    for rows in ("200", "400"):
        for mode in ("uniform", "theme", "sequence", "salience", "last_dream"):
            timed = rf"^{backend} +{rows}  {mode} +[\d.]+ +[\d.]+  \S*(PASS|MISS)"
            assert re.search(timed, text, re.M), text
        tick = rf"^{backend} +{rows} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+  \S*(PASS|MISS)"
        assert re.search(tick, text, re.M), text


@pytest.mark.slow
def test_bench_command_on_sqlite(django_db_blocker):
    text = _run_bench(django_db_blocker, "--backends=sqlite")
    _assert_reported(text, "SQLite")
    assert "PostgreSQL" not in text


def _bench_schemas(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT schema_name FROM information_schema.schemata "
            "WHERE schema_name LIKE 'dreams_bench_%'"
        ).fetchall()
    return {name for (name,) in rows}


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_command_on_postgresql_leaves_nothing_behind(django_db_blocker):
    url = postgres_url()
    if not postgres_reachable(url):
        message = f"PostgreSQL is not reachable at {postgres_location(url)}"
        if os.environ.get("DREAMS_REQUIRE_SERVICES"):
            pytest.fail(f"{message}, and DREAMS_REQUIRE_SERVICES requires it")
        pytest.skip(message)
    schemas_before = _bench_schemas(url)
    text = _run_bench(django_db_blocker, "--backends=postgresql", f"--postgres-url={url}")
    _assert_reported(text, "PostgreSQL")
    assert _bench_schemas(url) <= schemas_before


def test_bench_command_fails_when_a_named_backend_is_unreachable():
    with pytest.raises(CommandError, match=re.escape("not reachable at 127.0.0.1:9/nothing")):
        call_command(
            "bench_dream_pick",
            "--backends=postgresql",
            "--postgres-url=postgres://postgres@127.0.0.1:9/nothing",
        )
