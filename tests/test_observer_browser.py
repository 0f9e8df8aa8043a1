"""The observer display and the perceptor in a real browser, against a real server: the
sigil must reach the canvas (pixels, not only text), and a perceptor's percepts must
become a live moment on the observer display."""


import pytest
from playwright.sync_api import Page, expect

from tests.browser import LiveSite, canvas_lit_pixels, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The site runs its dream loop every 1.5 s (tests/browser.py); a little slack for a busy
# machine comes on top of one cycle.
DREAM_CYCLE_MS = 1500
SLACK_MS = 1500
SHOWN_SIGIL = ".observer-sigil[data-current]"
# A stroke of a sigil lights far more pixels than this; a blank canvas lights none.
DRAWN = 200


@pytest.fixture(autouse=True)
def no_script_errors(page: Page):
    """Any uncaught exception in a page's script (this page or one opened beside it)
    fails the test."""
    errors: list[str] = []

    def watch(opened: Page) -> None:
        opened.on("pageerror", lambda error: errors.append(f"{opened.url}: {error}"))

    watch(page)
    page.context.on("page", watch)
    yield
    assert not errors, errors


def canvas_digest(page: Page, selector: str) -> str:
    """A fingerprint of a canvas's pixels: two different drawings differ."""
    return page.evaluate(
        """async (selector) => {
            const canvas = document.querySelector(selector);
            const { width, height } = canvas;
            const { data } = canvas.getContext("2d").getImageData(0, 0, width, height);
            const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
            return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
        }""",
        selector,
    )


def wait_for_moment_change(page: Page, moment_id: str | None, *, timeout: float) -> str:
    """Wait until the display shows another moment than this one; returns the new id."""
    page.wait_for_function(
        """(previous) => {
            const shown = document.querySelector("[data-observer]").dataset.momentId;
            return shown !== undefined && shown !== previous;
        }""",
        arg=moment_id,
        timeout=timeout,
    )
    return page.locator("[data-observer]").get_attribute("data-moment-id")


def test_the_observer_draws_a_dream_sigil_within_one_dream_cycle(live_site: LiveSite, page: Page):
    page.goto(f"{live_site.url}/observe/")
    display = page.locator("[data-observer]")
    expect(display).to_have_attribute("data-connection", "live")
    # Either the snapshot's sigil at once or the next dream, within one cycle.
    first = wait_for_moment_change(page, None, timeout=DREAM_CYCLE_MS + SLACK_MS)
    expect(display).to_have_attribute("data-dream", "true")
    expect(display).to_have_attribute("data-mode", "dreaming")
    expect(page.locator("[data-mode-label]")).to_have_text("Dreaming")
    assert canvas_lit_pixels(page, SHOWN_SIGIL) > DRAWN
    drawn = canvas_digest(page, SHOWN_SIGIL)

    # The next dream is another moment, and the canvas shows another drawing.
    second = wait_for_moment_change(page, first, timeout=DREAM_CYCLE_MS + SLACK_MS)
    assert canvas_lit_pixels(page, SHOWN_SIGIL) > DRAWN
    assert canvas_digest(page, SHOWN_SIGIL) != drawn
    moment = page.request.get(f"{live_site.url}/api/moments/{second}/").json()
    expect(page.locator("[data-phrase]")).to_have_text(moment["sigil_phrase"])
    expect(page.locator("[data-empty]")).to_be_hidden()


def test_percepts_become_a_live_moment_on_the_observer_and_dreaming_resumes_after(
    live_site: LiveSite, page: Page
):
    log_in(page, live_site, next_path="/perceive/")
    observer = page.context.new_page()
    observer.goto(f"{live_site.url}/observe/")
    display = observer.locator("[data-observer]")
    expect(display).to_have_attribute("data-mode", "dreaming")

    page.get_by_role("button", name="Start session").click()
    perceptor = page.locator("[data-perceptor]")
    expect(perceptor).to_have_attribute("data-state", "live")
    expect(page.locator("[data-session-badge]")).to_have_text("Live")

    page.get_by_label("What do you see?").fill("A heron standing still in the shallows")
    pad = page.get_by_role("slider", name="Mood: valence and arousal")
    pad.focus()
    pad.press("Shift+ArrowRight")
    pad.press("Shift+ArrowRight")
    pad.press("ArrowDown")
    expect(page.locator("[data-valence]")).to_have_text("0.50")
    expect(page.locator("[data-arousal]")).to_have_text("-0.10")
    page.get_by_role("button", name="Send percept").click()
    expect(page.locator(".ack.is-stored .ack-status")).to_contain_text("Stored as percept #")

    # The perceptor shows the moment its percept led to...
    own = page.locator(".moment-entry.is-own").first
    expect(own.locator("[data-moment-text]")).not_to_be_empty()
    expect(own.locator("[data-moment-meta]")).to_contain_text("from your percepts")
    phrase = own.locator("[data-moment-phrase]").inner_text()
    assert phrase
    assert canvas_lit_pixels(page, ".moment-entry.is-own .sigil-canvas") > DRAWN / 4

    # ...and the observer display shows it live, drawn on its canvas.
    expect(display).to_have_attribute("data-dream", "false")
    expect(display).to_have_attribute("data-mode", "live")
    expect(observer.locator("[data-phrase]")).to_have_text(phrase)
    assert canvas_lit_pixels(observer, SHOWN_SIGIL) > DRAWN

    page.get_by_role("button", name="End session").click()
    expect(perceptor).to_have_attribute("data-state", "ended")
    expect(display).to_have_attribute("data-mode", "dreaming")
    expect(display).to_have_attribute("data-dream", "true")
    assert canvas_lit_pixels(observer, SHOWN_SIGIL) > DRAWN


def test_refused_and_lost_percepts_say_so_and_stored_ones_stay_stored(start_site, page: Page):
    # Three frames a minute: startSession and two percepts; the third percept is refused.
    site = start_site(DREAMS_SESSION_FRAMES_PER_MINUTE="3")
    log_in(page, site, next_path="/perceive/")
    page.get_by_role("button", name="Start session").click()
    perceptor = page.locator("[data-perceptor]")
    expect(perceptor).to_have_attribute("data-state", "live")
    text = page.get_by_label("What do you see?")
    for words in ["first light", "second light"]:
        text.fill(words)
        text.press("Enter")
    expect(page.locator(".ack.is-stored")).to_have_count(2)

    page.get_by_label("What I hear").check()
    page.get_by_label("What do you hear?").fill("a third sound, one too many")
    page.get_by_role("button", name="Send percept").click()
    refused = page.locator(".ack.is-failed")
    expect(refused.locator(".ack-status")).to_contain_text("Not stored: Too many percepts")
    expect(page.locator("[data-error]")).to_contain_text("Too many percepts")
    refused.get_by_role("button", name="Put it back in the form").click()
    expect(page.get_by_label("What do you hear?")).to_have_value("a third sound, one too many")

    # The server goes away: the session is lost, what was stored is still marked stored.
    site.server.kill()
    expect(perceptor).to_have_attribute("data-state", "disconnected")
    expect(page.locator("[data-session-copy]")).to_contain_text("connection was lost")
    expect(page.get_by_role("button", name="Start a new session")).to_be_visible()
    expect(page.locator(".ack.is-stored")).to_have_count(2)
    expect(page.locator("[data-mind-state]")).to_have_text("Reconnecting")
