"""The history of moments (/moments/) as served: a grid of sigils narrowed by the API's own
filters, paged by a keyset cursor on the cycle, and never a 500 for a strange query."""

import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dreams.models import MomentKind
from dreams.selectors.moment_history import HISTORY_PAGE_SIZE
from tests.factories import make_moment

pytestmark = pytest.mark.django_db


def history(client: Client, query: str | dict = "", *, status: int = 200) -> str:
    if isinstance(query, dict):
        query = urlencode(query)
    response = client.get(f"/moments/?{query}")
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def shown_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-moment-id="(\d+)"', page)]


def shown_cycles(page: str) -> list[int]:
    return [int(cycle) for cycle in re.findall(r'data-cycle="(\d+)"', page)]


def link(page: str, rel: str) -> str | None:
    """The query string of the page's Older (next) or Newer (prev) link."""
    found = re.search(rf'rel="{rel}" href="\?([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def api_ids(client: Client, query: str) -> list[int]:
    response = client.get(f"/api/moments/?{query}&page_size=500")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def every_page(client: Client, query: str) -> list[list[int]]:
    """The cycles of each page, following Older links from the first."""
    pages, page = [], history(client, query)
    while True:
        pages.append(shown_cycles(page))
        older = link(page, "next")
        if older is None:
            return pages
        page = history(client, older)


def test_each_moment_is_a_sigil_linking_to_its_page_with_phrase_cycle_kind_and_when(client):
    moment = make_moment(cycle=7, kind=MomentKind.DREAM, sigil_phrase="amber threshold")
    page = history(client)
    assert f'<img src="/api/moments/{moment.pk}/sigil.svg"' in page
    assert 'loading="lazy"' in page
    assert f'href="/moments/{moment.pk}/"' in page
    assert '<span class="phrase" dir="auto">amber threshold</span>' in page
    assert "Cycle 7 · Dream · <time datetime=" in page


def test_the_grid_is_newest_first(client):
    for cycle in (3, 10, 1, 7):
        make_moment(cycle=cycle, with_sigil=False)
    assert shown_cycles(history(client)) == [10, 7, 3, 1]


def test_a_moment_without_a_sigil_or_phrase_still_reads_plainly(client):
    make_moment(cycle=4, with_sigil=False, sigil_phrase="", text="")
    page = history(client)
    assert "No sigil" in page
    assert '<span class="phrase" dir="auto">Cycle 4</span>' in page


def test_the_kind_filter_shows_only_that_kind(client):
    make_moment(cycle=1, kind=MomentKind.LIVE, with_sigil=False)
    make_moment(cycle=2, kind=MomentKind.DREAM, with_sigil=False)
    make_moment(cycle=3, kind=MomentKind.SEED, with_sigil=False)
    make_moment(cycle=4, kind=MomentKind.DREAM, with_sigil=False)
    page = history(client, "kind=dream")
    assert shown_cycles(page) == [4, 2]
    assert '<option value="dream" selected>' in page


def test_the_time_range_includes_since_and_stops_before_until(client):
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    for day in range(6):
        make_moment(cycle=day + 1, created_at=start + timedelta(days=day), with_sigil=False)
    since, until = start + timedelta(days=2), start + timedelta(days=4)
    page = history(client, {"since": since.isoformat(), "until": until.isoformat()})
    assert shown_cycles(page) == [4, 3]
    # The inputs show the range in their own format, in the server's time zone.
    local = timezone.localtime(since).strftime("%Y-%m-%dT%H:%M:%S")
    assert f'name="since" value="{local}"' in page


def test_a_time_typed_in_a_time_input_filters_in_the_server_time_zone(client):
    start = timezone.localtime(timezone.now()).replace(microsecond=0) - timedelta(days=5)
    make_moment(cycle=1, created_at=start, with_sigil=False)
    make_moment(cycle=2, created_at=start + timedelta(days=2), with_sigil=False)
    typed = (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # as a browser sends it
    assert shown_cycles(history(client, {"since": typed})) == [2]


def test_a_circumplex_box_shows_only_moments_inside_it_as_the_api_does(client):
    readings = [(-0.9, -0.9), (-0.2, 0.3), (0.1, 0.1), (0.5, 0.5), (0.5, 0.51), (0.9, 0.2)]
    for cycle in range(1, 121):
        valence, arousal = readings[cycle % len(readings)]
        make_moment(cycle=cycle * 3, valence=valence, arousal=arousal, with_sigil=False)
    query = "valence_min=-0.25&valence_max=0.5&arousal_min=0.1&arousal_max=0.5"
    page = history(client, query)
    for valence, arousal in re.findall(r'data-valence="([^"]+)" data-arousal="([^"]+)"', page):
        assert -0.25 <= float(valence) <= 0.5 and 0.1 <= float(arousal) <= 0.5
    assert re.search(r'name="valence_min"[^>]* value="-0.25"', page)
    page_ids = []
    page = history(client, query)
    while True:
        page_ids += shown_ids(page)
        if (older := link(page, "next")) is None:
            break
        page = history(client, older)
    assert len(page_ids) == 60  # three readings in six lie inside, over two pages
    assert page_ids == api_ids(client, query)


def test_kind_and_circumplex_together_narrow_as_the_api_does(client):
    for cycle in range(1, 61):
        make_moment(
            cycle=cycle,
            kind=(MomentKind.LIVE, MomentKind.DREAM)[cycle % 2],
            valence=(cycle % 10) / 10 - 0.5,
            arousal=(cycle % 7) / 7 - 0.5,
            with_sigil=False,
        )
    query = "kind=dream&valence_min=0&arousal_max=0"
    ids = shown_ids(history(client, query))
    assert ids and ids == api_ids(client, query)


def test_the_text_filter_matches_the_text_or_the_phrase_in_any_case(client):
    make_moment(cycle=1, text="The Lantern flickers", sigil_phrase="quiet harbour")
    make_moment(cycle=2, text="the sea", sigil_phrase="lantern path")
    make_moment(cycle=3, text="the sea", sigil_phrase="river")
    page = history(client, "q=lantern")
    assert shown_cycles(page) == [2, 1]
    assert 'name="q" value="lantern"' in page


def test_older_pages_neither_repeat_nor_skip_a_moment(client):
    cycles = [cycle for cycle in range(1, 200) if cycle % 7 and cycle % 11]  # with gaps
    for cycle in cycles:
        make_moment(cycle=cycle, with_sigil=False)
    pages = every_page(client, "")
    assert [len(page) for page in pages[:-1]] == [HISTORY_PAGE_SIZE] * (len(pages) - 1)
    assert [cycle for page in pages for cycle in page] == sorted(cycles, reverse=True)


def test_newer_returns_to_the_page_before(client):
    for cycle in range(1, 150):
        make_moment(cycle=cycle, with_sigil=False)
    first = history(client)
    assert link(first, "prev") is None
    second = history(client, link(first, "next"))
    third = history(client, link(second, "next"))
    back_to_second = history(client, link(third, "prev"))
    assert shown_cycles(back_to_second) == shown_cycles(second)
    back_to_first = history(client, link(back_to_second, "prev"))
    assert shown_cycles(back_to_first) == shown_cycles(first)
    assert link(back_to_first, "prev") is None
    assert link(third, "next") is not None
    last = history(client, link(third, "next"))
    assert link(last, "next") is None
    assert shown_cycles(last) == list(range(149 - 3 * HISTORY_PAGE_SIZE, 0, -1))


def test_page_links_keep_the_filters_and_leave_out_empty_ones(client):
    for cycle in range(1, 120):
        make_moment(cycle=cycle, kind=MomentKind.DREAM, with_sigil=False)
    page = history(client, "kind=dream&q=&valence_min=&since=")
    older = link(page, "next")
    assert older == f"kind=dream&before={shown_cycles(page)[-1]}"
    newer = link(history(client, older), "prev")
    assert newer == f"kind=dream&after={shown_cycles(history(client, older))[0]}"


def test_a_page_is_read_by_the_cycle_index_without_offset_or_count(client):
    for cycle in range(1, 120):
        make_moment(cycle=cycle, with_sigil=False)
    second = link(history(client), "next")
    with CaptureQueriesContext(connection) as queries:
        history(client, f"kind=live&valence_min=-1&{second}")
    statements = [query["sql"].upper() for query in queries.captured_queries]
    moment_reads = [sql for sql in statements if "DREAMS_MINDMOMENT" in sql]
    assert moment_reads, statements
    for sql in moment_reads:
        assert " OFFSET " not in sql and "COUNT(" not in sql, sql
        assert "LIMIT" in sql, sql
    # The page and one look each way; never the sigil commands.
    assert len(moment_reads) <= 3, moment_reads
    assert not any("SIGIL_COMMANDS" in sql for sql in moment_reads)


def test_a_time_range_far_below_the_top_is_read_by_time_and_shows_the_same_moments(client):
    start = timezone.now().replace(microsecond=0) - timedelta(days=200)
    for cycle in range(1, 201):
        make_moment(cycle=cycle, created_at=start + timedelta(days=cycle - 1), with_sigil=False)
    since, until = start + timedelta(days=9), start + timedelta(days=69)  # cycles 10..69
    query = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    with CaptureQueriesContext(connection) as queries:
        first = history(client, query)
    page_read = [q["sql"] for q in queries.captured_queries if "LIMIT 49" in q["sql"]]
    # Read through the time index: ordered by an expression of the cycle that its index
    # cannot give, so the database does not walk down from cycle 200.
    assert page_read and '"cycle" + 0' in page_read[0].replace("dreams_mindmoment", ""), page_read
    pages = [shown_cycles(first), shown_cycles(history(client, link(first, "next")))]
    assert [cycle for page in pages for cycle in page] == list(range(69, 9, -1))
    assert shown_ids(first) == api_ids(client, query)[:HISTORY_PAGE_SIZE]


def test_a_recent_time_range_is_read_down_the_cycles(client):
    start = timezone.now().replace(microsecond=0) - timedelta(days=200)
    for cycle in range(1, 201):
        make_moment(cycle=cycle, created_at=start + timedelta(days=cycle - 1), with_sigil=False)
    query = urlencode({"since": (start + timedelta(days=150)).isoformat()})
    with CaptureQueriesContext(connection) as queries:
        assert shown_cycles(history(client, query)) == list(range(200, 151, -1))[:48]
    page_read = [q["sql"] for q in queries.captured_queries if "LIMIT 49" in q["sql"]]
    assert page_read and "+ 0" not in page_read[0], page_read


def test_a_time_with_an_offset_the_database_cannot_hold_pages_like_any_other(client):
    make_moment(cycle=1, created_at=timezone.now() - timedelta(days=2), with_sigil=False)
    until = (timezone.now() - timedelta(days=1)).astimezone(
        timezone.get_fixed_timezone(-(16 * 60 + 13))
    )
    assert shown_cycles(history(client, {"until": until.isoformat()})) == [1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=nightmare", "Kind: choose live, dream or seed."),
        ("valence_min=2", "Valence from: a number from -1 to 1."),
        ("arousal_max=very", "Arousal to: a number from -1 to 1."),
        ("valence_max=1e400", "Valence to: a number from -1 to 1."),
        ("valence_min=NaN", "Valence from: a number from -1 to 1."),
        ("since=yesterday", "From: a date and time"),
        ("until=2025-13-45T10:00", "Until: a date and time"),
        ("has_sigil=perhaps", "With a sigil: true or false."),
        ("q=" + "x" * 201, "Text: Ensure this value has at most 200 characters"),
        ("q=a%00b", "Text: Null characters are not allowed."),
        ("before=-3", "Older than cycle: a cycle number"),
        ("before=99999999999999999999999", "Older than cycle: a cycle number"),
        ("after=seven", "Newer than cycle: a cycle number"),
        ("before=5&after=3", "Follow either Older or Newer, not both at once."),
    ],
)
def test_an_invalid_filter_shows_a_message_and_no_moments(client, query, message):
    make_moment(cycle=1, with_sigil=False)
    page = history(client, query, status=400)
    assert message in html.unescape(page)
    assert 'role="alert"' in page
    assert shown_ids(page) == []
    assert 'href="/moments/">clear the filters</a>' in page


def test_times_beyond_what_utc_can_hold_filter_rather_than_fail(client):
    make_moment(cycle=1, with_sigil=False)
    for query in ("since=0001-01-01T00:00:00%2B14:00", "until=9999-12-31T23:00:00-14:00"):
        assert shown_cycles(history(client, query)) == [1]
        assert client.get(f"/api/moments/?{query}").status_code == 200
    assert shown_cycles(history(client, "until=0001-01-01T00:00:00%2B14:00")) == []


def test_hostile_text_in_a_moment_and_in_the_query_is_escaped(client):
    make_moment(
        cycle=1,
        with_sigil=False,
        sigil_phrase='<script>alert("phrase")</script>',
        text="<img src=x onerror=alert(1)>",
    )
    page = history(client, {"q": '"><script>alert("q")</script>'})
    assert "<script>alert" not in page
    assert "&quot;&gt;&lt;script&gt;" in page
    page = history(client)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;phrase&quot;)&lt;/script&gt;" in page


def test_a_history_with_no_moments_says_how_to_make_some(client):
    page = history(client)
    assert "No mind moments yet" in page
    assert "seed_moments" in page
    assert 'href="/perceive/"' in page
    assert "history-pager" not in page


def test_filters_that_match_nothing_say_so_and_offer_to_clear_them(client):
    make_moment(cycle=1, kind=MomentKind.LIVE, with_sigil=False)
    page = history(client, "kind=dream")
    assert "No moments match these filters." in page
    assert 'href="/moments/">clear the filters</a>' in page
    assert "No mind moments yet" not in page


def test_a_region_given_upside_down_is_pointed_out(client):
    make_moment(cycle=1, with_sigil=False)
    page = history(client, "valence_min=0.5&valence_max=-0.5")
    assert "Valence from is above valence to." in page


def test_a_cursor_past_the_end_leads_back_to_the_newest(client):
    make_moment(cycle=5, kind=MomentKind.DREAM, with_sigil=False)
    page = history(client, "kind=dream&before=2")
    assert "No more moments this way with these filters." in page
    assert 'href="/moments/?kind=dream">Back to the newest moments</a>' in page


def test_anyone_can_read_the_history_and_the_pictures_have_their_place(client):
    make_moment(cycle=1, with_sigil=False)
    page = history(client)
    assert '<section class="history-pictures"' in page
    # After the grid: on a phone the sigils come before the pictures of them.
    assert page.index('class="moment-grid history-grid"') < page.index('class="history-pictures"')


def filters_box(page: str) -> str:
    return re.search(r"<details [^>]*data-filters-box[^>]*>", page).group(0)


def test_the_filters_fold_on_a_phone_only_while_none_is_set(client):
    make_moment(cycle=1, with_sigil=False)
    unfiltered = filters_box(history(client))
    # Open as served (a desktop, or no script); the script folds it on a phone.
    assert " open" in unfiltered and "data-fold-on-phone" in unfiltered
    for query in ("kind=live", "valence_min=0.5", "valence_min=7"):
        box = filters_box(history(client, query, status=400 if "7" in query else 200))
        assert " open" in box and "data-fold-on-phone" not in box, query


def test_the_region_help_writes_negative_numbers_with_a_minus_sign(client):
    page = history(client)
    assert "unpleasant (\u22121) to pleasant (+1)" in page
    assert "(-1)" not in page
    assert "<title>History of moments · Dreams</title>" in page
