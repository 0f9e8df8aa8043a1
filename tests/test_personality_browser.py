"""The personality page in a real browser, against a real server (see tests/browser.py):
edit the voice, try it (the moment and its sigil appear, nothing is stored), save it as a
new version and activate it."""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, LiveSite, canvas_lit_pixels, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIGHTHOUSE = "You are a lighthouse keeper who has watched the same sea for forty years."
COUNTS = (
    "from dreams.models import MindMoment, DreamReview, DreamRun, Personality; "
    "print(MindMoment.objects.count(), DreamReview.objects.count(), DreamRun.objects.count(), "
    "Personality.objects.count())"
)
# moment.js sizes the canvas in CSS pixels once it has drawn.
SIGIL_DRAWN = "() => document.querySelector('.trial-sigil canvas')?.dataset.drawn === 'true'"


def stored(site: LiveSite) -> str:
    return site.manage("shell", "-c", COUNTS).strip()


def test_edit_try_it_then_save_and_activate(live_site: LiveSite, page: Page) -> None:
    log_in(page, live_site, next_path="/")
    page.locator("#edit-personality").click()
    expect(page).to_have_url(f"{live_site.url}/personality/")
    expect(page.locator(".personality-engine-note")).to_contain_text("follows no personality")

    page.fill("#id_cognition_voice", LIGHTHOUSE)
    before = stored(live_site)
    page.locator("#try-cognition").click()
    trial = page.locator("[data-trial=cognition]")
    expect(trial).to_be_visible()
    expect(trial).to_contain_text("Nothing was stored.")
    assert page.locator("[data-trial-phrase]").inner_text().strip()
    assert page.locator("[data-trial-text]").inner_text().strip()
    page.wait_for_function(SIGIL_DRAWN)
    assert canvas_lit_pixels(page, ".trial-sigil canvas") > 50
    assert stored(live_site) == before
    # The edit is still in the editor, unsaved.
    expect(page.locator("#id_cognition_voice")).to_have_value(LIGHTHOUSE)

    page.fill("#id_name", "Keeper")
    page.locator("#save-version").click()
    expect(page.locator(".messages")).to_contain_text("Saved as version 2. It is not active yet.")
    page.locator("[data-activate='2']").click()
    expect(page.locator(".messages")).to_contain_text("Version 2 is now the active personality.")
    expect(page.locator(".version-active")).to_have_attribute("data-version", "2")
    expect(page.locator(".personality-active")).to_contain_text("Keeper")

    versions = json.loads(page.request.get(f"{live_site.url}/api/personalities/").text())
    active = [row for row in versions["results"] if row["is_active"]]
    assert [(row["version"], row["cognition_voice"]) for row in active] == [(2, LIGHTHOUSE)]


def test_the_page_fits_a_phone(live_site: LiveSite, page: Page) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, live_site, next_path="/personality/")
    page.locator("#try-dream").click()
    expect(page.locator("[data-trial=dream]")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
