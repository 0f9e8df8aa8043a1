"""The admin in a real browser, against a real server (see tests/browser.py): the site's
dark look whatever Django's theme toggle or the system prefers, colour swatches that show
their colour, and detail pages that fit a phone."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DESKTOP, PHONE, STAFF_PASSWORD, STAFF_USERNAME, LiveSite, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLACK = "rgb(0, 0, 0)"
# Set to a folder to keep screenshots of the admin's pages (docs/screenshots/ for the docs).
SCREENSHOTS = os.environ.get("DREAMS_ADMIN_SCREENSHOTS", "")


def _keep(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"admin-{name}.png"), full_page=True)


def _dream(site: LiveSite) -> None:
    site.manage(
        "shell", "-c", "from dreams.services.dream_settings import setup_complete; setup_complete()"
    )
    site.manage("run_dream", "--force")


def _first_row(page: Page, site: LiveSite, path: str) -> str:
    """The change page of the first row of a changelist."""
    page.goto(f"{site.url}{path}")
    href = page.locator("#result_list tbody tr th a").first.get_attribute("href")
    assert href
    return f"{site.url}{href}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_admin_is_the_sites_dark_look_whatever_the_theme(
    chromium: Browser, live_site: LiveSite, scheme: str
) -> None:
    context = chromium.new_context(viewport=DESKTOP, color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(f"{live_site.url}/admin/login/")
        page.fill("#id_username", STAFF_USERNAME)
        page.fill("#id_password", STAFF_PASSWORD)
        page.click("input[type=submit]")
        expect(page.locator("#site-name")).to_have_text("Dreams")
        for stored in ("light", "dark", "auto"):
            # What Django's toggle would have stored: the palette stays the site's.
            page.evaluate(f"localStorage.setItem('theme', '{stored}')")
            page.goto(f"{live_site.url}/admin/dreams/mindmoment/")
            assert page.evaluate("document.documentElement.dataset.theme") == stored
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BLACK
            text = page.evaluate(
                "getComputedStyle(document.querySelector('#result_list td')).color"
            )
            assert text == "rgb(232, 232, 238)", text
            expect(page.locator(".theme-toggle")).to_be_hidden()
    finally:
        context.close()


def test_a_swatch_shows_the_colour_it_names_and_the_sigil_is_drawn(
    live_site: LiveSite, page: Page
) -> None:
    log_in(page, live_site, next_path="/admin/")
    page.goto(_first_row(page, live_site, "/admin/dreams/mindmoment/"))
    hex_colour = page.locator(".field-colour_swatch code").inner_text()
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    swatch = page.locator(".field-colour_swatch .dreams-swatch")
    shown = swatch.evaluate("element => getComputedStyle(element).backgroundColor")
    assert shown == f"rgb({red}, {green}, {blue})"
    assert swatch.bounding_box()["width"] >= 12  # type: ignore[index]
    sigil = page.locator(".field-sigil_preview img")
    expect(sigil).to_be_visible()
    assert sigil.evaluate("image => image.complete && image.naturalWidth") > 0
    _keep(page, "moment-desktop")


def test_detail_pages_fit_a_phone(chromium: Browser, live_site: LiveSite) -> None:
    _dream(live_site)
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, live_site, next_path="/admin/")
        for name, path in (
            ("moment", "/admin/dreams/mindmoment/"),
            ("review", "/admin/dreams/dreamreview/"),
            ("run", "/admin/dreams/dreamrun/"),
        ):
            page.goto(_first_row(page, live_site, path))
            expect(page.locator("#content h1, #content h2").first).to_be_visible()
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the {name} page is {overflow} px wider than the phone"
            _keep(page, f"{name}-phone")
        expect(page.locator(".field-outcome_list, .field-warnings_list").first).to_be_visible()
    finally:
        context.close()
