"""The history of moments in a real browser, against a real server (see tests/browser.py)."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import PHONE, SEEDED_MOMENTS, LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REGION_NAMES = ("valence_min", "valence_max", "arousal_min", "arousal_max")


def drag_box(page: Page, corner: tuple[float, float], other: tuple[float, float]) -> None:
    """Drag on the pad from one (valence, arousal) corner to the other."""
    surface = page.locator("[data-pad-surface]")
    expect(surface).to_be_visible()
    box = surface.bounding_box()
    assert box is not None

    def at(valence: float, arousal: float) -> tuple[float, float]:
        return (
            box["x"] + (valence + 1) / 2 * box["width"],
            box["y"] + (1 - arousal) / 2 * box["height"],
        )

    page.mouse.move(*at(*corner))
    page.mouse.down()
    page.mouse.move(*at(*other), steps=8)
    page.mouse.up()


def shown_moments(page: Page) -> list[dict]:
    return page.eval_on_selector_all(
        ".history-card",
        """cards => cards.map(card => ({
            id: Number(card.dataset.momentId),
            valence: Number(card.dataset.valence),
            arousal: Number(card.dataset.arousal),
        }))""",
    )


def test_a_box_dragged_on_the_circumplex_shows_only_the_moments_inside_it(
    live_site: LiveSite, page: Page
) -> None:
    page.goto(f"{live_site.url}/moments/")
    expect(page.locator(".history-card")).to_have_count(SEEDED_MOMENTS)

    drag_box(page, (-0.5, 0.6), (0.45, -0.2))
    expect(page.locator("[data-pad-box]")).to_be_visible()
    typed = {name: page.input_value(f"[name={name}]") for name in REGION_NAMES}
    region = {name: float(value) for name, value in typed.items()}
    assert region["valence_min"] == pytest.approx(-0.5, abs=0.02)
    assert region["valence_max"] == pytest.approx(0.45, abs=0.02)
    assert region["arousal_min"] == pytest.approx(-0.2, abs=0.02)
    assert region["arousal_max"] == pytest.approx(0.6, abs=0.02)

    page.click("text=Show moments")
    page.wait_for_url("**/moments/?*")
    # The address carries the region, and only what was given.
    assert dict(parse_qsl(urlsplit(page.url).query)) == typed

    shown = shown_moments(page)
    assert 0 < len(shown) < SEEDED_MOMENTS
    for moment in shown:
        assert region["valence_min"] <= moment["valence"] <= region["valence_max"]
        assert region["arousal_min"] <= moment["arousal"] <= region["arousal_max"]
    api = page.request.get(f"{live_site.url}/api/moments/?{urlsplit(page.url).query}")
    assert [moment["id"] for moment in shown] == [item["id"] for item in api.json()["results"]]

    # The region is drawn again from the address.
    expect(page.locator("[data-pad-box]")).to_be_visible()
    page.click("text=Clear the region")
    assert [page.input_value(f"[name={name}]") for name in REGION_NAMES] == [""] * 4
    expect(page.locator("[data-pad-box]")).to_be_hidden()


def test_without_scripts_the_region_is_typed_and_the_form_still_filters(
    live_site: LiveSite, chromium: Browser
) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_site.url}/moments/")
        expect(page.locator("[data-circumplex-pad]")).to_be_hidden()
        page.fill("[name=valence_min]", "0")
        page.fill("[name=arousal_max]", "0")
        page.click("text=Show moments")
        page.wait_for_url("**/moments/?*")
        query = dict(parse_qsl(urlsplit(page.url).query))
        assert query["valence_min"] == "0" and query["arousal_max"] == "0"
        shown = shown_moments(page)
        assert shown
        assert all(m["valence"] >= 0 and m["arousal"] <= 0 for m in shown)
    finally:
        context.close()


def test_on_a_phone_the_history_fits_the_width(live_site: LiveSite, chromium: Browser) -> None:
    context = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_site.url}/moments/")
        # The filters are folded while none is set: the sigils come first.
        expect(page.locator("[data-filters-box]")).not_to_have_attribute("open", "")
        first_card = page.locator(".history-card").first
        expect(first_card).to_be_visible()
        top = first_card.bounding_box()
        assert top is not None and top["y"] < 600, top
        pictures = page.locator(".history-pictures").bounding_box()
        assert pictures is not None and pictures["y"] > top["y"]
        page.click(".history-filters-summary")
        expect(page.locator("[data-pad-surface]")).to_be_visible()
        pad = page.locator("[data-pad-surface]").bounding_box()
        assert pad is not None and pad["width"] >= 240  # large enough for a finger
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # Two sigils side by side.
        first, second = (
            page.locator(".history-card").nth(index).bounding_box() for index in (0, 1)
        )
        assert first and second and first["y"] == second["y"]
        # With a filter set, the filters stay open to show it.
        page.goto(f"{live_site.url}/moments/?kind=seed")
        expect(page.locator("[data-filters-box]")).to_have_attribute("open", "")
    finally:
        context.close()
