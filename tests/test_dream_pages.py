"""The dream pages: `/dreams/` lists the dream reviews, `/dreams/<id>/` shows one dream with
its themes' moments, its continuity threads and the run that wrote it."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dreams.models import (
    ContinuityThread,
    DreamReview,
    DreamRun,
    MomentKind,
    RunStatus,
    ThreadStatus,
    Trigger,
)
from dreams.selectors.dream_pages import CITED_SHOWN, DREAMS_PER_PAGE, EARLIER_SHOWN
from dreams.services.dream_runs import run_dream
from dreams.services.seeding import moments_seed
from engines.adapters.base import READY, Answer
from engines.contracts import DreamDraft
from tests.factories import make_moment

pytestmark = pytest.mark.django_db

SIGIL = "ctx.beginPath(); ctx.arc(50, 50, 20, 0, Math.PI * 2); ctx.stroke();"


def make_review(
    sequence: int, *, title: str = "", narrative: str = "", themes=None, threads=None, **fields
) -> DreamReview:
    dream = make_moment(kind=MomentKind.DREAM, sigil_phrase=f"dream sigil {sequence}")
    cited = themes is None and make_moment(sigil_phrase=f"cited by dream {sequence}")
    return DreamReview.objects.create(
        sequence=sequence,
        title=title or f"Dream title {sequence}",
        narrative=narrative or f"The narrative of dream {sequence}.",
        themes=themes
        if themes is not None
        else [{"name": "days", "summary": "The days.", "moment_ids": [cited.pk]}],
        threads=threads or [],
        moment=dream,
        engine="offline",
        model="builtin",
        material_count=12,
        material_through_cycle=dream.cycle,
        **fields,
    )


def get(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status
    return response.content.decode()


def dream_links(html: str) -> list[str]:
    """The dream pages the list links to, in the order shown (one per dream)."""
    return list(dict.fromkeys(re.findall(r'href="(/dreams/\d+/)"', html)))


# The list


def test_the_list_shows_dreams_newest_first_with_links_to_their_pages(client):
    reviews = [make_review(sequence) for sequence in (1, 2, 3)]
    html = get(client, "/dreams/")
    assert dream_links(html) == [review.get_absolute_url() for review in reversed(reviews)]
    assert re.findall(r"Dream title \d", html) == [
        "Dream title 3",
        "Dream title 2",
        "Dream title 1",
    ]
    newest = reviews[-1]
    assert f'src="/api/moments/{newest.moment_id}/sigil.svg"' in html
    assert "The narrative of dream 3." in html
    assert "1 theme · 1 moment cited" in html


def test_every_page_leads_to_the_dreams(client):
    review = make_review(1)
    assert '<a href="/dreams/">Dreams</a>' in get(client, "/")
    for path in ("/dreams/", review.get_absolute_url()):
        assert '<a href="/dreams/" aria-current="page">Dreams</a>' in get(client, path)


def test_the_list_shows_the_opening_of_a_long_narrative_cut_at_a_word(client):
    make_review(1, narrative=("word " * 20 + "\n\n") * 20 + "THE-END")
    html = get(client, "/dreams/")
    excerpt = re.search(r'<p class="dream-excerpt" dir="auto">(.*?)</p>', html).group(1)
    assert excerpt.startswith("word word") and excerpt.endswith("word…")
    assert "THE-END" not in html


def test_the_list_pages_by_keyset_to_older_dreams_and_back(client):
    count = DREAMS_PER_PAGE + 5
    reviews = {sequence: make_review(sequence) for sequence in range(1, count + 1)}
    with CaptureQueriesContext(connection) as queries:
        first = get(client, "/dreams/")
    assert not [q["sql"] for q in queries if "OFFSET" in q["sql"].upper()]
    assert len(dream_links(first)) == DREAMS_PER_PAGE
    assert "Newer dreams" not in first
    older = re.search(r'href="(\?before=\d+)"[^>]*>Older dreams', first).group(1)

    second = get(client, f"/dreams/{older}")
    assert dream_links(second) == [f"/dreams/{reviews[s].pk}/" for s in range(5, 0, -1)]
    assert "Older dreams" not in second
    newer = re.search(r'href="(\?after=\d+)"[^>]*>← Newer dreams', second).group(1)

    assert dream_links(get(client, f"/dreams/{newer}")) == dream_links(first)


def test_with_no_dream_yet_the_list_says_what_makes_one(client):
    html = get(client, "/dreams/")
    assert "No dream yet" in html
    assert "dream run" in html and "schedule" in html
    assert 'href="/"' in html  # the dashboard, where staff start a run
    assert "staff" in html


def test_staff_are_told_the_dashboards_button_they_can_press(staff_client, setup_done):
    dashboard = get(staff_client, "/")
    button = re.search(r'<button[^>]*id="generate-dream"[^>]*>([^<]+)</button>', dashboard)
    assert f"“{button.group(1).strip()}”" in get(staff_client, "/dreams/")


def test_a_page_past_the_oldest_dream_is_not_the_empty_state(client):
    make_review(1)
    html = get(client, "/dreams/?before=1")
    assert "No dream yet" not in html
    assert "See the latest dreams" in html


def test_a_cursor_that_is_not_a_number_shows_the_newest_dreams(client):
    review = make_review(1)
    assert dream_links(get(client, "/dreams/?before=abc&after=-1")) == [f"/dreams/{review.pk}/"]


# One dream


def test_a_dream_page_shows_its_title_narrative_paragraphs_and_sigil(client):
    review = make_review(
        1, title="A dream of rivers", narrative="First the water.\n\nThen the bank.\nAnd a boat."
    )
    html = get(client, f"/dreams/{review.pk}/")
    assert '<h1 dir="auto">A dream of rivers</h1>' in html
    assert '<p dir="auto">First the water.</p>' in html
    assert '<p dir="auto">Then the bank.<br>And a boat.</p>' in html
    # The dream's sigil is drawn from its own moment's normalized commands.
    assert 'data-sigil="dream-sigil-commands"' in html
    commands = re.search(r'id="dream-sigil-commands"[^>]*>(.*?)</script>', html).group(1)
    assert commands.startswith("[[") and "dream sigil 1" in html
    assert f'href="/moments/{review.moment_id}/"' in html
    assert '<section class="dream-pictures"' in html


def test_each_themes_moments_link_to_their_moment_pages(client):
    water = [make_moment(sigil_phrase=f"water {index}") for index in range(3)]
    light = [make_moment(sigil_phrase="light", with_sigil=False)]
    review = make_review(
        1,
        themes=[
            {"name": "water", "summary": "It kept coming.", "moment_ids": [m.pk for m in water]},
            {"name": "light", "summary": "A lamp.", "moment_ids": [m.pk for m in light]},
        ],
    )
    html = get(client, f"/dreams/{review.pk}/")
    for moment in water:
        assert f'href="/moments/{moment.pk}/"' in html
        assert f'src="/api/moments/{moment.pk}/sigil.svg"' in html
    assert f'href="/moments/{light[0].pk}/"' in html
    assert f'src="/api/moments/{light[0].pk}/sigil.svg"' not in html  # it has no sigil
    assert "It kept coming." in html and "3 moments cited" in html


def test_every_cited_moment_is_reachable_behind_and_n_more(client):
    cited = [make_moment() for _ in range(CITED_SHOWN + 12)]
    review = make_review(
        1, themes=[{"name": "many", "summary": "s", "moment_ids": [m.pk for m in cited]}]
    )
    html = get(client, f"/dreams/{review.pk}/")
    more = re.search(r'<details class="cited-more">(.*?)</details>', html, re.S).group(1)
    assert "<summary>and 12 more</summary>" in more
    for moment in cited[:CITED_SHOWN]:
        assert f'href="/moments/{moment.pk}/"' in html
        assert f'href="/moments/{moment.pk}/"' not in more
    for moment in cited[CITED_SHOWN:]:
        assert f'href="/moments/{moment.pk}/"' in more


def test_a_cited_moment_no_longer_kept_is_said_so(client):
    kept = make_moment(sigil_phrase="still here")
    gone = make_moment(sigil_phrase="pruned")
    review = make_review(
        1, themes=[{"name": "t", "summary": "s", "moment_ids": [gone.pk, kept.pk]}]
    )
    gone_id = gone.pk
    gone.delete()
    html = get(client, f"/dreams/{review.pk}/")
    assert "A moment no longer kept" in html
    assert f'href="/moments/{gone_id}/"' not in html
    assert f'href="/moments/{kept.pk}/"' in html


def test_the_run_that_wrote_the_dream_is_described(client):
    review = make_review(1)
    started = timezone.now() - timedelta(hours=2)
    DreamRun.objects.create(
        trigger=Trigger.SCHEDULE,
        status=RunStatus.WRITTEN,
        engine="offline",
        model="builtin",
        review=review,
        started_at=started,
        finished_at=started + timedelta(seconds=4),
        duration_ms=4_200,
        detail="internal detail for operators",
    )
    html = get(client, f"/dreams/{review.pk}/")
    run = html[html.index('id="run-heading"') :]
    assert "The schedule" in run
    assert "Offline (built in)" in run
    assert "builtin" in run
    assert "4.2 s" in run
    assert started.strftime("%Y") in run
    assert "internal detail" not in html


def test_a_dream_whose_run_is_gone_still_names_its_engine(client):
    review = make_review(1)
    html = get(client, f"/dreams/{review.pk}/")
    assert "Offline (built in)" in html
    assert "no longer kept" in html


def test_a_dream_links_to_the_dreams_before_and_after_it(client):
    first, middle, last = (make_review(sequence) for sequence in (1, 2, 3))
    html = get(client, f"/dreams/{middle.pk}/")
    assert re.search(rf'rel="prev" href="/dreams/{first.pk}/"', html)
    assert re.search(rf'rel="next" href="/dreams/{last.pk}/"', html)
    oldest = get(client, f"/dreams/{first.pk}/")
    assert 'rel="prev"' not in oldest and f'href="/dreams/{middle.pk}/"' in oldest


def test_a_lone_dream_ends_without_an_empty_pager(client):
    only = make_review(1)
    html = get(client, f"/dreams/{only.pk}/")
    assert "dream-pager" not in html.split("<article", 1)[1]


def test_theme_names_are_headings_over_their_summaries(client):
    review = make_review(
        1, themes=[{"name": "water", "summary": "It kept coming.", "moment_ids": []}]
    )
    html = get(client, f"/dreams/{review.pk}/")
    assert '<h3 dir="auto">water</h3>' in html
    assert '<p dir="auto">It kept coming.</p>' in html


def test_a_missing_dream_is_the_sites_404_page(client):
    html = get(client, "/dreams/424242/", status=404)
    assert "Nothing lives at this address" in html


def test_engine_written_text_is_escaped_everywhere(client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    cited = make_moment(sigil_phrase=hostile)
    review = make_review(
        1,
        title=hostile,
        narrative=hostile,
        themes=[{"name": hostile, "summary": hostile, "moment_ids": [cited.pk]}],
        threads=[{"name": hostile, "status": "new", "times_seen": 1, "note": hostile}],
    )
    for html in (get(client, "/dreams/"), get(client, f"/dreams/{review.pk}/")):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def test_mixed_arabic_and_english_text_sits_in_dir_auto_elements(client):
    mixed = "حلم النهر with English words"
    cited = make_moment(sigil_phrase=mixed)
    review = make_review(
        1,
        title=mixed,
        narrative=mixed,
        themes=[{"name": mixed, "summary": mixed, "moment_ids": [cited.pk]}],
        threads=[{"name": mixed, "status": "new", "times_seen": 1, "note": mixed}],
    )
    detail = get(client, f"/dreams/{review.pk}/")
    # Every element that holds the text decides its own direction.
    holders = re.findall(rf"<(\w+)([^>]*)>{re.escape(mixed)}</\1>", detail)
    assert len(holders) >= 6  # title, narrative, theme name and summary, thread name, note
    assert all('dir="auto"' in attributes for _, attributes in holders)
    assert f'<span class="cited-phrase" dir="auto">{mixed}</span>' in detail
    listing = get(client, "/dreams/")
    assert f'dir="auto">{mixed}</a>' in listing
    assert f'<p class="dream-excerpt" dir="auto">{mixed}</p>' in listing


def test_a_dream_page_reads_its_cited_moments_in_one_query_however_many(client):
    themes = [
        {"name": f"theme {t}", "summary": "s", "moment_ids": [make_moment().pk for _ in range(50)]}
        for t in range(5)
    ]
    review = make_review(1, themes=themes)
    with CaptureQueriesContext(connection) as queries:
        html = get(client, f"/dreams/{review.pk}/")
    assert html.count('class="cited-moment"') == 250
    moment_reads = [q["sql"] for q in queries if 'FROM "dreams_mindmoment"' in q["sql"]]
    assert len(moment_reads) == 1
    # Only what the page shows: the sigil's commands and the percepts stay in the database.
    assert "sigil_commands" not in moment_reads[0]
    assert "visual_percepts" not in moment_reads[0]
    assert len(queries) <= 12


# Continuity threads, as the dream run service writes them


@pytest.fixture
def scripted_dreams(monkeypatch, setup_done):
    """Dream runs whose threads the test names: `dream(*thread_names)` writes one review."""
    from engines import services

    class Adapter:
        def check(self, env):
            return READY

        def engine(self, *, model, timeout, env):
            return engine

    class Engine:
        threads: tuple[str, ...] = ()

        def dream(self, material, continuity, *, voice):
            return Answer(
                DreamDraft.model_validate(
                    {
                        "title": f"Dream with {', '.join(self.threads) or 'no thread'}",
                        "narrative": "The water kept returning.",
                        "themes": [{"name": "sea", "summary": "w", "moment_ids": [material[0].id]}],
                        "threads": [
                            {"name": name, "note": f"note on {name}"} for name in self.threads
                        ],
                        "sigil_phrase": "tide",
                        "sigil_code": SIGIL,
                        "circumplex": {"valence": 0.2, "arousal": -0.1},
                    }
                )
            )

    engine = Engine()
    monkeypatch.setattr(services, "adapter_for", lambda engine_id: Adapter())

    def dream(*threads: str) -> DreamReview:
        moments_seed(count=5, seed=DreamReview.objects.count() + 1)
        engine.threads = threads
        run = run_dream(trigger=Trigger.CLI, force=True)
        assert run.status == RunStatus.WRITTEN, run.reason
        return run.review

    return dream


def thread_card(html: str, name: str) -> str:
    cards = re.findall(r'<li class="thread".*?</li>', html, re.S)
    return next(card for card in cards if f">{name}</h3>" in card)


def test_threads_show_their_status_as_a_word_and_a_badge(client, scripted_dreams):
    scripted_dreams("the sea", "the door")
    second = scripted_dreams("the sea", "a lamp")
    html = get(client, f"/dreams/{second.pk}/")
    sea = thread_card(html, "the sea")
    assert 'class="badge thread-badge thread-recurring">Recurring</span>' in sea
    assert "note on the sea" in sea
    lamp = thread_card(html, "a lamp")
    assert 'class="badge thread-badge thread-new">New</span>' in lamp
    assert "This was its first dream." in lamp
    assert ">the door</h3>" not in html  # not a thread of this dream


def test_a_thread_shows_its_history_across_earlier_dreams(client, scripted_dreams):
    first = scripted_dreams("the sea")
    second = scripted_dreams("the sea")
    scripted_dreams("a lamp")
    fourth = scripted_dreams("The Sea")
    html = get(client, f"/dreams/{fourth.pk}/")
    sea = thread_card(html, "the sea")  # followed by its first name
    assert ">Resurfaced</span>" in sea
    assert "Seen in 3 dreams up to this one." in sea
    assert "First seen" in sea and timezone.now().strftime("%Y") in sea
    earlier = re.findall(r'href="/dreams/(\d+)/">dream (\d+)</a>', sea)
    assert earlier == [(str(second.pk), "2"), (str(first.pk), "1")]


def test_a_thread_that_faded_since_says_so_and_where_it_was_last_seen(client, scripted_dreams):
    first = scripted_dreams("the door")
    last_seen = scripted_dreams("the door")
    for _ in range(3):
        scripted_dreams("a lamp")
    door = thread_card(get(client, f"/dreams/{first.pk}/"), "the door")
    assert ">New</span>" in door  # as it was in that dream
    assert "Now faded" in door
    assert f'last seen in <a href="/dreams/{last_seen.pk}/">dream 2</a>' in door


def test_a_long_lived_thread_links_its_latest_earlier_dreams_and_counts_the_rest(client):
    seen_first = timezone.now() - timedelta(days=30)
    count = EARLIER_SHOWN + 4
    reviews = [
        make_review(
            sequence,
            threads=[
                {
                    "name": "the sea",
                    "status": "recurring",
                    "times_seen": sequence,
                    "first_seen_at": seen_first.isoformat(),
                    "note": "",
                }
            ],
        )
        for sequence in range(1, count + 1)
    ]
    ContinuityThread.objects.create(
        key="the-sea",
        name="the sea",
        status=ThreadStatus.RECURRING,
        first_seen_at=seen_first,
        last_seen_at=timezone.now(),
        times_seen=count,
        last_seen_sequence=count,
    )
    sea = thread_card(get(client, reviews[-1].get_absolute_url()), "the sea")
    assert f"Seen in {count} dreams up to this one." in sea
    earlier = re.findall(r'href="/dreams/(\d+)/">dream (\d+)</a>', sea)
    assert earlier == [
        (str(reviews[sequence - 1].pk), str(sequence))
        for sequence in range(count - 1, count - 1 - EARLIER_SHOWN, -1)
    ]
    assert f"and {count - 1 - EARLIER_SHOWN} before those" in sea
