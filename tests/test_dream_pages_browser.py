"""The dream pages in a real browser, against a real server (see tests/browser.py)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, LiveSite, canvas_lit_pixels

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A dream written in Arabic with English in it, and an English paragraph after it.
MIXED_DREAM = """
from dreams.models import DreamReview, MindMoment, MomentKind
moment = MindMoment.objects.filter(kind=MomentKind.SEED).first()
dream = MindMoment.objects.create(
    cycle=10_000, kind=MomentKind.DREAM, text="dream", sigil_commands=moment.sigil_commands
)
review = DreamReview.objects.create(
    sequence=500,
    title="حلم النهر with a boat",
    narrative="كان الماء يعود with the tide.\\n\\nThen the bank, in English.",
    themes=[{"name": "ماء water", "summary": "s", "moment_ids": [moment.pk]}],
    moment=dream,
    engine="offline",
    material_count=1,
    material_through_cycle=moment.cycle,
)
print(f"review={review.pk}")
"""


# drawSigil sizes the canvas in CSS pixels when it draws.
SIGIL_DRAWN = "() => document.querySelector('.dream-sigil canvas').style.width !== ''"


def fits(page: Page) -> bool:
    """Nothing on the page is wider than the phone."""
    return page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def write_a_dream(site: LiveSite) -> None:
    site.manage(
        "shell", "-c", "from dreams.services.dream_settings import setup_complete; setup_complete()"
    )
    site.manage("run_dream", "--force")


def test_follow_a_themes_moment_and_come_back_to_the_dream(live_site: LiveSite, page: Page) -> None:
    write_a_dream(live_site)
    page.goto(f"{live_site.url}/dreams/")
    page.locator(".dream-item h2 a").first.click()
    expect(page).to_have_url(re.compile(r"/dreams/\d+/$"))
    dream_url = page.url
    title = page.locator("h1").inner_text()
    assert title

    # The dream's sigil is drawn on its canvas.
    page.wait_for_function(SIGIL_DRAWN)
    assert canvas_lit_pixels(page, ".dream-sigil canvas") > 50

    thumbnail = page.locator(".theme .cited-moment a").first
    moment_id = thumbnail.get_attribute("data-moment")
    phrase = thumbnail.locator(".cited-phrase").inner_text()
    thumbnail.click()
    expect(page).to_have_url(f"{live_site.url}/moments/{moment_id}/")
    expect(page.locator("h1")).to_have_text(phrase)  # the moment's page, not a 404

    page.go_back()
    expect(page).to_have_url(dream_url)
    expect(page.locator("h1")).to_have_text(title)


def test_mixed_direction_text_takes_its_own_direction(live_site: LiveSite, page: Page) -> None:
    review_id = re.search(r"review=(\d+)", live_site.manage("shell", "-c", MIXED_DREAM)).group(1)
    page.goto(f"{live_site.url}/dreams/{review_id}/")
    expect(page.locator("h1")).to_have_text("حلم النهر with a boat")
    is_rtl = "(element) => element.matches(':dir(rtl)')"
    assert page.locator("h1").evaluate(is_rtl)
    paragraphs = page.locator(".dream-narrative p")
    assert paragraphs.nth(0).evaluate(is_rtl)
    assert not paragraphs.nth(1).evaluate(is_rtl)
    assert page.locator(".theme h3").evaluate(is_rtl)


def test_the_dream_pages_fit_a_phone(live_site: LiveSite, page: Page) -> None:
    write_a_dream(live_site)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_site.url}/dreams/")
    expect(page.locator(".dream-item")).to_have_count(1)
    assert fits(page)
    page.locator(".dream-item h2 a").click()
    page.wait_for_function(SIGIL_DRAWN)
    assert fits(page)
    sigil = page.locator(".dream-sigil canvas").bounding_box()
    assert sigil is not None and sigil["x"] + sigil["width"] <= PHONE["width"]
