"""The dream loop's replay modes: each pick follows its intended distribution however
deleted rows lie, sequences run in time order, the last dream's themes are replayed theme
by theme, and no mode shows the same moment twice in a row while it has a choice."""

import itertools
import logging
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models.sql.query import Query
from django.test.utils import CaptureQueriesContext
from scipy.stats import chisquare

from dreams.conductor.replay import Replayer
from dreams.models import ContinuityThread, DreamReview, MindMoment, MomentKind, ThreadStatus
from dreams.replay import ReplayMode, ReplayPlan, Salience, ThemeFilter
from dreams.selectors.replay import salience_weight
from tests.factories import make_moment

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PICKS = 100_000
FIRST_ID = 20_000
THEME = ThemeFilter(
    valence_min=-0.5,
    valence_max=1.0,
    arousal_min=-1.0,
    arousal_max=0.6,
    since=NOW - timedelta(days=70),
    until=NOW - timedelta(days=5),
    kind=MomentKind.LIVE,
)

# The distribution does not depend on the database (the draw is the same arithmetic on any
# backend; the queries are exercised on both by the other tests): 100,000 picks run once.
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the distribution is checked once, on SQLite"
)


def _moments_with_gaps() -> list[MindMoment]:
    """60 moments over the circumplex, of two kinds, over 60 days, a few replayed; some
    without a sigil and a block and a scatter deleted, so the id range has gaps."""
    rng = random.Random(7)
    for index in range(90):
        moment_id = FIRST_ID + index
        make_moment(
            id=moment_id,
            cycle=moment_id,
            with_sigil=index % 13 != 5,
            valence=round(rng.uniform(-1, 1), 3),
            arousal=round(rng.uniform(-1, 1), 3),
            kind=MomentKind.LIVE if index % 3 else MomentKind.DREAM,
            created_at=NOW - timedelta(days=90 - index),
            replays=rng.choice([0, 0, 1, 3, 10]),
        )
    MindMoment.objects.filter(pk__in=range(FIRST_ID + 30, FIRST_ID + 45)).delete()
    MindMoment.objects.filter(pk__in=range(FIRST_ID, FIRST_ID + 90, 7)).delete()
    return list(MindMoment.objects.filter(has_sigil=True).order_by("pk"))


def _replays(plan: ReplayPlan, count: int, *, seed: int) -> list[tuple[int, object]]:
    replayer = Replayer(rng=random.Random(seed), now=lambda: NOW)
    replayed = []
    for _ in range(count):
        picked = replayer.next(plan)
        assert picked is not None
        moment, how = picked
        replayed.append((moment.pk, how))
    return replayed


def _assert_follows(picked: list[int], expected_share: dict[int, float]) -> None:
    drawn = Counter(picked)
    assert set(drawn) <= set(expected_share), "picked a moment the mode does not select"
    total = sum(drawn.values())
    observed = [drawn.get(moment_id, 0) for moment_id in expected_share]
    expected = [share * total for share in expected_share.values()]
    assert chisquare(observed, expected).pvalue > 0.01


def _uniform_picks(pick: object, count: int) -> list[int]:
    rng = random.Random(11)
    return [pick(rng=rng).pk for _ in range(count)]  # type: ignore[operator]


@sqlite_only
@pytest.mark.slow
@pytest.mark.django_db
def test_uniform_picks_follow_a_uniform_distribution_over_what_remains():
    from dreams.selectors.live import random_sigil_moment

    remaining = _moments_with_gaps()
    picked = _uniform_picks(random_sigil_moment, PICKS)
    _assert_follows(picked, {moment.pk: 1 / len(remaining) for moment in remaining})


@sqlite_only
@pytest.mark.slow
@pytest.mark.django_db
def test_theme_picks_are_uniform_over_the_region_kind_and_time_it_selects():
    from dreams.selectors.replay import theme_moment

    remaining = _moments_with_gaps()
    theme = THEME
    selected = [
        moment
        for moment in remaining
        if -0.5 <= moment.valence <= 1.0
        and moment.arousal <= 0.6
        and NOW - timedelta(days=70) <= moment.created_at <= NOW - timedelta(days=5)
        and moment.kind == MomentKind.LIVE
    ]
    assert 10 < len(selected) < len(remaining) / 2
    picked = _uniform_picks(lambda rng: theme_moment(theme, rng=rng), PICKS)
    _assert_follows(picked, {moment.pk: 1 / len(selected) for moment in selected})


@sqlite_only
@pytest.mark.slow
@pytest.mark.django_db
def test_salience_picks_follow_the_weights_of_intensity_recency_and_rarity():
    from dreams.selectors.replay import salient_moment

    remaining = _moments_with_gaps()
    salience = Salience(intensity=0.8, recency=0.6, rarity=0.7, half_life_hours=24 * 20)
    weights = {moment.pk: salience_weight(salience, moment, now=NOW) for moment in remaining}
    total = sum(weights.values())
    # The weights differ enough for the test to tell them from a uniform pick.
    assert max(weights.values()) > 5 * min(weights.values())
    picked = _uniform_picks(lambda rng: salient_moment(salience, now=NOW, rng=rng), PICKS)
    _assert_follows(picked, {moment_id: weight / total for moment_id, weight in weights.items()})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "plan",
    [
        ReplayPlan(),
        ReplayPlan(mode=ReplayMode.THEME, theme=THEME),
        ReplayPlan(mode=ReplayMode.SALIENCE),
        ReplayPlan(mode=ReplayMode.SEQUENCE),
    ],
    ids=["uniform", "theme", "salience", "sequence"],
)
def test_picks_run_their_compiled_probes_and_compile_nothing_per_tick(plan, monkeypatch):
    """The fast path: the ORM compiles a mode's reads once; should a pick go back to
    building a queryset per tick, the ORM's compiler is called and this test fails."""
    _moments_with_gaps()
    replayer = Replayer(rng=random.Random(9), now=lambda: NOW)
    assert replayer.next(plan) is not None  # compiles the probes, once

    def compile_refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pick compiled a query")

    monkeypatch.setattr(Query, "get_compiler", compile_refused)
    for _ in range(300):
        assert replayer.next(plan) is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("plan", "statements"),
    [
        (ReplayPlan(), 1),
        (ReplayPlan(mode=ReplayMode.THEME, theme=THEME), 1),
        (ReplayPlan(mode=ReplayMode.SEQUENCE), 1),
        (ReplayPlan(mode=ReplayMode.LAST_DREAM), 1),
        (ReplayPlan(mode=ReplayMode.SALIENCE), 1),
    ],
    ids=["uniform", "theme", "sequence", "last_dream", "salience"],
)
def test_a_pick_is_one_round_trip_while_nothing_is_written(plan, statements):
    """A round trip is most of a pick's time on PostgreSQL: the id range a pick draws
    from, and the dream `last_dream` follows, are read in the statement that probes the
    candidates, not before it."""
    remaining = _moments_with_gaps()
    _review(1, [("all of it", [moment.pk for moment in remaining])])
    replayer = Replayer(rng=random.Random(4), now=lambda: NOW)
    assert replayer.next(plan) is not None  # the first pick reads the range on its own
    per_pick = []
    for _ in range(100):
        with CaptureQueriesContext(connection) as queries:
            assert replayer.next(plan) is not None
        per_pick.append(len(queries))
    # A rejection round that finds nothing, or the end of a sequence, costs one more.
    assert Counter(per_pick).most_common(1)[0][0] == statements


@pytest.mark.django_db
@pytest.mark.parametrize(
    "plan",
    [
        ReplayPlan(),
        ReplayPlan(mode=ReplayMode.THEME, theme=ThemeFilter(since=NOW - timedelta(days=1))),
        ReplayPlan(mode=ReplayMode.SALIENCE, salience=Salience(0, 0, 0)),
    ],
    ids=["uniform", "theme", "salience"],
)
def test_a_moment_written_after_a_pick_read_the_range_is_picked_as_often_as_the_others(plan):
    """The range a pick draws from was read by the pick before: a moment written since
    lies beyond it, and is found by the statement that probes the candidates."""
    # Ids grow with time, as when moments are written as they happen.
    for offset in (2, 3):
        make_moment(id=FIRST_ID + offset, created_at=NOW - timedelta(hours=10 - offset))
    replayer = Replayer(rng=random.Random(6), now=lambda: NOW)
    assert replayer.next(plan) is not None  # the range now read: the two moments
    newest = make_moment(id=FIRST_ID + 9, created_at=NOW - timedelta(hours=1))
    picked = Counter(replayer.next(plan)[0].pk for _ in range(300))
    assert set(picked) == {FIRST_ID + 2, FIRST_ID + 3, newest.pk}
    assert min(picked.values()) >= 60  # a third each, give or take: never left out


@pytest.mark.django_db
def test_a_theme_of_a_thread_replays_only_what_the_dreams_that_saw_it_cited():
    remaining = _moments_with_gaps()
    cited_by_thread = [moment.pk for moment in remaining[:6]]
    other = [moment.pk for moment in remaining[6:10]]
    _review(1, [("harbour", cited_by_thread[:4])], threads=["Night harbour"])
    _review(2, [("kites", other)], threads=["Kites"])
    _review(3, [("harbour again", [*cited_by_thread[3:], 987_654])], threads=["Night harbour"])
    ContinuityThread.objects.create(
        key="night-harbour",
        name="Night harbour",
        status=ThreadStatus.RECURRING,
        first_seen_at=NOW,
        last_seen_at=NOW,
        last_seen_sequence=3,
    )
    plan = ReplayPlan(mode=ReplayMode.THEME, theme=ThemeFilter(thread="night-harbour"))
    picked = Counter(moment_id for moment_id, _ in _replays(plan, 600, seed=3))
    assert set(picked) == set(cited_by_thread)


@pytest.mark.django_db
def test_sequences_run_in_time_order_then_jump():
    remaining = _moments_with_gaps()
    order = {moment.pk: index for index, moment in enumerate(remaining)}
    plan = ReplayPlan(mode=ReplayMode.SEQUENCE, sequence_length=5)
    replayed = _replays(plan, 200, seed=5)
    runs: list[list[int]] = []
    for moment_id, how in replayed:
        assert how.length == 5  # the caption's "3/5"
        if how.step == 1:
            runs.append([])
        runs[-1].append(moment_id)
    assert len(runs) > 30
    for run in runs:
        assert len(run) <= 5
        # Consecutive moments with a sigil, strictly forward in time.
        assert [order[moment_id] for moment_id in run] == list(
            range(order[run[0]], order[run[0]] + len(run))
        )
        created = [MindMoment.objects.get(pk=moment_id).created_at for moment_id in run]
        assert created == sorted(created) and len(set(created)) == len(created)
    # A run stops short only at the newest moment.
    assert all(len(run) == 5 or run[-1] == remaining[-1].pk for run in runs[:-1])


@pytest.mark.django_db
def test_the_last_dream_is_replayed_theme_by_theme_with_the_themes_name():
    remaining = _moments_with_gaps()
    ids = [moment.pk for moment in remaining]
    _review(1, [("an older dream", ids[:3])])
    _review(
        2,
        [
            ("lanterns", [ids[8], ids[4], ids[6], ids[4]]),
            ("rain on glass", [ids[10], 987_654, ids[11]]),
        ],
    )
    plan = ReplayPlan(mode=ReplayMode.LAST_DREAM)
    replayed = _replays(plan, 10, seed=1)
    expected_round = [
        (ids[4], "lanterns"),
        (ids[6], "lanterns"),
        (ids[8], "lanterns"),
        (ids[10], "rain on glass"),
        (ids[11], "rain on glass"),
    ]
    assert [(moment_id, how.theme) for moment_id, how in replayed] == expected_round * 2
    assert all(how.mode == ReplayMode.LAST_DREAM for _, how in replayed)


@pytest.mark.django_db
def test_a_new_dream_is_replayed_from_its_first_theme():
    remaining = _moments_with_gaps()
    ids = [moment.pk for moment in remaining]
    _review(1, [("first", ids[:4])])
    replayer = Replayer(rng=random.Random(2), now=lambda: NOW)
    plan = ReplayPlan(mode=ReplayMode.LAST_DREAM)
    assert replayer.next(plan)[0].pk == ids[0]
    assert replayer.next(plan)[0].pk == ids[1]
    _review(2, [("second", ids[20:22])])
    assert replayer.next(plan)[0].pk == ids[20]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "plan",
    [
        ReplayPlan(mode=ReplayMode.UNIFORM),
        ReplayPlan(mode=ReplayMode.THEME, theme=ThemeFilter(valence_min=0.0)),
        ReplayPlan(mode=ReplayMode.SEQUENCE, sequence_length=3),
        ReplayPlan(mode=ReplayMode.SALIENCE),
        ReplayPlan(mode=ReplayMode.LAST_DREAM),
    ],
    ids=lambda plan: plan.mode,
)
@pytest.mark.parametrize("moments", [2, 5])
def test_no_mode_replays_the_same_moment_twice_in_a_row(plan, moments):
    created = [
        make_moment(valence=0.5, arousal=0.1 * index, created_at=NOW - timedelta(hours=index))
        for index in range(moments)
    ]
    # A review that cites one moment twice in a row, across two themes.
    _review(1, [("one", [created[0].pk]), ("two", [created[0].pk, created[-1].pk])])
    replayed = [moment_id for moment_id, _ in _replays(plan, 60, seed=moments)]
    assert all(previous != current for previous, current in itertools.pairwise(replayed))
    assert len(set(replayed)) >= 2


@pytest.mark.django_db
def test_a_lone_moment_is_replayed_again_in_every_mode():
    only = make_moment(valence=0.5)
    _review(1, [("one", [only.pk])])
    for mode in ReplayMode.values:
        plan = ReplayPlan(mode=mode, theme=ThemeFilter(valence_min=0.0))
        assert [moment_id for moment_id, _ in _replays(plan, 3, seed=1)] == [only.pk] * 3


@pytest.mark.django_db
def test_an_empty_selection_is_logged_once_and_the_loop_goes_on(caplog):
    make_moment(valence=-0.5)
    replayer = Replayer(rng=random.Random(1), now=lambda: NOW)
    empty_theme = ReplayPlan(mode=ReplayMode.THEME, theme=ThemeFilter(valence_min=0.5))
    no_dream = ReplayPlan(mode=ReplayMode.LAST_DREAM)
    with caplog.at_level(logging.INFO, logger="dreams.conductor.dream"):
        assert [replayer.next(empty_theme) for _ in range(3)] == [None] * 3
        assert replayer.next(no_dream) is None
        assert replayer.next(ReplayPlan()) is not None
    lines = [record.getMessage() for record in caplog.records]
    assert (
        lines.count(
            "[dream] Nothing to dream of yet in the theme mode: the theme selects no moment with a "
            "sigil. The loop goes on."
        )
        == 1
    )
    assert sum("last_dream mode: there is no dream yet" in line for line in lines) == 1


def _review(sequence: int, themes: list[tuple[str, list[int]]], threads: list[str] = ()) -> None:
    moment = make_moment(kind=MomentKind.DREAM, with_sigil=False)
    DreamReview.objects.create(
        sequence=sequence,
        title=f"Dream {sequence}",
        narrative="A narrative.",
        themes=[{"name": name, "moment_ids": ids, "note": ""} for name, ids in themes],
        threads=[{"name": name, "status": "new"} for name in threads],
        moment=moment,
        engine="offline",
        material_count=3,
        material_through_cycle=0,
        created_at=NOW,
    )
