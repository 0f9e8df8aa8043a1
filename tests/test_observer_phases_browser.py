"""The observer display keeps the server's time in a real browser: it fades a sigil in over
SIGILIN, holds it through SIGILHOLD and fades it out over SIGILOUT, for as long as the
phase events say; a dream is marked and looks like one; `?tint=1` tints by the moment's
colour triad; without phase events it still shows each sigil on its own clock."""

import json
import re

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser import LiveSite, canvas_lit_pixels

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A 6 s dream cycle with long fades: SIGILIN and SIGILOUT 1.2 s, SIGILHOLD 1.2 s (of 30).
DREAM_CYCLE_MS = 6000
WEIGHTS = {"percepts": 10, "spool": 1, "sigilin": 6, "sigilhold": 6, "sigilout": 6, "reset": 1}
CYCLE_TIMEOUT_MS = 3 * DREAM_CYCLE_MS
SHOWN_SIGIL = ".observer-sigil[data-current]"
DRAWN = 200


@pytest.fixture
def slow_fades(live_site: LiveSite) -> LiveSite:
    """The site's dream cycle and weights set as an operator would: the running conductor
    takes them up within a second."""
    live_site.manage(
        "dream_settings",
        "--set",
        f"dream_cycle_ms={DREAM_CYCLE_MS}",
        *(arg for name, w in WEIGHTS.items() for arg in ("--set", f"phase_{name}_weight={w}")),
    )
    return live_site


def phase_frames(page: Page) -> list[dict]:
    """Every `phase` frame the page's observer socket receives, as it arrives."""
    frames: list[dict] = []

    def watch(socket) -> None:
        def received(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("event") == "phase":
                frames.append(frame["data"])

        socket.on("framereceived", received)

    page.on("websocket", watch)
    return frames


def opacity(page: Page, selector: str) -> float:
    return float(
        page.evaluate("(s) => getComputedStyle(document.querySelector(s)).opacity", selector)
    )


def wait_for_phase(page: Page, phase: str) -> None:
    expect(page.locator("[data-observer]")).to_have_attribute(
        "data-phase", phase, timeout=CYCLE_TIMEOUT_MS
    )


def test_a_dream_fades_in_holds_and_fades_out_on_the_servers_phases(
    slow_fades: LiveSite, page: Page
):
    frames = phase_frames(page)
    page.goto(f"{slow_fades.url}/observe/")
    display = page.locator("[data-observer]")

    # The first SIGILIN of the new timing: the fade takes the event's duration.
    page.wait_for_function(
        "() => { const d = document.querySelector('[data-observer]');"
        " return d.dataset.phase === 'SIGILIN'"
        " && d.style.getPropertyValue('--phase-ms') === '1200ms'; }",
        timeout=CYCLE_TIMEOUT_MS,
    )
    sigil_in = next(frame for frame in reversed(frames) if frame["phase"] == "SIGILIN")
    assert sigil_in["isDream"] and sigil_in["duration"] == 1200
    expect(display).to_have_attribute("data-visible", "true")
    page.wait_for_function(
        "() => { const o = +getComputedStyle(document.querySelector('.observer-stage')).opacity;"
        " return o > 0.05 && o < 0.95; }",
        timeout=1200,
    )  # part way in
    assert canvas_lit_pixels(page, SHOWN_SIGIL) > DRAWN

    wait_for_phase(page, "SIGILHOLD")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.observer-stage')).opacity === '1'"
    )
    # A dream is marked as one and looks remembered.
    expect(display).to_have_attribute("data-dream", "true")
    expect(page.locator("[data-dream-mark]")).to_have_text(
        re.compile(r"^Dream · remembering cycle \d+$")
    )
    assert "blur" in page.evaluate(
        f"getComputedStyle(document.querySelector('{SHOWN_SIGIL}')).filter"
    )

    wait_for_phase(page, "SIGILOUT")
    expect(display).to_have_attribute("data-visible", "false")
    page.wait_for_function(
        "() => +getComputedStyle(document.querySelector('.observer-stage')).opacity < 0.95",
        timeout=1200,
    )
    wait_for_phase(page, "PERCEPTS")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.observer-stage')).opacity === '0'"
    )
    assert opacity(page, "[data-phrase]") == 0.0
    names = [frame["phase"] for frame in frames]
    last_in = len(names) - 1 - names[::-1].index("SIGILIN")
    assert names[last_in:][:4] == ["SIGILIN", "SIGILHOLD", "SIGILOUT", "RESET"]
    assert [frame["duration"] for frame in frames[last_in:][:3]] == [1200, 1200, 1200]


def test_people_who_ask_for_less_motion_get_no_fades(slow_fades: LiveSite, page: Page):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{slow_fades.url}/observe/")
    wait_for_phase(page, "SIGILIN")
    display = page.locator("[data-observer]")
    assert display.evaluate("(d) => d.style.getPropertyValue('--phase-ms')") == "0ms"
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.observer-stage')).opacity === '1'",
        timeout=300,
    )


def test_tint_colours_the_display_by_the_moments_triad(slow_fades: LiveSite, page: Page):
    page.goto(f"{slow_fades.url}/observe/?tint=1")
    display = page.locator("[data-observer]")
    wait_for_phase(page, "SIGILHOLD")
    expect(display).to_have_attribute("data-tint", "true")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.observer-tint')).opacity === '1'"
    )
    # One look at the display: the next moment may arrive between two reads.
    shown = page.evaluate(
        """(selector) => {
            const display = document.querySelector("[data-observer]");
            const canvas = document.querySelector(selector);
            const { width, height } = canvas;
            const { data } = canvas.getContext("2d").getImageData(0, 0, width, height);
            let stroke = null;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i + 3] === 255) { stroke = [data[i], data[i + 1], data[i + 2]]; break; }
            }
            const tints = {};
            for (const role of ["primary", "secondary", "accent"]) {
                tints[role] = display.style.getPropertyValue(`--tint-${role}`);
            }
            return {
                momentId: display.dataset.momentId,
                tints,
                ground: getComputedStyle(document.querySelector(".observer-tint")).backgroundImage,
                stroke,
            };
        }""",
        SHOWN_SIGIL,
    )
    color = page.request.get(f"{slow_fades.url}/api/moments/{shown['momentId']}/").json()["color"]
    for role in ("primary", "secondary", "accent"):
        assert shown["tints"][role] == color[role]
    red, green, blue = (int(color["secondary"][i : i + 2], 16) for i in (1, 3, 5))
    assert f"rgb({red}, {green}, {blue})" in shown["ground"]
    # The strokes are drawn in the accent.
    accent = tuple(int(color["accent"][i : i + 2], 16) for i in (1, 3, 5))
    stroke = shown["stroke"]
    assert stroke is not None and max(abs(a - b) for a, b in zip(stroke, accent, strict=True)) <= 2


def test_without_phase_events_each_sigil_still_shows_on_the_pages_own_clock(
    slow_fades: LiveSite, page: Page
):
    def without_phases(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def forward(message: str | bytes) -> None:
            if '"event": "phase"' not in str(message):
                socket.send(message)

        server.on_message(forward)

    page.route_web_socket(re.compile(r".*/ws/observe/.*"), without_phases)
    page.goto(f"{slow_fades.url}/observe/")
    display = page.locator("[data-observer]")
    expect(display).to_have_attribute("data-dream", "true", timeout=CYCLE_TIMEOUT_MS)
    first = display.get_attribute("data-moment-id")
    page.wait_for_function(
        "(first) => document.querySelector('[data-observer]').dataset.momentId !== first",
        arg=first,
        timeout=CYCLE_TIMEOUT_MS,
    )
    assert display.get_attribute("data-phased") is None
    assert display.get_attribute("data-phase") is None
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.observer-stage')).opacity === '1'"
    )
    assert canvas_lit_pixels(page, SHOWN_SIGIL) > DRAWN
