"""Switching the replay mode as an operator would, in a real browser against the real
server and conductor, changes what the observer display shows within two dream cycles:
with a theme's region set in the admin and the mode switched to `theme` on the dashboard,
every moment the observer is then shown lies in the region (checked against the API), and
each is captioned with its mode."""

import json
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache

import pytest
from playwright.sync_api import Page, expect

from tests.browser import LiveSite, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DREAM_CYCLE_MS = 1000
# The region: pleasant and excited (about a sixth of the demo moments, spread over the
# whole circumplex).
VALENCE_MIN = 0.2
AROUSAL_MIN = 0.0
# Replays counted after the switch has had its two cycles.
REPLAYS_CHECKED = 6
WAIT_S = 30.0


@pytest.fixture
def quick_dreams(live_site: LiveSite) -> LiveSite:
    """No sessions (so the conductor dreams), a dream every second."""
    live_site.manage("dream_settings", "--set", f"dream_cycle_ms={DREAM_CYCLE_MS}")
    return live_site


def dream_replays(page: Page) -> list[tuple[float, dict]]:
    """Every dream `sigil` frame the page's observer socket receives, with the server's
    time of the replay (epoch seconds)."""
    replays: list[tuple[float, dict]] = []

    def watch(socket) -> None:
        def received(payload: str | bytes) -> None:
            frame = json.loads(payload)
            data = frame.get("data", {})
            if frame.get("event") == "sigil" and data.get("isDream"):
                replays.append((datetime.fromisoformat(data["timestamp"]).timestamp(), data))

        socket.on("framereceived", received)

    page.on("websocket", watch)
    return replays


def wait_until(page: Page, done: Callable[[], bool], what: str) -> None:
    """Let the page take in frames until `done` holds."""
    deadline = time.monotonic() + WAIT_S
    while not done():
        assert time.monotonic() < deadline, f"{what} within {WAIT_S} s"
        page.wait_for_timeout(200)


def test_switching_to_a_theme_shows_only_its_moments_within_two_dream_cycles(
    quick_dreams: LiveSite, page: Page
):
    site = quick_dreams

    @cache
    def in_region(moment_id: int) -> bool:
        moment = page.request.get(f"{site.url}/api/moments/{moment_id}/").json()
        return moment["valence"] >= VALENCE_MIN and moment["arousal"] >= AROUSAL_MIN

    observer = page.context.new_page()
    replays = dream_replays(observer)
    observer.goto(f"{site.url}/observe/")
    # Uniform to begin with: the observer is shown moments outside the region, so the
    # check below can fail.
    wait_until(
        observer,
        lambda: any(not in_region(data["momentId"]) for _, data in replays),
        "a replay outside the region before the switch",
    )

    # The theme's region, set in the admin while the mode is still uniform.
    log_in(page, site, next_path="/admin/dreams/dreamsettings/1/change/")
    page.fill("#id_theme_valence_min", str(VALENCE_MIN))
    page.fill("#id_theme_arousal_min", str(AROUSAL_MIN))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # The switch, on the dashboard.
    page.goto(f"{site.url}/")
    expect(page.locator("[data-part=replay]")).to_contain_text("Replaying any moment")
    page.select_option("#replay-mode", "theme")
    with page.expect_response(
        lambda response: (
            response.url.endswith("/api/settings/") and response.request.method == "PATCH"
        )
    ) as answer:
        page.click("#change-replay")
    assert answer.value.status == 200
    switched_at = time.time()
    expect(page.locator("#replay-status")).to_have_text(
        "Saved: the dream loop now replays a theme, from its next moment."
    )
    expect(page.locator("[data-part=replay]")).to_contain_text(
        "Theme: valence from 0.2 (pleasant), arousal from 0 (excited)."
    )

    settled_at = switched_at + 2 * DREAM_CYCLE_MS / 1000
    wait_until(
        observer,
        lambda: sum(at >= settled_at for at, _ in replays) >= REPLAYS_CHECKED,
        f"{REPLAYS_CHECKED} replays after the switch",
    )
    after = [data for at, data in replays if at >= settled_at]
    outside = [data["momentId"] for data in after if not in_region(data["momentId"])]
    assert outside == [], f"replayed outside the theme after the switch: {outside}"
    assert {data["replay"]["mode"] for data in after} == {"theme"}
    assert len({data["momentId"] for data in after}) > 1  # a theme, not one moment on repeat
    expect(observer.locator("[data-replay-caption]")).to_have_text("dreaming · a theme")
    shown = int(observer.locator("[data-observer]").get_attribute("data-moment-id") or 0)
    assert in_region(shown)
