"""The setup wizard in a real browser, against a real server (see tests/browser.py): the
whole flow, with a reload and a browser restart on the way, and its effect on the site."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, LiveSite, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMING_LOG = (
    "Loop timing changed: a cognitive cycle every 2s, a dream every 1.2s, sessions time out "
    "after 30s."
)


def next_step(page: Page, name: str = "Next") -> None:
    page.get_by_role("button", name=name, exact=True).click()


def wait_for_log(site: LiveSite, line: str, *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while line not in site.server.log():
        assert time.monotonic() < deadline, f"the server never logged {line!r}"
        time.sleep(0.1)


def test_the_wizard_survives_a_reload_and_a_browser_restart_and_opens_the_gate(
    live_site: LiveSite, page: Page
) -> None:
    health = page.request.get(f"{live_site.url}/api/dream/health/").json()
    assert (health["status"], health["label"]) == ("not_configured", "Setup is not finished")

    log_in(page, live_site, next_path="/setup/welcome/")
    expect(page.locator(".wizard-steps [aria-current=step]")).to_have_text("Welcome")
    next_step(page, "Start")

    # Dream cadence: an invalid answer is explained and kept, then corrected.
    expect(page).to_have_url(f"{live_site.url}/setup/cadence/")
    page.check("#id_cadence_1")
    expect(page.locator("#id_daily_at")).to_be_hidden()
    page.fill("#id_interval_hours", "5")
    page.select_option("#id_time_zone", "Europe/Berlin")
    page.fill("#id_min_new_moments", "0")
    next_step(page)
    expect(page.locator("#id_min_new_moments_error")).to_contain_text("greater than or equal to 1")
    expect(page.locator("#id_min_new_moments")).to_have_value("0")
    expect(page.locator("#id_interval_hours")).to_have_value("5")
    page.fill("#id_min_new_moments", "3")
    next_step(page)

    # Dream engine, right after the cadence; a reload changes nothing.
    expect(page).to_have_url(f"{live_site.url}/setup/engine/")
    page.reload()
    expect(page.locator(".wizard-steps [aria-current=step]")).to_have_text("Dream engine")
    expect(page.locator("#engine-offline")).to_be_checked()
    expect(page.locator("#engine-anthropic")).to_be_disabled()
    expect(page.locator("#engine-offline-data")).to_contain_text("Nothing leaves this server")

    # A browser restart (a new context: no cookies but the login) finds the draft, at
    # phone width.
    restarted = page.context.browser.new_context(viewport=PHONE)
    try:
        phone = restarted.new_page()
        log_in(phone, live_site)
        phone.goto(f"{live_site.url}/setup/")
        expect(phone).to_have_url(f"{live_site.url}/setup/engine/")
        next_step(phone, "Back")
        expect(phone.locator("#id_cadence_1")).to_be_checked()
        expect(phone.locator("#id_interval_hours")).to_have_value("5")
        expect(phone.locator("#id_time_zone")).to_have_value("Europe/Berlin")
        expect(phone.locator("#id_min_new_moments")).to_have_value("3")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        next_step(phone)
        next_step(phone)

        # Live loop timing, then review and finish.
        expect(phone).to_have_url(f"{live_site.url}/setup/timing/")
        phone.fill("#id_cognitive_cycle_ms", "2000")
        phone.fill("#id_dream_cycle_ms", "1200")
        phone.fill("#id_session_timeout_ms", "30000")
        next_step(phone)
        expect(phone).to_have_url(f"{live_site.url}/setup/review/")
        review = phone.locator(".wizard-form")
        expect(review).to_contain_text("Every 5 hours")
        expect(review).to_contain_text("Offline (built in)")
        expect(review).to_contain_text("1200 ms (1.2 s)")
        next_step(phone, "Finish setup")

        expect(phone).to_have_url(f"{live_site.url}/")
        expect(phone.locator(".messages")).to_contain_text(
            "Setup is complete. Dreams come every 5 hours; the dream engine is Offline (built in)."
        )
    finally:
        restarted.close()

    # The running conductor took the new timing without a restart, and dreams may start.
    wait_for_log(live_site, TIMING_LOG)
    after = live_site.manage("run_dream", "--force")
    assert re.search(r"Dream run \d+ wrote dream review \d+", after), after
    health = page.request.get(f"{live_site.url}/api/dream/health/").json()
    assert health["status"] == "healthy"
    # Running the wizard again starts from what is now in force.
    page.goto(f"{live_site.url}/setup/")
    expect(page).to_have_url(f"{live_site.url}/setup/welcome/")
    expect(page.locator(".wizard-form")).to_contain_text("Setup was last finished")
