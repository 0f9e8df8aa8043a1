"""Screenshots of every page, at desktop and phone widths, from a running Dreams.

    .venv/bin/python docs/screenshots/capture.py --base-url http://127.0.0.1:8000

Signs in with the admin account that `make run` prints (read from var/admin-password unless
--password is given), waits for the live pages to draw, and writes PNG files beside this
script (or into --out). Uses Debian's chromium through Playwright (the dev extra), never a
downloaded one.

The moment and dream pages need ids: they are read from the running server's API (the
latest dream, the first moment its themes cite, or else a live moment, or else the newest).
Generate a dream first (the dashboard's "Generate dream", or `manage.py run_dream --force`)
for the dream pages to have something to show.
"""

import argparse
import json
import sys
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
WIDTHS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
PAGES = {
    "dashboard": "/",
    "setup": "/setup/",
    "observe": "/observe/",
    "perceive": "/perceive/",
    "history": "/moments/",
    "dreams": "/dreams/",
    "personality": "/personality/",
}
# Pages pictured after pressing a button: the personality page with a trial's result.
PRESS_FIRST = {"personality": "#try-cognition"}
# Pages drawn to the size of the screen, not scrolled: a picture of the viewport only.
VIEWPORT_ONLY = {"observe"}
SETTLE_MS = 2500


def api(base_url: str, path: str) -> dict | None:
    try:
        with urlopen(f"{base_url}{path}", timeout=30) as response:  # noqa: S310 (our own server)
            return json.load(response)
    except HTTPError as error:
        if error.code == 404:
            return None
        raise


def pages_with_ids(base_url: str) -> dict[str, str]:
    """The pages that need a real id: a dream, a moment, its admin page."""
    pages: dict[str, str] = {}
    review = api(base_url, "/api/dream/reviews/latest/")
    moment_id = None
    if review:
        pages["dream"] = f"/dreams/{review['id']}/"
        cited = [i for theme in review.get("themes") or [] for i in theme.get("moment_ids") or []]
        moment_id = cited[0] if cited else None
    else:
        print("No dream yet: the dream page is left out (generate a dream first).", file=sys.stderr)
    live = (api(base_url, "/api/moments/?kind=live") or {}).get("results") or []
    newest = (api(base_url, "/api/moments/") or {}).get("results") or []
    # A live moment shows the percepts that led to it; else one the dream cites.
    if live:
        moment_id = live[0]["id"]
    elif moment_id is None and newest:
        moment_id = newest[0]["id"]
    if moment_id is not None:
        pages["moment"] = f"/moments/{moment_id}/"
        pages["admin-moment"] = f"/admin/dreams/mindmoment/{moment_id}/change/"
    pages["admin"] = "/admin/"
    return pages


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", help="default: the contents of var/admin-password")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument(
        "--only", nargs="*", metavar="NAME", help="just these pages (dashboard, history, ...)"
    )
    options = parser.parse_args()
    password = options.password
    if password is None:
        password_file = HERE.parent.parent / "var" / "admin-password"
        if not password_file.exists():
            print("No var/admin-password: pass --password.", file=sys.stderr)
            return 2
        password = password_file.read_text().strip()

    base_url = options.base_url.rstrip("/")
    pages = {**PAGES, **pages_with_ids(base_url)}
    if options.only:
        pages = {name: path for name, path in pages.items() if name in options.only}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=options.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        for width_name, viewport in WIDTHS.items():
            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            page = context.new_page()
            sign_in(page, base_url, options.username, password)
            for page_name, path in pages.items():
                page.goto(f"{base_url}{path}")
                if page_name in PRESS_FIRST:
                    with page.expect_navigation():
                        page.click(PRESS_FIRST[page_name])
                # A full-page picture includes what lies below the fold: load it now.
                page.evaluate(
                    "document.querySelectorAll('img[loading=lazy]')"
                    ".forEach((img) => { img.loading = 'eager'; })"
                )
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(SETTLE_MS)
                target = options.out / f"{page_name}-{width_name}.png"
                page.screenshot(path=str(target), full_page=page_name not in VIEWPORT_ONLY)
                print(f"wrote {target.name} ({path})")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
