"""Text written by people and engines keeps its own direction: Arabic or Hebrew mixed with
English reads in order on the dashboard, the perceptor and the observer display."""

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

from dreams.models import DreamReview, MomentKind
from tests.browser import LiveSite
from tests.factories import make_moment

# Arabic first, so a paragraph that takes its direction from its text reads right to left.
MIXED = "حلم النهر river dream"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class DirectionFinder(HTMLParser):
    """Every text node holding `marker`, with whether an element around it sets its own
    direction (`dir` on it or an ancestor, or a `<bdi>`)."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.stack: list[tuple[str, bool]] = []
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        isolates = tag == "bdi" or any(name == "dir" for name, _ in attrs)
        self.stack.append((tag, isolates))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        inside = [tag for tag, _ in self.stack]
        # Not shown in the page's flow: scripts' data, templates, and titles (the page's
        # own, and an SVG mark's tooltip, which the browser lays out by itself).
        hidden = {"script", "template", "title"} & set(inside)
        if self.marker in data and not hidden:
            self.found.append((data.strip(), any(isolates for _, isolates in self.stack)))


def texts_and_direction(html: str, marker: str) -> list[tuple[str, bool]]:
    finder = DirectionFinder(marker)
    finder.feed(html)
    return finder.found


@pytest.mark.django_db
def test_every_written_text_on_the_dashboard_sets_its_direction(client: Client):
    cited = make_moment(sigil_phrase=f"{MIXED} phrase", text=f"{MIXED} text")
    dream = make_moment(kind=MomentKind.DREAM, sigil_phrase=f"{MIXED} dream sigil")
    DreamReview.objects.create(
        sequence=1,
        title=f"{MIXED} title",
        narrative=f"{MIXED} narrative.\n\nA second paragraph, {MIXED}.",
        themes=[
            {"name": f"{MIXED} theme", "summary": f"{MIXED} summary", "moment_ids": [cited.pk]}
        ],
        moment=dream,
        engine="offline",
        material_count=1,
        material_through_cycle=cited.cycle,
    )
    html = client.get("/").content.decode()
    found = texts_and_direction(html, MIXED)
    shown = {text.split(MIXED)[-1].strip(" .,") for text, _ in found}
    # Each kind of text is on the page (title, narrative, theme, sigil phrase, chips, grid).
    assert {"title", "narrative", "theme", "summary", "dream sigil", "phrase"} <= shown, shown
    assert [text for text, isolated in found if not isolated] == []


@pytest.mark.django_db
def test_the_perceptor_and_observer_set_the_direction_of_what_they_show(
    staff_client: Client, client: Client
):
    perceptor = staff_client.get("/perceive/").content.decode()
    # What a person types, and the moments and percepts the page fills in as they come.
    assert re.search(r"<textarea[^>]*id=\"percept-text\"[^>]*dir=\"auto\"", perceptor)
    assert re.search(r"data-moment-phrase dir=\"auto\"", perceptor)
    assert re.search(r"data-moment-text dir=\"auto\"", perceptor)
    script = Path(settings.BASE_DIR, "dreams", "static", "dreams", "perceive.js").read_text()
    assert "text.dir = 'auto'" in script  # each percept in the list of what was sent
    observer = client.get("/observe/").content.decode()
    assert re.search(r"<p class=\"observer-phrase\" data-phrase dir=\"auto\"", observer)


@pytest.mark.browser
@pytest.mark.slow
def test_mixed_arabic_and_english_reads_right_to_left_in_its_own_element(
    start_site: Callable[..., LiveSite], page: Page
):
    site = start_site()
    site.manage(
        "shell",
        "-c",
        "from tests.factories import make_moment; "
        f"make_moment(cycle=999_999, sigil_phrase='{MIXED}', text='{MIXED}')",
    )
    page.goto(f"{site.url}/")
    phrase = page.locator(".moment-card .phrase", has_text=MIXED).first
    direction = phrase.evaluate(
        """(element) => ({
            dir: element.closest('[dir], bdi')?.getAttribute('dir') ?? 'bdi',
            own: getComputedStyle(element).direction,
            page: getComputedStyle(document.body).direction,
        })"""
    )
    assert direction == {"dir": "auto", "own": "rtl", "page": "ltr"}
