"""Resurfacing analytics: the dream loop's replays counted in memory and written in batches,
citations counted when a dream review is written, the analytics API, and the charts on the
dashboard, a moment's page and a dream's page."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dreams.conductor.resurfacing import ReplayCounter
from dreams.models import DreamReview, MindMoment, MomentKind, ReplayTally, RunStatus, Trigger
from dreams.plots.resurfacing import (
    CitedReplays,
    DayReplays,
    ReplayedMoment,
    cited_replays,
    most_replayed,
    replays_over_time,
)
from dreams.replay import ReplayMode
from dreams.services.dream_runs import run_dream
from dreams.services.resurfacing import replays_record
from dreams.services.seeding import moments_seed
from engines.adapters.base import READY, Answer
from engines.contracts import DreamDraft
from tests.factories import make_moment

T0 = datetime(2026, 5, 3, 23, 30, tzinfo=UTC)
SIGIL = "ctx.beginPath(); ctx.arc(50, 50, 20, 0, Math.PI * 2); ctx.stroke();"


def counted(*replays: tuple[int, str, datetime]) -> ReplayCounter:
    counter = ReplayCounter()
    for moment_id, mode, at in replays:
        counter.note(moment_id=moment_id, mode=mode, at=at)
    return counter


def record(*replays: tuple[int, str, datetime]) -> None:
    replays_record(batch=counted(*replays).take())


def tallies() -> dict[tuple[int, str, str], int]:
    return {
        (tally.moment_id, tally.day.isoformat(), tally.mode): tally.replays
        for tally in ReplayTally.objects.all()
    }


def utc_days_ago(days: int, *, hour: int = 12) -> datetime:
    today = timezone.now().astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days)


# The counter


def test_the_counter_counts_each_moment_and_each_utc_day_and_mode():
    paris = ZoneInfo("Europe/Paris")
    counter = counted(
        (1, ReplayMode.UNIFORM, T0),
        (1, ReplayMode.UNIFORM, T0 - timedelta(hours=1)),
        # 01:10 in Paris on 4 May is 23:10 UTC on 3 May: the tally's day is the UTC one.
        (1, ReplayMode.THEME, datetime(2026, 5, 4, 1, 10, tzinfo=paris)),
        (2, ReplayMode.UNIFORM, T0 + timedelta(hours=1)),
    )
    assert counter.pending() == 4
    batch = counter.take()
    assert {pk: (entry.count, entry.latest) for pk, entry in batch.moments.items()} == {
        1: (3, T0),
        2: (1, T0 + timedelta(hours=1)),
    }
    assert dict(batch.tallies) == {
        (1, T0.date(), ReplayMode.UNIFORM): 2,
        (1, T0.date(), ReplayMode.THEME): 1,
        (2, (T0 + timedelta(hours=1)).date(), ReplayMode.UNIFORM): 1,
    }
    assert batch.replays == 4
    assert counter.pending() == 0
    assert not counter.take()


def test_a_batch_given_back_joins_the_replays_noted_since_and_nothing_is_lost():
    counter = counted((1, ReplayMode.UNIFORM, T0), (2, ReplayMode.SEQUENCE, T0))
    failed = counter.take()
    counter.note(moment_id=1, mode=ReplayMode.UNIFORM, at=T0 - timedelta(minutes=5))
    counter.note(moment_id=3, mode=ReplayMode.SALIENCE, at=T0 + timedelta(minutes=5))
    counter.give_back(failed)
    assert counter.pending() == 4
    batch = counter.take()
    assert {pk: (entry.count, entry.latest) for pk, entry in batch.moments.items()} == {
        1: (2, T0),  # the earlier replay noted since does not hide the later one given back
        2: (1, T0),
        3: (1, T0 + timedelta(minutes=5)),
    }
    assert dict(batch.tallies) == {
        (1, T0.date(), ReplayMode.UNIFORM): 2,
        (2, T0.date(), ReplayMode.SEQUENCE): 1,
        (3, T0.date(), ReplayMode.SALIENCE): 1,
    }


# Writing the replays


@pytest.mark.django_db
def test_two_batches_add_up_on_the_moments_and_their_tallies():
    a, b = make_moment(), make_moment()
    next_day = T0 + timedelta(hours=1)  # 00:30 UTC on 4 May
    record((a.pk, "uniform", T0), (a.pk, "uniform", T0), (b.pk, "theme", T0))
    record((a.pk, "uniform", T0 - timedelta(hours=2)), (a.pk, "salience", next_day))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.replays, a.last_resurfaced_at, a.citations) == (4, next_day, 0)
    assert (b.replays, b.last_resurfaced_at) == (1, T0)
    assert tallies() == {
        (a.pk, "2026-05-03", "uniform"): 3,
        (a.pk, "2026-05-04", "salience"): 1,
        (b.pk, "2026-05-03", "theme"): 1,
    }


@pytest.mark.django_db
def test_a_moment_deleted_since_its_replays_were_noted_is_skipped():
    kept, gone = make_moment(), make_moment()
    counter = counted((kept.pk, "uniform", T0), (gone.pk, "uniform", T0))
    gone.delete()
    replays_record(batch=counter.take())
    kept.refresh_from_db()
    assert kept.replays == 1
    assert tallies() == {(kept.pk, "2026-05-03", "uniform"): 1}


@pytest.mark.django_db
def test_the_last_resurfacing_never_goes_back():
    later = T0 + timedelta(days=2)
    resurfaced = make_moment(last_resurfaced_at=later)
    record((resurfaced.pk, "uniform", T0))
    resurfaced.refresh_from_db()
    assert (resurfaced.replays, resurfaced.last_resurfaced_at) == (1, later)


@pytest.mark.django_db
def test_a_batch_is_written_in_a_few_statements_not_one_per_replay():
    def statements(moments: list[MindMoment], *, days: int, each: int) -> int:
        replays = [
            (moment.pk, mode, T0 + timedelta(days=day))
            for moment in moments
            for mode in ("uniform", "theme")
            for day in range(days)
            for _ in range(each)
        ]
        batch = counted(*replays).take()
        with CaptureQueriesContext(connection) as queries:
            replays_record(batch=batch)
        return len(queries)

    pair = [make_moment() for _ in range(2)]
    once = statements(pair, days=1, each=1)
    assert statements(pair, days=1, each=50) <= once + 1  # the tallies exist: updated
    assert once <= 6
    many = [make_moment() for _ in range(300)]
    # 3,600 replays in 1,800 tallies: inserted, then updated, by the few hundred.
    assert statements(many, days=3, each=2) <= 20
    assert statements(many, days=3, each=2) <= 20
    assert MindMoment.objects.get(pk=many[0].pk).replays == 24
    assert set(ReplayTally.objects.filter(moment__in=many).values_list("replays", flat=True)) == {4}
    assert ReplayTally.objects.filter(moment__in=many).count() == 1800


# Citations, as the dream run writes them


@pytest.fixture
def dreaming(monkeypatch, setup_done):
    """Dream runs whose themes cite what the test says: `dream(themes)` with `themes` a
    list of lists of indexes into the material, newest first."""
    from engines import services

    class Engine:
        themes: list[list[int]] = []

        def dream(self, material, continuity, *, voice):
            return Answer(
                DreamDraft.model_validate(
                    {
                        "title": "Returning water",
                        "narrative": "The water kept returning.",
                        "themes": [
                            {
                                "name": f"theme {index}",
                                "summary": "s",
                                "moment_ids": [material[i].id for i in cited],
                            }
                            for index, cited in enumerate(self.themes)
                        ],
                        "threads": [],
                        "sigil_phrase": "tide",
                        "sigil_code": SIGIL,
                        "circumplex": {"valence": 0.2, "arousal": -0.1},
                    }
                )
            )

    class Adapter:
        def check(self, env):
            return READY

        def engine(self, *, model, timeout, env):
            return engine

    engine = Engine()
    monkeypatch.setattr(services, "adapter_for", lambda engine_id: Adapter())

    def dream(themes: list[list[int]]) -> DreamReview:
        engine.themes = themes
        run = run_dream(trigger=Trigger.CLI, force=True)
        assert run.status == RunStatus.WRITTEN, run.reason
        return run.review

    return dream


@pytest.mark.django_db
def test_the_offline_engines_dream_counts_a_citation_for_each_moment_it_cites(setup_done):
    moments_seed(count=12, seed=5)
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert run.status == RunStatus.WRITTEN, run.reason
    review = run.review
    cited = review.cited_moment_ids()
    assert cited
    moments = MindMoment.objects.exclude(kind=MomentKind.DREAM)
    assert {m.pk: m.citations for m in moments} == {m.pk: int(m.pk in cited) for m in moments}
    assert {m.last_resurfaced_at for m in moments if m.pk in cited} == {review.created_at}
    assert {m.last_resurfaced_at for m in moments if m.pk not in cited} == {None}


@pytest.mark.django_db
def test_a_moment_cited_by_two_themes_of_one_dream_counts_once(dreaming):
    moments_seed(count=6, seed=1)
    first = dreaming([[0, 1], [1, 2]])
    twice = MindMoment.objects.get(pk=first.themes[0]["moment_ids"][1])
    assert twice.citations == 1
    later = timezone.now() + timedelta(days=1)
    MindMoment.objects.filter(pk=twice.pk).update(last_resurfaced_at=later)
    moments_seed(count=6, seed=2)  # new material for the next dream
    second = dreaming([[0]])
    once = MindMoment.objects.get(pk=second.themes[0]["moment_ids"][0])
    twice.refresh_from_db()
    assert (twice.citations, twice.last_resurfaced_at) == (1, later)
    assert (once.citations, once.last_resurfaced_at) == (1, second.created_at)


# The API


@pytest.mark.django_db
def test_the_moment_api_says_how_often_a_moment_resurfaced(client):
    moment = make_moment()
    record((moment.pk, "uniform", T0), (moment.pk, "theme", T0))
    body = client.get(f"/api/moments/{moment.pk}/").json()
    assert (body["replays"], body["citations"]) == (2, 0)
    assert datetime.fromisoformat(body["last_resurfaced_at"]) == T0


@pytest.mark.django_db
def test_the_analytics_api_answers_the_top_moments_the_share_never_replayed_and_replays_by_day(
    client,
):
    most, tied_cited, tied, once = (make_moment(sigil_phrase=f"m{n}") for n in range(4))
    make_moment(), make_moment()  # never replayed
    make_moment(with_sigil=False)  # cannot be replayed: not counted
    MindMoment.objects.filter(pk=tied_cited.pk).update(citations=2)
    two_days_ago, yesterday = utc_days_ago(2), utc_days_ago(1)
    record(
        *[(most.pk, "uniform", two_days_ago)] * 4,
        (most.pk, "last_dream", yesterday),
        (tied_cited.pk, "uniform", yesterday),
        (tied_cited.pk, "uniform", yesterday),
        (tied.pk, "theme", yesterday),
        (tied.pk, "theme", yesterday),
        (once.pk, "uniform", utc_days_ago(20)),
    )
    response = client.get("/api/analytics/resurfacing/", {"days": 7, "top": 3})
    assert response.status_code == 200
    body = response.json()
    assert [(m["id"], m["replays"], m["citations"]) for m in body["top_moments"]] == [
        (most.pk, 5, 0),
        (tied_cited.pk, 2, 2),
        (tied.pk, 2, 0),
    ]
    top = body["top_moments"][0]
    assert set(top) == {
        "id",
        "cycle",
        "sigil_phrase",
        "replays",
        "citations",
        "last_resurfaced_at",
        "url",
    }
    assert (top["sigil_phrase"], top["url"]) == ("m0", f"/moments/{most.pk}/")
    assert datetime.fromisoformat(top["last_resurfaced_at"]) == yesterday
    assert (body["moment_count"], body["never_replayed_count"]) == (6, 2)
    assert body["never_replayed_share"] == pytest.approx(2 / 6)
    earlier, later = two_days_ago.date().isoformat(), yesterday.date().isoformat()
    assert body["replays_by_day"] == [
        {"day": earlier, "mode": "uniform", "replays": 4},
        {"day": later, "mode": "last_dream", "replays": 1},
        {"day": later, "mode": "theme", "replays": 2},
        {"day": later, "mode": "uniform", "replays": 2},
    ]
    assert body["by_mode"] == {
        "uniform": 6,
        "theme": 2,
        "sequence": 0,
        "salience": 0,
        "last_dream": 1,
    }
    assert body["days"] == 7
    # The replay 20 days ago is in a month's window, and the default window is 30 days.
    month = client.get("/api/analytics/resurfacing/").json()
    assert month["by_mode"]["uniform"] == 7
    assert len(month["top_moments"]) == 4


@pytest.mark.django_db
def test_with_no_moment_the_analytics_say_so_without_a_share(client):
    body = client.get("/api/analytics/resurfacing/").json()
    assert body["top_moments"] == [] and body["replays_by_day"] == []
    assert (body["moment_count"], body["never_replayed_share"]) == (0, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=0", "days"),
        ("days=366", "days"),
        ("days=a+week", "days"),
        ("days=1.5", "days"),
        ("top=0", "top"),
        ("top=101", "top"),
    ],
)
def test_out_of_range_analytics_queries_get_a_400_naming_the_field(client, query, field):
    response = client.get(f"/api/analytics/resurfacing/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "whole number from 1 to" in response.json()[field][0]


@pytest.mark.django_db
def test_the_schema_describes_the_analytics_api(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    operation = paths["/api/analytics/resurfacing/"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"days", "top"}
    assert operation["security"] == []  # a read: no credentials


# The charts


def figures(html: str) -> dict[str, dict]:
    """Each figure of a page by its plot kind: its data-count, its marks, its markup."""
    found = {}
    for match in re.finditer(
        r'<figure class="plot [^"]*" data-plot="(\w+)"(.*?)</figure>', html, re.S
    ):
        kind, body = match.groups()
        svg = re.search(r"<svg.*</svg>", body, re.S)
        root = ET.fromstring(svg.group(0)) if svg else None
        marks = (
            []
            if root is None
            else [el for el in root.iter() if "mark" in (el.get("class") or "").split()]
        )
        found[kind] = {
            "count": int(re.search(r'data-count="(\d+)"', body).group(1)),
            "marks": marks,
            "html": body,
        }
    return found


@pytest.mark.django_db
def test_the_dashboard_draws_replays_by_day_and_mode_and_the_share_never_replayed(client):
    a, b, c = (make_moment(sigil_phrase=f"phrase {n}") for n in range(3))
    make_moment()
    record(
        (a.pk, "uniform", utc_days_ago(3)),
        (a.pk, "theme", utc_days_ago(3)),
        (b.pk, "theme", utc_days_ago(3)),
        (b.pk, "uniform", utc_days_ago(1)),
        (c.pk, "sequence", utc_days_ago(40)),  # before the 30 days drawn
    )
    drawn = figures(client.get("/").content.decode())
    replays = drawn["replays"]
    # One segment per day and mode with replays: (3 days ago: uniform, theme), (yesterday:
    # uniform).
    assert replays["count"] == len(replays["marks"]) == 3
    heights = sorted(float(mark.get("height")) for mark in replays["marks"])
    assert heights[0] == pytest.approx(heights[1]) and heights[2] == pytest.approx(2 * heights[0])
    assert "4 replays in the last 30 days (UTC)" in replays["html"]
    resurfaced = drawn["resurfaced"]
    assert resurfaced["count"] == len(resurfaced["marks"]) == 3
    # By replays, then citations, then the newest.
    assert [mark.get("href") for mark in resurfaced["marks"]] == [
        f"/moments/{b.pk}/",
        f"/moments/{a.pk}/",
        f"/moments/{c.pk}/",
    ]
    assert "1 of the 4 moments with a sigil (25%) has never been replayed." in resurfaced["html"]


@pytest.mark.django_db
def test_a_dashboard_with_no_replays_says_what_the_dream_loop_does(client):
    make_moment()
    drawn = figures(client.get("/").content.decode())
    said = "No moment has resurfaced yet: the dream loop replays moments while nobody is connected."
    assert drawn["replays"]["count"] == drawn["resurfaced"]["count"] == 0
    assert said in drawn["replays"]["html"] and said in drawn["resurfaced"]["html"]


@pytest.mark.django_db
def test_a_moment_page_draws_its_own_replays_and_says_its_counts(client):
    moment, other = make_moment(), make_moment()
    MindMoment.objects.filter(pk=moment.pk).update(citations=3)
    record(
        *[(moment.pk, "uniform", utc_days_ago(5))] * 3,
        (moment.pk, "salience", utc_days_ago(5)),
        (moment.pk, "salience", utc_days_ago(2)),
        (other.pk, "uniform", utc_days_ago(2)),
    )
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    replays = figures(html)["replays"]
    assert replays["count"] == len(replays["marks"]) == 3
    assert "Replayed 5 times by the dream loop; cited by 3 dreams." in html
    assert "Last resurfaced" in html
    untouched = client.get(f"/moments/{make_moment().pk}/").content.decode()
    assert "Not replayed by the dream loop yet; cited by no dream." in untouched
    assert figures(untouched)["replays"]["count"] == 0


@pytest.mark.django_db
def test_a_dream_page_compares_its_cited_moments_replays_before_and_after_it(client):
    cited = [make_moment(sigil_phrase=f"cited {n}") for n in range(3)]
    dream = make_moment(kind=MomentKind.DREAM)
    review = DreamReview.objects.create(
        sequence=1,
        title="A dream",
        narrative="It went on.",
        themes=[{"name": "t", "summary": "s", "moment_ids": [m.pk for m in cited]}],
        moment=dream,
        engine="offline",
        material_count=3,
        material_through_cycle=dream.cycle,
        created_at=utc_days_ago(3),
    )
    record(
        (cited[0].pk, "uniform", utc_days_ago(6)),  # before: 1 in 7 days
        (cited[0].pk, "last_dream", utc_days_ago(3, hour=20)),  # its own day: left out
        *[(cited[0].pk, "last_dream", utc_days_ago(1))] * 6,  # after: 6 in 3 days
        (cited[1].pk, "last_dream", utc_days_ago(2)),
        (cited[2].pk, "uniform", utc_days_ago(30)),  # long before the window
    )
    cited_plot = figures(client.get(f"/dreams/{review.pk}/").content.decode())["cited"]
    assert cited_plot["count"] == len(cited_plot["marks"]) == 2
    first = cited_plot["marks"][0]
    assert first.get("href") == f"/moments/{cited[0].pk}/"
    tooltip = first.find("{http://www.w3.org/2000/svg}title").text
    assert "1 replay in the 7 days before (0.1 a day)" in tooltip
    assert "6 in the 3 days after (2 a day)" in tooltip
    before_bar, after_bar = (
        float(bar.get("width")) for bar in first.iter() if "cited-bar" in (bar.get("class") or "")
    )
    assert after_bar > 10 * before_bar
    assert (
        "0.1 a day in the 7 days before it, 2.3 a day in the 3 days after (more often since)"
        in (cited_plot["html"])
    )


HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def test_text_in_the_resurfacing_pictures_is_escaped():
    drawn = [
        most_replayed(
            [ReplayedMoment(HOSTILE, 3, 1, T0, "/moments/1/")], with_sigil=2, never_replayed=1
        ),
        cited_replays(
            [CitedReplays(HOSTILE, 1, 2, "/moments/1/")],
            written=T0.date(),
            before_days=7,
            after_days=2,
            limit=12,
            empty="",
        ),
        replays_over_time(
            [DayReplays(T0.date(), "uniform", 2)],
            first=T0.date(),
            last=T0.date(),
            modes=[("uniform", HOSTILE)],
            title="Replays over time",
            covers="these days",
        ),
    ]
    for plot in drawn:
        assert "<script" not in plot.svg
        root = ET.fromstring(plot.svg)  # parses only if every text was escaped
        assert any(HOSTILE in "".join(element.itertext()) for element in root.iter())


def test_a_dream_written_today_says_its_days_after_it_are_still_to_come():
    plot = cited_replays(
        [CitedReplays("a kite", 3, 0, "/moments/1/")],
        written=T0.date(),
        before_days=7,
        after_days=0,
        limit=12,
        empty="",
    )
    assert plot.count == 1
    assert "It was written today (3 May, UTC): the days after it are counted from tomorrow." in (
        plot.summary
    )
    bars = [el for el in ET.fromstring(plot.svg).iter() if "cited-bar" in (el.get("class") or "")]
    assert [bar.get("class") for bar in bars] == ["cited-bar mode-before"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_ago", "said"),
    [
        (10, "The replay mode “last dream” in the dream settings replays them."),
        # A dream of today: its cited moment replayed since, today, which is left out.
        (0, "the days after it are counted from tomorrow."),
    ],
)
def test_a_dream_whose_moments_were_not_replayed_says_why_none_are_drawn(
    client, days_ago, said
):
    cited = make_moment()
    dream = make_moment(kind=MomentKind.DREAM)
    review = DreamReview.objects.create(
        sequence=1,
        title="A dream",
        narrative="It went on.",
        themes=[{"name": "t", "summary": "s", "moment_ids": [cited.pk]}],
        moment=dream,
        engine="offline",
        material_count=1,
        material_through_cycle=dream.cycle,
    )
    written = timezone.now() - timedelta(days=days_ago)
    DreamReview.objects.filter(pk=review.pk).update(created_at=written)
    if days_ago == 0:
        record((cited.pk, ReplayMode.LAST_DREAM, written))
    drawn = figures(client.get(f"/dreams/{review.pk}/").content.decode())["cited"]
    assert drawn["count"] == 0
    assert said in drawn["html"]
