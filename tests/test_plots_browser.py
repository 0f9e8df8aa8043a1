"""The dashboard's pictures in a real browser, against a real server (see tests/browser.py):
each plot is drawn, visible, with one mark per data point the server gave it."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import DESKTOP, PHONE, SEEDED_MOMENTS, LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLOTS = ("mood", "circumplex", "threads")


def dream_once(site: LiveSite) -> None:
    site.manage(
        "shell", "-c", "from dreams.services.dream_settings import setup_complete; setup_complete()"
    )
    site.manage("run_dream", "--force")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_dashboard_plot_draws_one_mark_per_data_point_the_server_gave_it(
    live_site: LiveSite, page: Page, viewport: dict[str, int]
) -> None:
    dream_once(live_site)
    page.set_viewport_size(viewport)
    page.goto(f"{live_site.url}/")

    moments = page.request.get(f"{live_site.url}/api/moments/?page_size=500").json()["results"]
    reviews = page.request.get(f"{live_site.url}/api/dream/reviews/").json()["results"]
    # The seeded moments and the dream's own moment; one dream, naming its threads.
    assert len(moments) == SEEDED_MOMENTS + 1
    assert len(reviews) == 1 and reviews[0]["threads"]
    expected = {
        "mood": len(moments),
        "circumplex": len(moments),
        "threads": len(reviews[0]["threads"]),
    }

    for kind in PLOTS:
        figure = page.locator(f"#pictures [data-plot={kind}]")
        svg = figure.locator("svg")
        expect(svg).to_be_visible()
        assert svg.get_attribute("aria-label")
        assert int(figure.get_attribute("data-count")) == expected[kind]
        expect(figure.locator(".mark")).to_have_count(expected[kind])
        box = svg.bounding_box()
        assert (
            box is not None and box["width"] > 150 and box["x"] + box["width"] <= viewport["width"]
        )

    dots = page.locator("#pictures [data-plot=circumplex] a.mark")
    hrefs = {dots.nth(index).get_attribute("href") for index in range(dots.count())}
    assert hrefs == {f"/moments/{moment['id']}/" for moment in moments}
    dream_marks = page.locator("#pictures [data-plot=mood] .dream-mark")
    expect(dream_marks).to_have_count(1)
    expect(dream_marks.locator("title")).to_contain_text(reviews[0]["title"])
    # Nothing spills sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_dot_on_the_dashboards_circumplex_opens_its_moment(
    live_site: LiveSite, page: Page
) -> None:
    page.goto(f"{live_site.url}/")
    dot = page.locator("#pictures [data-plot=circumplex] a.mark").last
    href = dot.get_attribute("href")
    with page.expect_navigation() as navigation:
        dot.click()
    assert navigation.value is not None and navigation.value.status == 200
    assert page.url == f"{live_site.url}{href}"
