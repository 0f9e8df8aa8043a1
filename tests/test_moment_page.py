"""One mind moment's page, /moments/<id>/: what a person reads there, in their language,
with nothing of the stored JSON showing, in a bounded number of queries."""

import html as html_lib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dreams.models import DreamReview, MindMoment, MomentKind, PerceptKind
from dreams.selectors.moment_page import CITING_REVIEWS_CHECKED, PRIOR_MOMENTS_SHOWN
from tests.factories import make_moment, make_percept, make_session
from tests.hostile_text import FRIENDLY_TEXT

pytestmark = pytest.mark.django_db

MIXED = "مرحبا بالعالم and hello world"
HOSTILE = '<script>alert("moment")</script>'


def page(client: Client, moment: MindMoment) -> str:
    response = client.get(f"/moments/{moment.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def make_dream(sequence: int, *, through: int, themes: list[dict], title: str = "") -> DreamReview:
    moment = make_moment(
        cycle=through * 10 + sequence + 100_000, kind=MomentKind.DREAM, text="a dream"
    )
    return DreamReview.objects.create(
        sequence=sequence,
        title=title or f"Dream title {sequence}",
        narrative="It went on.",
        themes=themes,
        moment=moment,
        engine="offline",
        material_count=3,
        material_through_cycle=through,
    )


def elements_with(html: str, text: str) -> list[str]:
    """The opening tags of the elements in the page's content whose own text holds `text`."""
    content = html.split('<main id="content">')[1]
    escaped = re.escape(html_lib.escape(text, quote=True))
    tags = re.findall(rf"<\w+[^<>]*>(?=[^<]*{escaped})", content)
    assert tags, f"{text!r} is not on the page"
    return tags


def test_the_page_shows_the_phrase_text_kind_time_engine_and_reading(client):
    moment = make_moment(
        cycle=7,
        sigil_phrase="the kettle's patience",
        text="Steam rises and nobody is in a hurry.",
        valence=0.7,
        arousal=-0.6,
        colour="#aabbcc",
        processing_ms=1_450,
    )
    html = page(client, moment)
    assert "<title>the kettle&#x27;s patience · Dreams</title>" in html
    assert re.search(r'<h1 dir="auto">the kettle&#x27;s patience</h1>', html)
    # Said once, as the heading: not again as a caption under the sigil.
    assert html.count(">the kettle&#x27;s patience<") == 1
    assert "<figcaption" not in html
    assert "Steam rises and nobody is in a hurry." in html
    assert "Waking moment" in html
    assert f'<time datetime="{moment.created_at.isoformat()}"' in html
    assert "Offline (built in)" in html
    assert "Pleasant, calm" in html
    assert "+0.70" in html and "\u22120.60" in html
    assert 'style="background-color: #aabbcc"' in html
    assert "1.4 s" in html or "1.5 s" in html
    assert 'class="moment-reading"' in html  # where the plots' circumplex goes


@pytest.mark.parametrize(
    ("valence", "arousal", "words"),
    [
        (0.0, 0.0, "Neutral"),
        (0.05, 0.25, "Mildly excited"),
        (-0.3, -0.9, "Mildly unpleasant, calm"),
    ],
)
def test_the_reading_is_said_in_words_near_the_centre_too(client, valence, arousal, words):
    html = page(client, make_moment(valence=valence, arousal=arousal))
    assert re.search(rf'aria-hidden="true"></span>{words}</p>', html)


def test_the_sigil_is_drawn_on_a_canvas_from_its_commands(client):
    moment = make_moment()
    html = page(client, moment)
    assert re.search(r'<canvas[^>]*data-sigil="moment-sigil-commands"', html)
    commands = re.search(
        r'<script id="moment-sigil-commands" type="application/json">(.*?)</script>', html
    )
    assert commands and '["beginPath"]' in commands.group(1)
    assert "dreams/moment.js" in html


def test_a_moment_without_a_sigil_says_so_instead_of_an_empty_canvas(client):
    moment = make_moment(with_sigil=False, sigil_phrase="", text="Only words this time.")
    html = page(client, moment)
    assert "<canvas" not in html
    assert "No sigil" in html and "its words stand alone" in html
    assert f"<title>Cycle {moment.cycle} · Dreams</title>" in html


def test_percepts_read_as_text_not_json(client):
    moment = make_moment(
        visual_percepts=[{"description": "a red kite over the field", "valence": 0.2}],
        audio_percepts=[{"transcript": "wind in the wires"}],
    )
    html = page(client, moment)
    assert elements_with(html, "a red kite over the field") == [
        '<span class="percept-text" dir="auto">'
    ]
    assert "wind in the wires" in html
    assert "Seen" in html and "Heard" in html
    content = html.split('<main id="content">')[1]
    assert "description" not in content and "transcript" not in content
    assert "[{" not in content and "{&quot;" not in content


def test_percepts_that_are_still_kept_say_when_they_arrived(client):
    moment = make_moment(
        visual_percepts=[{"description": "a door opening"}],
        audio_percepts=[{"transcript": "a door creaking"}],
    )
    session = make_session()
    seen = make_percept(session=session, payload={"description": "a door opening"}, moment=moment)
    heard = make_percept(
        session=session,
        kind=PerceptKind.AUDIO,
        payload={"transcript": "a door creaking"},
        moment=moment,
    )
    html = page(client, moment)
    for percept in (seen, heard):
        assert f'<time class="meta" datetime="{percept.received_at.isoformat()}"' in html


def test_a_moment_kept_only_as_percept_rows_still_shows_what_was_perceived(client):
    moment = make_moment()
    make_percept(
        session=make_session(), payload={"description": "a cat on the sill"}, moment=moment
    )
    assert "a cat on the sill" in page(client, moment)


def test_a_seed_moment_explains_that_nothing_was_perceived(client):
    html = page(client, make_moment(kind=MomentKind.SEED, engine="seed"))
    assert "Demo moment" in html and "Demo seed" in html
    assert "seeded, not perceived" in html


def test_prior_moments_are_links_to_their_pages_with_their_phrase(client):
    first = make_moment(cycle=11, sigil_phrase="morning glass")
    second = make_moment(cycle=12, sigil_phrase="", text="A wordy second moment")
    moment = make_moment(cycle=13)
    moment.prior_moments.set([first, second])
    html = page(client, moment)
    prior = html.split('id="prior-heading"')[1].split("</section>")[0]
    assert f'href="/moments/{first.pk}/"' in prior and "morning glass" in prior
    assert f'href="/moments/{second.pk}/"' in prior and "A wordy second moment" in prior
    assert prior.index("A wordy second moment") < prior.index("morning glass")  # newest first


def test_a_moment_with_no_prior_moments_says_so(client):
    assert "It followed no earlier moment" in page(client, make_moment())


def test_a_dream_moment_links_its_review(client):
    review = make_dream(3, through=10, themes=[], title="The long corridor")
    html = page(client, review.moment)
    assert "Dream" in html
    dream = html.split('id="dream-heading"')[1].split("</section>")[0]
    assert f'href="/dreams/{review.pk}/"' in dream and "The long corridor" in dream
    assert "Dreams that cite it" not in html


def test_a_dream_moment_lists_some_of_the_moments_it_dreamt_of_and_sends_to_its_dream_for_all(
    client,
):
    cited = [make_moment(cycle=200 + n, sigil_phrase=f"cited {n:02}") for n in range(20)]
    review = make_dream(1, through=219, themes=[{"name": "All", "moment_ids": [1]}])
    review.moment.prior_moments.set(cited)
    html = page(client, review.moment)
    prior = html.split('id="prior-heading"')[1].split("</section>")[0]
    assert "The moments it dreamt of" in html
    assert prior.count('href="/moments/') == PRIOR_MOMENTS_SHOWN
    assert "cited 19" in prior and "cited 00" not in prior  # the most recent first
    assert f'<a href="/dreams/{review.pk}/">see them all' in prior
    assert "What it perceived" not in html  # a dream perceives nothing


def test_reviews_whose_themes_cite_the_moment_are_linked_with_the_theme_names(client):
    moment = make_moment(cycle=20)
    other = make_moment(cycle=21)
    citing = make_dream(
        1,
        through=25,
        title="Kites and kettles",
        themes=[
            {"name": "Patience", "moment_ids": [moment.pk, other.pk]},
            {"name": "Flight", "moment_ids": [moment.pk]},
            {"name": "Noise", "moment_ids": [other.pk]},
        ],
    )
    make_dream(2, through=30, title="Not about it", themes=[{"name": "X", "moment_ids": [999]}])
    html = page(client, moment)
    cited = html.split('id="cited-heading"')[1].split("</section>")[0]
    assert f'href="/dreams/{citing.pk}/"' in cited and "Kites and kettles" in cited
    assert "Patience" in cited and "Flight" in cited
    assert "Noise" not in cited and "Not about it" not in cited


def test_a_moment_no_dream_cites_says_so(client):
    moment = make_moment(cycle=40)
    make_dream(1, through=50, themes=[{"name": "Elsewhere", "moment_ids": [moment.pk + 1]}])
    assert "No dream has cited this moment." in page(client, moment)


def test_previous_and_next_moments_follow_the_cycles(client):
    before = make_moment(cycle=100, sigil_phrase="before it")
    moment = make_moment(cycle=105)
    after = make_moment(cycle=110, sigil_phrase="after it")
    html = page(client, moment)
    assert re.search(
        rf'rel="prev" href="/moments/{before.pk}/"><span>← Cycle 100: <bdi>before it', html
    )
    assert re.search(
        rf'rel="next" href="/moments/{after.pk}/"><span>Cycle 110: <bdi>after it', html
    )
    assert 'rel="prev"' not in page(client, before)
    assert 'rel="next"' not in page(client, after)


def test_a_missing_moment_is_the_site_404_page(client):
    response = client.get("/moments/987654/")
    assert response.status_code == 404
    assert "Nothing lives at this address" in response.content.decode()


def test_the_model_links_to_its_page():
    moment = make_moment()
    assert moment.get_absolute_url() == f"/moments/{moment.pk}/"


def test_mixed_direction_text_renders_inside_dir_auto_elements(client):
    prior = make_moment(sigil_phrase=f"{MIXED} prior")
    moment = make_moment(
        sigil_phrase=f"{MIXED} phrase",
        text=f"{MIXED} text",
        visual_percepts=[{"description": f"{MIXED} seen"}],
    )
    moment.prior_moments.set([prior])
    make_dream(
        1,
        through=moment.cycle,
        title=f"{MIXED} dream",
        themes=[{"name": f"{MIXED} theme", "moment_ids": [moment.pk]}],
    )
    html = page(client, moment)
    for text in (f"{MIXED} phrase", f"{MIXED} text", f"{MIXED} seen", f"{MIXED} prior"):
        for tag in elements_with(html, text):
            assert 'dir="auto"' in tag or tag.startswith("<bdi"), (text, tag)
    for text in (f"{MIXED} dream", f"{MIXED} theme"):
        for tag in elements_with(html, text):
            assert tag.startswith("<bdi"), (text, tag)


@pytest.mark.parametrize("text", FRIENDLY_TEXT)
def test_friendly_text_of_every_kind_is_shown(client, text):
    moment = make_moment(sigil_phrase=text[:100], visual_percepts=[{"description": text}])
    assert html_lib.escape(text.strip(), quote=True).split("\n")[0] in page(client, moment)


def test_hostile_text_is_escaped_everywhere_it_appears(client):
    prior = make_moment(sigil_phrase=HOSTILE)
    moment = make_moment(
        sigil_phrase=HOSTILE,
        text=HOSTILE,
        colour="url(x)",  # seven characters at most, as the column holds
        visual_percepts=[{"description": HOSTILE}],
        audio_percepts=[{"transcript": HOSTILE}],
    )
    moment.prior_moments.set([prior])
    make_dream(
        1,
        through=moment.cycle,
        title=HOSTILE,
        themes=[{"name": HOSTILE, "moment_ids": [moment.pk]}],
    )
    html = page(client, moment)
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(&quot;moment&quot;)&lt;/script&gt;") >= 7
    assert "url(x)" not in html and "swatch" not in html  # not a colour: no swatch


def test_anonymous_visitors_read_the_page_without_any_control(client):
    html = page(client, make_moment())
    content = html.split('<main id="content">')[1]
    assert "<form" not in content and "<button" not in content


def test_the_page_takes_the_same_few_queries_however_much_surrounds_the_moment(client):
    def queries_for(moment: MindMoment) -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, moment)
        return len(captured)

    lone = make_moment(cycle=500)
    busy = make_moment(cycle=600, visual_percepts=[{"description": f"seen {n}"} for n in range(30)])
    busy.prior_moments.set([make_moment(cycle=601 + n) for n in range(30)])
    session = make_session()
    for n in range(30):
        make_percept(session=session, payload={"description": f"seen {n}"}, moment=busy)
    for sequence in range(1, 3 * CITING_REVIEWS_CHECKED):
        make_dream(
            sequence,
            through=600 + sequence,
            themes=[{"name": f"theme {sequence}", "moment_ids": [busy.pk]}],
        )
    assert queries_for(busy) == queries_for(lone) <= 8


def test_only_the_reviews_whose_window_can_hold_the_moment_are_read(client):
    moment = make_moment(cycle=1_000)
    make_dream(1, through=900, themes=[{"name": "Too early", "moment_ids": [moment.pk]}])
    for sequence in range(2, 4 + 2 * CITING_REVIEWS_CHECKED):
        make_dream(
            sequence,
            through=1_000 + sequence,
            themes=[{"name": f"Window {sequence}", "moment_ids": [moment.pk]}],
        )
    html = page(client, moment)
    cited = html.split('id="cited-heading"')[1].split("</section>")[0]
    # A review's themes can only cite its own material: a review whose material ended
    # before the moment is never read, and only the first few windows after it are.
    assert "Too early" not in cited
    assert cited.count('href="/dreams/') == CITING_REVIEWS_CHECKED
    assert "Window 2" in cited
