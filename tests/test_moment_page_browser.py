"""A moment's page in a real browser, against a real server (see tests/browser.py)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, LiveSite, canvas_lit_pixels

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEEN = "a heron standing in the shallows"
HEARD = "a radio two rooms away"
# A moment the way a cognitive cycle writes it: a sigil, one percept of each kind, the
# three moments before it as its prior moments.
MAKE_MOMENT = f"""
from dreams.models import MindMoment, MomentKind
from dreams.services.moments import moment_create
from dreams.sigils import generate_sigil

sigil = generate_sigil("moment-page-browser")
moment = moment_create(
    kind=MomentKind.LIVE,
    text="The water keeps its own counsel.",
    sigil_phrase="still water",
    sigil_code=sigil.code,
    sigil_commands=sigil.commands,
    valence=0.4,
    arousal=-0.5,
    engine="offline",
    visual_percepts=[{{"description": {SEEN!r}}}],
    audio_percepts=[{{"transcript": {HEARD!r}}}],
    prior_moments=list(MindMoment.objects.order_by("-cycle")[:3]),
)
print(moment.pk)
"""


def moment_url(site: LiveSite) -> str:
    moment_id = int(site.manage("shell", "-c", MAKE_MOMENT).strip().splitlines()[-1])
    return f"{site.url}/moments/{moment_id}/"


def test_the_sigil_is_drawn_on_the_canvas_and_the_percepts_read_as_text(
    live_site: LiveSite, page: Page
) -> None:
    page.goto(moment_url(live_site))
    canvas = page.locator("canvas.moment-sigil-canvas")
    expect(canvas).to_have_attribute("data-drawn", "true")
    assert canvas_lit_pixels(page, "canvas.moment-sigil-canvas") > 200

    expect(page.locator("h1")).to_have_text("still water")
    expect(page.locator(".percept-text", has_text=SEEN)).to_be_visible()
    expect(page.locator(".percept-text", has_text=HEARD)).to_be_visible()


def test_on_a_phone_the_page_fits_the_screen_and_the_sigil_stays_sharp(
    live_site: LiveSite, page: Page
) -> None:
    url = moment_url(live_site)
    page.set_viewport_size(PHONE)
    page.goto(url)
    canvas = page.locator("canvas.moment-sigil-canvas")
    expect(canvas).to_have_attribute("data-drawn", "true")
    assert canvas_lit_pixels(page, "canvas.moment-sigil-canvas") > 200
    # Nothing sideways to scroll to; the sigil takes the phone's width, its backing store
    # as many pixels as the screen shows.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sizes = page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas.moment-sigil-canvas');
            return {css: canvas.getBoundingClientRect().width, store: canvas.width,
                    ratio: window.devicePixelRatio};
        }"""
    )
    assert sizes["css"] > PHONE["width"] * 0.75
    assert sizes["store"] == round(sizes["css"] * sizes["ratio"])
    expect(page.locator(".percept-text", has_text=SEEN)).to_be_visible()


def test_following_a_prior_moment_opens_its_page(live_site: LiveSite, page: Page) -> None:
    page.goto(moment_url(live_site))
    link = page.locator(".moment-prior a").first
    expect(link).to_be_visible()
    phrase = link.locator(".moment-link-phrase").inner_text()
    link.click()
    expect(page.locator("h1")).to_contain_text(phrase.rstrip("…"))
    expect(page.locator(".moment-prior")).not_to_contain_text(SEEN)
