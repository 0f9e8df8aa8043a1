"""Screenshots of every page, at desktop and phone widths, from a running Dreams.

    .venv/bin/python docs/screenshots/capture.py --base-url http://127.0.0.1:8000

Signs in with the admin account that `make run` prints (read from var/admin-password unless
--password is given), waits for the live pages to draw, and writes PNG files beside this
script. Uses Debian's chromium through Playwright (the dev extra), never a downloaded one.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
WIDTHS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
PAGES = {
    "dashboard": "/",
    "setup": "/setup/",
    "observe": "/observe/",
    "perceive": "/perceive/",
}
SETTLE_MS = 2500


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
    options = parser.parse_args()
    password = options.password
    if password is None:
        password_file = HERE.parent.parent / "var" / "admin-password"
        if not password_file.exists():
            print("No var/admin-password: pass --password.", file=sys.stderr)
            return 2
        password = password_file.read_text().strip()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=options.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        for width_name, viewport in WIDTHS.items():
            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            page = context.new_page()
            sign_in(page, options.base_url, options.username, password)
            for page_name, path in PAGES.items():
                page.goto(f"{options.base_url}{path}")
                # A full-page picture includes what lies below the fold: load it now.
                page.evaluate(
                    "document.querySelectorAll('img[loading=lazy]')"
                    ".forEach((img) => { img.loading = 'eager'; })"
                )
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(SETTLE_MS)
                target = options.out / f"{page_name}-{width_name}.png"
                page.screenshot(path=str(target), full_page=page_name != "observe")
                print(f"wrote {target.name}")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
