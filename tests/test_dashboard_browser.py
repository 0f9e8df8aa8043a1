"""The dashboard in a real browser, against a real server (see tests/browser.py)."""

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from dreams.dashboard import OUTCOME_COPY, STAGE_COPY
from dreams.models import RunStatus
from dreamsite.control import PUBLIC_DEMO_COPY
from tests.browser import PHONE, LiveSite, canvas_lit_pixels, log_in
from tests.children import Children
from tests.stub_servers import StubServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Everything in a page's content a visitor could operate.
CONTROLS = (
    "main button, main select, main textarea, main input:not([type=hidden]), main a[role=button]"
)
# Collects every text the dream status region shows, however briefly.
RECORD_STATUS = """() => {
    const status = document.getElementById('dream-status');
    window.statusLog = [];
    new MutationObserver(() => window.statusLog.push(status.textContent)).observe(
        status, {childList: true, characterData: true, subtree: true});
}"""


def finish_setup(site: LiveSite) -> None:
    """Open the activation gate as the wizard's last step does."""
    site.manage(
        "shell", "-c", "from dreams.services.dream_settings import setup_complete; setup_complete()"
    )


def dashboard_runs(page: Page, site: LiveSite) -> list[dict]:
    return page.request.get(f"{site.url}/api/dream/runs/?trigger=dashboard").json()["results"]


def test_engine_selected_on_the_dashboard_is_used_by_the_next_run(
    start_site: Callable[..., LiveSite], page: Page
) -> None:
    with StubServer() as stub:
        # Two ready engines: Anthropic (a stub; first in order, so chosen automatically)
        # and the built-in offline engine.
        site = start_site(ANTHROPIC_BASE_URL=stub.url, ANTHROPIC_API_KEY="sk-ant-stub-key")
        finish_setup(site)
        log_in(page, site)
        expect(page.locator("#engine-anthropic")).to_be_checked()
        # The list is folded to the selected engine until asked for.
        expect(page.locator("#engine-offline")).to_be_hidden()
        expect(page.locator("[data-part=engine-current]")).to_contain_text("Anthropic Claude")

        page.click("#change-engine")
        page.check("#engine-offline")
        page.click("#select-engine")
        expect(page.locator("#engine-status")).to_contain_text("Offline (built in)")
        expect(page.locator(".engine-selected")).to_contain_text("Offline (built in)")
        expect(page.locator("[data-part=health] .kv")).to_contain_text("Offline (built in)")
        expect(page.locator("[data-part=engine-current]")).to_contain_text("Offline (built in)")

        page.click("#generate-dream")
        expect(page.locator(".review-title")).to_be_visible()
        assert [run["engine"] for run in dashboard_runs(page, site)] == ["offline"]
        expect(page.locator(".runs tbody tr").first).to_contain_text("Offline (built in)")
        assert not any(request.method == "POST" for request in stub.requests)


def test_generate_twice_quickly_makes_one_run_then_shows_the_review(
    live_site: LiveSite, page: Page
) -> None:
    finish_setup(live_site)
    log_in(page, live_site)
    button = page.locator("#generate-dream")
    expect(button).to_be_enabled()
    page.evaluate(RECORD_STATUS)

    button.dblclick()
    expect(page.locator("#dream-status")).to_have_text(OUTCOME_COPY[RunStatus.WRITTEN])
    expect(button).to_be_enabled()

    runs = dashboard_runs(page, live_site)
    assert [run["status"] for run in runs] == ["written"]
    shown = page.evaluate("window.statusLog")
    assert set(shown) & set(STAGE_COPY.values()), shown

    review = page.request.get(f"{live_site.url}/api/dream/reviews/latest/").json()
    assert review["id"] == runs[0]["review_id"]
    expect(page.locator(".review-title")).to_have_text(review["title"])
    first_theme = review["themes"][0]
    expect(page.locator(".theme").first).to_contain_text(first_theme["name"])
    cited = page.locator(".theme").first.locator(".cited a").first
    assert cited.get_attribute("href") == f"/moments/{first_theme['moment_ids'][0]}/"
    assert canvas_lit_pixels(page, ".review-sigil canvas") > 50


def test_public_demo_mode_shows_no_working_control(
    start_site: Callable[..., LiveSite], page: Page
) -> None:
    site = start_site(DREAMS_PUBLIC_DEMO="true")
    log_in(page, site)  # even staff may change nothing
    # Whatever is left to operate (such as the observer's full-screen button) may change
    # nothing: operating it sends no write and opens no session.
    writes: list[str] = []
    page.on("request", lambda r: r.method in ("GET", "HEAD") or writes.append(r.url))
    page.on("websocket", lambda socket: "/ws/observe/" in socket.url or writes.append(socket.url))
    # The observer display is read-only by design and full-screen, without the banner.
    for path, says_demo in [
        ("/", True),
        ("/perceive/", True),
        ("/setup/", True),
        ("/observe/", False),
    ]:
        page.goto(f"{site.url}{path}")
        if says_demo:
            expect(page.get_by_text(PUBLIC_DEMO_COPY).first).to_be_visible()
        for control in page.locator(CONTROLS).all():
            if control.is_visible() and control.is_enabled():
                control.click()
        page.wait_for_load_state("networkidle")
        assert writes == [], path

    page.goto(site.url)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": csrf, "Referer": f"{site.url}/"}
    forced = [
        page.request.post(f"{site.url}/api/dream/runs/", headers=headers, data={"force": True}),
        page.request.put(
            f"{site.url}/api/engines/selection/", headers=headers, data={"engine": "offline"}
        ),
    ]
    for response in forced:
        assert response.status == 403
        assert response.json()["detail"] == PUBLIC_DEMO_COPY
    assert page.request.get(f"{site.url}/api/dream/runs/").json()["results"] == []


def test_a_lost_connection_shows_offline_and_the_page_catches_up_when_it_is_back(
    live_site: LiveSite, children: Children, page: Page
) -> None:
    finish_setup(live_site)
    page.goto(f"{live_site.url}/")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator(".review-title")).to_have_count(0)

    live_site.server.kill()
    expect(page.locator("#connection")).to_have_text("Offline")
    expect(page.locator("#connection-status")).to_contain_text("reconnecting in")
    # A dream written while the page could hear nothing of it (run_dream at a terminal).
    live_site.manage("run_dream", "--force")
    port = urlsplit(live_site.url).port
    children.start("serve-again", live_site.env, "serve", "--port", str(port))

    back = 30_000  # the page's reconnect back-off, and the new server's start-up
    expect(page.locator("#connection")).to_have_text("Live", timeout=back)
    expect(page.locator(".review-title")).to_be_visible(timeout=back)
    expect(page.locator(".runs tbody tr").first).to_contain_text("Command line")


def test_on_a_phone_the_latest_dream_title_is_near_the_top(live_site: LiveSite, page: Page) -> None:
    finish_setup(live_site)
    live_site.manage("run_dream", "--force")
    page.set_viewport_size(PHONE)
    for staff in (False, True):
        if staff:
            log_in(page, live_site)
        page.goto(f"{live_site.url}/")
        title = page.locator("#latest-dream .review-title")
        expect(title).to_be_visible()
        box = title.bounding_box()
        assert box is not None
        assert box["y"] < 1200, (staff, box)
        # And nothing of the page is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_every_run_in_the_history_shows_all_its_columns(
    live_site: LiveSite, page: Page
) -> None:
    finish_setup(live_site)
    live_site.manage("run_dream", "--force")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_site.url}/")
    run = page.locator(".runs tbody tr").first
    cells = run.locator("td")
    expect(cells).to_have_count(5)
    for index in range(5):
        cell = cells.nth(index)
        box = cell.bounding_box()
        assert box is not None and box["width"] > 0
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], index
        # Each value says which column it is.
        label = cell.evaluate("(td) => getComputedStyle(td, '::before').content")
        assert label.strip('"') == cell.get_attribute("data-label")
    expect(cells.nth(3)).to_contain_text(OUTCOME_COPY[RunStatus.WRITTEN])


def test_on_a_phone_each_engine_radio_sits_beside_its_label(
    live_site: LiveSite, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, live_site)
    page.click("#change-engine")
    choices = page.locator(".engine-choice")
    expect(choices.first).to_be_visible()
    assert choices.count() >= 7
    for index in range(choices.count()):
        radio = choices.nth(index).locator("input[type=radio]").bounding_box()
        label = choices.nth(index).locator("label").bounding_box()
        assert radio is not None and label is not None
        assert radio["x"] + radio["width"] <= label["x"], index  # to its left
        assert radio["y"] < label["y"] + label["height"] / 2, index  # on its first line
        assert radio["y"] + radio["height"] > label["y"], index  # not above it


def test_a_dashboard_moment_link_opens_the_moment_page(live_site: LiveSite, page: Page) -> None:
    page.goto(f"{live_site.url}/")
    card = page.locator(".moment-card-link").first
    href = card.get_attribute("href")
    assert href is not None and re.fullmatch(r"/moments/\d+/", href)
    phrase = card.inner_text().strip()
    card.click()
    page.wait_for_url(f"{live_site.url}{href}")
    expect(page.locator("main")).to_contain_text(phrase)


def test_with_no_dream_yet_staff_generate_one_from_the_latest_dream_section(
    live_site: LiveSite, page: Page
) -> None:
    finish_setup(live_site)
    log_in(page, live_site)
    latest = page.locator("#latest-dream")
    expect(latest).to_contain_text("No dream has been written yet.")
    latest.get_by_role("button", name="Generate dream").click()
    expect(latest.locator(".review-title")).to_be_visible()
    expect(page.locator("#dream-status")).to_have_text(OUTCOME_COPY[RunStatus.WRITTEN])
    assert [run["status"] for run in dashboard_runs(page, live_site)] == ["written"]
