"""The perceptor in a real browser: the text's counter and limit, what a refusal says, and
where the moments a percept leads to arrive, at desktop and phone widths."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import DESKTOP, PHONE, LiveSite, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIMIT = 2000


def start_session(page: Page, site: LiveSite) -> None:
    log_in(page, site, next_path="/perceive/")
    page.click("[data-start]")
    expect(page.locator("[data-perceptor]")).to_have_attribute("data-state", "live")


def test_a_long_paste_is_counted_kept_whole_and_not_sent(live_site: LiveSite, page: Page) -> None:
    start_session(page, live_site)
    field = page.locator("#percept-text")
    counter = page.locator("[data-char-count]")
    message = page.locator("[data-text-error]")
    expect(counter).to_have_text(f"0 / {LIMIT:,}")

    field.focus()
    page.keyboard.insert_text("a few words")
    expect(counter).to_have_text(f"11 / {LIMIT:,}")
    expect(message).to_be_hidden()

    field.fill("")
    page.keyboard.insert_text("x" * 5000)  # as a paste arrives: one input of 5,000
    expect(counter).to_have_text(f"5,000 / {LIMIT:,}")
    expect(message).to_be_visible()
    expect(message).to_have_text(
        "Too long by 3,000 characters: a percept holds at most 2,000. Shorten it to send it."
    )
    assert len(field.input_value()) == 5000  # nothing cut behind the person's back
    expect(field).to_have_attribute("aria-invalid", "true")

    page.click("[data-send]")
    expect(page.locator("[data-acks-empty]")).to_be_visible()  # nothing went out
    expect(page.locator(".ack")).to_have_count(0)

    field.fill("y" * LIMIT)
    expect(counter).to_have_text(f"2,000 / {LIMIT:,}")
    expect(message).to_have_text("That is the limit: a percept holds at most 2,000 characters.")
    expect(field).to_have_attribute("aria-invalid", "false")
    page.click("[data-send]")
    expect(page.locator(".ack.is-stored .ack-status")).to_contain_text("Stored as percept #")
    expect(counter).to_have_text(f"0 / {LIMIT:,}")
    expect(message).to_be_hidden()


def test_an_empty_percept_is_refused_in_plain_words(live_site: LiveSite, page: Page) -> None:
    start_session(page, live_site)
    page.click("[data-send]")
    expect(page.locator("[data-text-error]")).to_have_text("Write something first.")
    expect(page.locator(".ack")).to_have_count(0)


def test_mixed_direction_percepts_and_moments_read_in_their_own_direction(
    live_site: LiveSite, page: Page
) -> None:
    start_session(page, live_site)
    page.fill("#percept-text", "نهر river at dusk")
    page.click("[data-send]")
    sent = page.locator(".ack.is-stored .ack-text")
    expect(sent).to_have_text("نهر river at dusk")
    assert sent.get_attribute("dir") == "auto"
    assert sent.evaluate("(element) => getComputedStyle(element).direction") == "rtl"
    assert page.locator("#percept-text").get_attribute("dir") == "auto"


@pytest.mark.parametrize(("viewport", "where"), [(DESKTOP, "beside"), (PHONE, "below")])
def test_the_new_moment_arrives_where_the_page_says(
    live_site: LiveSite, page: Page, viewport: dict[str, int], where: str
) -> None:
    page.set_viewport_size(viewport)
    start_session(page, live_site)
    copy = page.locator(".perceive header")
    expect(copy.locator(".on-wide" if where == "beside" else ".on-narrow")).to_be_visible()
    expect(copy.locator(".on-narrow" if where == "beside" else ".on-wide")).to_be_hidden()
    expect(copy).to_contain_text(
        "beside the form" if where == "beside" else "just below the form", use_inner_text=True
    )

    page.fill("#percept-text", "a lamp swinging in the wind")
    page.click("[data-send]")
    moment = page.locator(".moment-entry.is-own").first
    expect(moment).to_be_visible(timeout=20_000)
    # It links to its own page, and its time reads as the site's other times do ("13:06").
    moment_id = moment.get_attribute("data-moment-id")
    expect(moment.locator("a[data-moment-link]")).to_have_attribute(
        "href", f"/moments/{moment_id}/"
    )
    expect(moment.locator("[data-moment-meta]")).to_have_text(re.compile(r" · \d{2}:\d{2}( · |$)"))
    form = page.locator("[data-percept-form]").bounding_box()
    arrived = moment.bounding_box()
    sent = page.locator(".sent-panel").bounding_box()
    assert form is not None and arrived is not None and sent is not None
    if where == "beside":
        assert arrived["x"] >= form["x"] + form["width"]
        assert arrived["y"] < form["y"] + form["height"]
    else:
        assert arrived["y"] >= form["y"] + form["height"]  # below the form...
        assert arrived["y"] < sent["y"]  # ...before the list of what was sent


def test_a_refused_character_is_explained_without_the_protocol_field_name(
    live_site: LiveSite, page: Page
) -> None:
    start_session(page, live_site)
    page.locator("#percept-text").evaluate("(field) => { field.value = 'bell\\u0007 ringing'; }")
    page.click("[data-send]")
    refused = page.locator(".ack.is-failed .ack-status")
    expected = (
        "The text contains a control character (U+0007) at position 5. "
        "Remove that character, then send again."
    )
    expect(refused).to_have_text(f"Not stored: {expected}")
    expect(page.locator("[data-error]")).to_have_text(expected)
    expect(page.locator("[data-error]")).not_to_contain_text("description")
