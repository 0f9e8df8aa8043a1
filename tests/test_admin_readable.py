"""The admin for people: what the history keeps as JSON (percepts, a review's themes and
threads, a run's warnings and outcome) reads as text and links, colours as swatches, the
percepts list has its text, search and newest first, the engine selection its readiness,
the dream settings their real cadence, and the whole admin the site's name and look."""

import re
from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from dreams.models import (
    Cadence,
    ContinuityThread,
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    PerceptKind,
    RunStatus,
    ThreadStatus,
    Trigger,
)
from dreams.services.dream_runs import run_dream
from dreams.services.dream_settings import dream_settings_update
from dreams.services.seeding import moments_seed
from engines.models import SelectionSource
from engines.selection import engine_select
from tests.factories import make_moment, make_percept, make_session
from tests.hostile_text import FRIENDLY_TEXT

pytestmark = pytest.mark.django_db

# Text that would be markup if it were not escaped.
MARKUP = '<script>alert("dream")</script><img src=x onerror=alert(1)>'
# What JSON looks like where data belongs: a list of objects, an object, a quoted key.
JSON_SIGNS = ("[{", '{"', '":', '["', '"]')


class _PageText(HTMLParser):
    """The text a person reads in the admin's content area (no scripts, no styles)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        if self.depth or dict(attrs).get("id") == "content":
            self.depth += 1 if tag not in VOID_TAGS else 0

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


VOID_TAGS = {"img", "br", "input", "meta", "link", "hr", "col", "source", "wbr"}


def content_text(html: str) -> str:
    parser = _PageText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def admin_page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def change_page(client: Client, obj: object) -> str:
    meta = obj._meta  # type: ignore[attr-defined]
    return admin_page(client, f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/change/")  # type: ignore[attr-defined]


def assert_no_json(html: str) -> None:
    text = content_text(html)
    assert text, "the page has no content"
    for sign in JSON_SIGNS:
        assert sign not in text, f"{sign!r} in: ...{text[max(0, text.find(sign) - 120) :][:240]}"


@pytest.fixture
def dreamt(setup_done) -> DreamReview:
    """Two real dreams with the built-in engine, the second with more new moments than it
    may consolidate (a warning), so its threads recur."""
    moments_seed(count=8, seed=5)
    assert run_dream(trigger=Trigger.CLI, force=True).status == RunStatus.WRITTEN
    DreamSettings.objects.update(max_material=5)
    moments_seed(count=8, seed=6)
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert run.status == RunStatus.WRITTEN and run.warnings
    assert run.review is not None
    return run.review


# Moments and percepts


def test_moment_page_lists_its_percepts_as_text_with_kind_and_time(staff_client):
    session = make_session(client_name="gallery camera")
    moment = make_moment(
        session=session,
        visual_percepts=[{"kind": "visual", "description": "a red coat by the door"}],
        audio_percepts=[{"kind": "audio", "transcript": "is anyone there"}],
    )
    seen = make_percept(
        session=session,
        moment=moment,
        payload={"kind": "visual", "description": "a red coat by the door", "valence": 0.4},
    )
    make_percept(
        session=session,
        moment=moment,
        kind=PerceptKind.AUDIO,
        payload={"kind": "audio", "transcript": "is anyone there"},
        received_at=seen.received_at + timedelta(seconds=2),
    )
    html = change_page(staff_client, moment)
    text = content_text(html)
    assert "Seen a red coat by the door" in text
    assert "Heard is anyone there" in text
    assert re.search(r"Seen a red coat by the door \w{3}\.? \d+, \d{4}", text), text
    assert f'href="/admin/dreams/percept/{seen.pk}/change/"' in html
    assert_no_json(html)


def test_a_seeded_moment_lists_the_percepts_it_kept(staff_client):
    moment = make_moment(
        kind="seed",
        visual_percepts=[{"description": "gulls over the pier"}],
        audio_percepts=[{"transcript": "waves, a bell"}],
    )
    html = change_page(staff_client, moment)
    text = content_text(html)
    assert "Seen gulls over the pier" in text and "Heard waves, a bell" in text
    assert_no_json(html)


def test_a_moment_without_percepts_says_so(staff_client):
    html = change_page(staff_client, make_moment())
    assert "No percepts: this moment came from the mind alone." in content_text(html)


def test_a_moments_colour_is_a_swatch_beside_its_hex(staff_client):
    moment = make_moment(colour="#dbc865")
    html = change_page(staff_client, moment)
    assert re.search(r'<span class="dreams-swatch" style="background-color:#dbc865"[^>]*>', html)
    assert "<code>#dbc865</code>" in html
    listing = admin_page(staff_client, "/admin/dreams/mindmoment/")
    assert 'style="background-color:#dbc865"' in listing


def test_a_moment_shows_its_sigil_prior_moments_and_its_page_on_the_site(staff_client):
    earlier = make_moment(sigil_phrase="first light")
    moment = make_moment()
    moment.prior_moments.add(earlier)
    html = change_page(staff_client, moment)
    assert re.search(rf'<img src="/api/moments/{moment.pk}/sigil.svg" width="256"', html)
    assert f'href="/moments/{moment.pk}/" class="viewsitelink"' in html
    assert f'href="/admin/dreams/mindmoment/{earlier.pk}/change/"' in html
    assert f"Cycle {earlier.cycle}: first light" in content_text(html)
    assert_no_json(html)


def test_a_percepts_page_reads_its_payload(staff_client):
    session = make_session()
    percept = make_percept(
        session=session,
        payload={"kind": "visual", "description": "two people dancing", "arousal": 0.7},
    )
    html = change_page(staff_client, percept)
    text = content_text(html)
    assert "Description two people dancing" in text and "Arousal 0.7" in text
    assert_no_json(html)
    assert_no_json(change_page(staff_client, session))
    assert "two people dancing" in content_text(change_page(staff_client, session))


# Percepts list


def test_the_percepts_list_shows_their_text_newest_first(staff_client):
    session = make_session()
    now = timezone.now()
    make_percept(session=session, payload={"description": "older: a cat"}, received_at=now)
    make_percept(
        session=session,
        kind=PerceptKind.AUDIO,
        payload={"transcript": "newer: a song " + "la " * 60},
        received_at=now + timedelta(minutes=1),
    )
    text = content_text(admin_page(staff_client, "/admin/dreams/percept/"))
    assert "What it saw or heard" in text
    assert text.index("newer: a song") < text.index("older: a cat")
    assert "la " * 60 not in text  # long text is shortened in the list
    assert "…" in text


@pytest.mark.parametrize("word", ["umbrella", "UMBRELLA", "whistling"])
def test_searching_percepts_finds_one_by_a_word_of_its_text(staff_client, word):
    session = make_session()
    make_percept(session=session, payload={"description": "a yellow umbrella in the rain"})
    make_percept(
        session=session, kind=PerceptKind.AUDIO, payload={"transcript": "someone whistling"}
    )
    make_percept(session=session, payload={"description": "an empty street"})
    text = content_text(admin_page(staff_client, f"/admin/dreams/percept/?q={word}"))
    expected = "whistling" if word == "whistling" else "a yellow umbrella in the rain"
    assert expected in text
    assert "an empty street" not in text
    assert ("umbrella" in text) == (word != "whistling")


# Reviews and runs


def test_a_reviews_themes_link_the_moments_they_cite(staff_client, dreamt):
    html = change_page(staff_client, dreamt)
    text = content_text(html)
    for theme in dreamt.themes:
        assert theme["name"] in text and theme["summary"] in text
        for moment_id in theme["moment_ids"]:
            assert f'href="/admin/dreams/mindmoment/{moment_id}/change/"' in html
            assert f'href="/moments/{moment_id}/"' in html
            cycle = MindMoment.objects.get(pk=moment_id).cycle
            assert f"Cycle {cycle}" in text
    assert f'href="/dreams/{dreamt.pk}/" class="viewsitelink"' in html
    assert_no_json(html)


def test_a_reviews_threads_read_with_status_and_history(staff_client, dreamt):
    assert dreamt.threads, "the built-in engine follows threads"
    text = content_text(change_page(staff_client, dreamt))
    for thread in dreamt.threads:
        word = ThreadStatus(thread["status"]).label
        assert f"{thread['name']} {word}" in text
    assert "First seen" in text and "in this dream" in text
    assert re.search(r"seen (once|\d+ times)", text)
    assert any(thread["status"] == ThreadStatus.RECURRING for thread in dreamt.threads)


def test_a_runs_warnings_are_a_list(staff_client, dreamt):
    run = DreamRun.objects.get(review=dreamt)
    html = change_page(staff_client, run)
    assert re.search(r"<ul class=\"dreams-list\"><li>\d+ new moments; the 5 most salient", html)
    assert f'href="/admin/dreams/dreamreview/{dreamt.pk}/change/"' in html
    assert "It wrote the review above; only a dry run keeps its outcome here." in html
    assert_no_json(html)
    review_html = change_page(staff_client, dreamt)
    assert f'href="/admin/dreams/dreamrun/{run.pk}/change/"' in review_html


def test_a_dry_runs_outcome_is_a_short_definition_list(staff_client, setup_done):
    moments_seed(count=8, seed=7)
    run = run_dream(trigger=Trigger.CLI, force=True, dry_run=True)
    assert run.outcome
    html = change_page(staff_client, run)
    text = content_text(html)
    assert f"Title {run.outcome['title']}" in text
    assert f"Sigil phrase {run.outcome['sigil_phrase']}" in text
    assert run.outcome["themes"][0]["name"] in text
    assert "No warnings." in text
    assert '<dl class="dreams-definitions">' in html
    assert_no_json(html)


def test_a_run_without_outcome_says_why(staff_client):
    run = DreamRun.objects.create(
        trigger=Trigger.CLI, status=RunStatus.SKIPPED, reason="no_material"
    )
    text = content_text(change_page(staff_client, run))
    assert "Nothing kept: only a dry run keeps what it would have written." in text


def test_the_engine_reads_as_the_pages_name_it_in_lists_and_detail_pages(staff_client, dreamt):
    run = DreamRun.objects.get(review=dreamt)
    moment = MindMoment.objects.exclude(engine="").filter(engine="offline").first()
    assert moment is not None
    for obj in (dreamt, run, moment):
        text = content_text(change_page(staff_client, obj))
        assert "Engine: Offline (built in)" in text, obj
    for listing in ("dreamreview", "dreamrun", "mindmoment"):
        html = admin_page(staff_client, f"/admin/dreams/{listing}/")
        cells = re.findall(r'<td class="field-engine_name">([^<]*)</td>', html)
        assert cells and "offline" not in cells, listing
        assert "Offline (built in)" in cells, listing


def test_no_detail_page_shows_json_where_data_belongs(staff_client, dreamt):
    engine_select(engine="offline", source=SelectionSource.CLI)
    objects: list[object] = [
        dreamt,
        dreamt.moment,
        DreamRun.objects.get(review=dreamt),
        ContinuityThread.objects.first(),
        DreamSettings.load(),
        *MindMoment.objects.all()[:10],
    ]
    session = make_session()
    objects += [session, make_percept(session=session)]
    from engines.models import EngineSelection

    objects.append(EngineSelection.objects.get())
    for obj in objects:
        assert_no_json(change_page(staff_client, obj))


# Escaping and direction


def test_markup_in_any_written_text_is_shown_as_text(staff_client):
    session = make_session()
    moment = make_moment(text=MARKUP, sigil_phrase=MARKUP[:100], session=session)
    make_percept(session=session, moment=moment, payload={"description": MARKUP})
    review = DreamReview.objects.create(
        sequence=1,
        title=MARKUP[:100],
        narrative=MARKUP,
        themes=[{"name": MARKUP, "summary": MARKUP, "moment_ids": [moment.pk]}],
        threads=[
            {
                "name": MARKUP,
                "status": "new",
                "times_seen": 1,
                "first_seen_at": timezone.now().isoformat(),
                "note": MARKUP,
            }
        ],
        moment=make_moment(kind="dream"),
        engine="offline",
        material_count=1,
        material_through_cycle=moment.cycle,
    )
    run = DreamRun.objects.create(
        trigger=Trigger.CLI,
        status=RunStatus.WRITTEN,
        dry_run=True,
        warnings=[MARKUP],
        outcome={
            "title": MARKUP,
            "sigil_phrase": MARKUP,
            "themes": [{"name": MARKUP, "summary": MARKUP, "moment_ids": [moment.pk]}],
            "threads": [MARKUP],
        },
    )
    pages = [change_page(staff_client, obj) for obj in (moment, review, run, session)]
    pages += [admin_page(staff_client, path) for path in ("/admin/dreams/percept/",)]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;dream&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize("text", FRIENDLY_TEXT)
def test_written_text_carries_its_own_direction(staff_client, text):
    moment = make_moment(text=text, sigil_phrase=text.strip()[:100])
    session = make_session()
    make_percept(session=session, moment=moment, payload={"description": text})
    html = change_page(staff_client, moment)
    shown = re.escape(text.strip().split()[0])
    assert re.search(rf'<div class="dreams-text" dir="auto">[^<]*{shown}', html)
    assert re.search(rf'<span dir="auto">[^<]*{shown}', html)


# Engine selection and dream settings


def test_the_engine_selection_shows_it_is_ready(staff_client):
    engine_select(engine="offline", source=SelectionSource.CLI)
    listing = content_text(admin_page(staff_client, "/admin/engines/engineselection/"))
    assert "Offline (built in) Ready" in listing
    detail = admin_page(staff_client, "/admin/engines/engineselection/1/change/")
    assert re.search(r'<span class="dreams-readiness dreams-ready">Ready</span>', detail)


def test_the_engine_selection_says_why_it_is_not_ready(staff_client):
    engine_select(engine="anthropic", source=SelectionSource.CLI, allow_not_ready=True)
    expected = "Not ready: needs setup. Set ANTHROPIC_API_KEY in the server's environment"
    listing = content_text(admin_page(staff_client, "/admin/engines/engineselection/"))
    assert "Anthropic Claude (API) " + expected in listing
    detail = content_text(admin_page(staff_client, "/admin/engines/engineselection/1/change/"))
    assert expected in detail


def test_the_dream_settings_list_says_the_real_cadence(staff_client):
    row = DreamSettings.load()
    common = {"enabled": True, "time_zone": "UTC", "min_new_moments": row.min_new_moments}
    dream_settings_update(cadence=Cadence.INTERVAL, interval_hours=6, **common)
    listing = content_text(admin_page(staff_client, "/admin/dreams/dreamsettings/"))
    assert "Every 6 hours" in listing
    assert "3 a.m." not in listing
    dream_settings_update(cadence=Cadence.DAILY, daily_at=time(3, 0), **common)
    listing = content_text(admin_page(staff_client, "/admin/dreams/dreamsettings/"))
    assert "Daily at 03:00 (UTC)" in listing


# The site's name and look


def test_the_admin_is_branded_dreams_in_the_sites_look(staff_client):
    html = admin_page(staff_client, "/admin/")
    assert re.search(r'<div id="site-name"><a href="/admin/">Dreams</a></div>', html)
    assert "<title>The mind&#x27;s history and settings | Dreams admin</title>" in html
    assert "Django administration" not in html
    assert re.search(r'<link rel="stylesheet" href="/static/dreams/admin\.css', html)
    login = Client().get("/admin/login/").content.decode()
    assert '<a href="/admin/">Dreams</a>' in login and "dreams/admin.css" in login
