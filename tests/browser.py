"""Pages in a real browser: Debian's chromium driven by Playwright, against the real server.

`live_site` starts `manage.py serve` (web, WebSockets and the conductor in one process, as
`make run` does) on a database of its own, with DEBUG off, demo moments and a staff
account. Tests drive it through `page`, a fresh browser context; a failing test leaves a
screenshot of that page under var/test-screenshots/ (the path is printed with the failure).

The browser is never downloaded: the project's set-up installs Debian's chromium
(`make test`), and the tests fail rather than skip when DREAMS_REQUIRE_SERVICES is set and
it is missing.
"""

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright

from tests.children import (
    Child,
    Children,
    accepts_connections,
    child_env,
    free_port,
    manage,
    suite_on_postgres,
    throwaway_postgres,
)

CHROMIUM = Path(os.environ.get("DREAMS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "test-screenshots"
SERVE_TIMEOUT_S = 30.0
STAFF_USERNAME = "operator"
STAFF_PASSWORD = "operator-password-for-tests"
SEEDED_MOMENTS = 40
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _require(available: bool, message: str) -> None:
    if available:
        return
    if os.environ.get("DREAMS_REQUIRE_SERVICES"):
        pytest.fail(f"{message}, and DREAMS_REQUIRE_SERVICES requires it")
    pytest.skip(message)


@dataclass
class LiveSite:
    """A running server and the way to its database and commands."""

    url: str
    env: dict[str, str]
    server: Child
    database_url: str

    def manage(self, *args: str) -> str:
        """`manage.py` against the site's database, as an operator would run it: its
        output, once it has succeeded."""
        return manage(self.env, *args)

    def ws_url(self, path: str) -> str:
        return self.url.replace("http://", "ws://", 1) + path


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Static files collected once for every site of the run (DEBUG is off)."""
    var_dir = tmp_path_factory.mktemp("static-var")
    env = child_env(var_dir, DREAMS_VAR_DIR=str(var_dir))
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return var_dir / "static"


@pytest.fixture(scope="session")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a migrated database holding the staff account, made once: every site's
    database starts as a copy of it (migrating takes seconds, a copy a fraction of one)."""
    template_dir = tmp_path_factory.mktemp("site-template")
    with contextlib.ExitStack() as stack:
        if suite_on_postgres():
            url = stack.enter_context(throwaway_postgres())
        else:
            url = f"sqlite:///{template_dir / 'template.sqlite3'}"
        env = child_env(
            template_dir,
            DREAMS_VAR_DIR=str(template_dir / "var"),
            DATABASE_URL=url,
            DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD,
        )
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(
            env,
            "createsuperuser",
            "--noinput",
            "--username",
            STAFF_USERNAME,
            "--email",
            "operator@example.com",
        )
        yield url


@contextlib.contextmanager
def _database(tmp_path: Path, template: str) -> Iterator[str]:
    """A database of the site's own, copied from `template`, on the server the suite runs
    against."""
    if suite_on_postgres():
        with throwaway_postgres(template=template) as url:
            yield url
        return
    copy = tmp_path / "site.sqlite3"
    shutil.copyfile(template.removeprefix("sqlite:///"), copy)
    yield f"sqlite:///{copy}"


@pytest.fixture
def start_site(
    tmp_path: Path, children: Children, collected_static: Path, site_template: str
) -> Iterator[Callable[..., LiveSite]]:
    """Start a site; keyword arguments are environment variables for it (strings)."""
    stack = contextlib.ExitStack()

    def start(**variables: str) -> LiveSite:
        site_dir = tmp_path / f"site-{len(children.started)}"
        var_dir = site_dir / "var"
        var_dir.mkdir(parents=True)
        (var_dir / "static").symlink_to(collected_static)
        database_url = stack.enter_context(_database(site_dir, site_template))
        port = free_port()
        env = child_env(
            site_dir,
            DEBUG="false",
            DREAMS_VAR_DIR=str(var_dir),
            DATABASE_URL=database_url,
            DREAMS_SESSION_TOKEN="perceptor-token-for-tests",
            DREAM_CYCLE_MS="1500",
            DREAM_START_DELAY_MS="200",
            COGNITIVE_CYCLE_MS="1000",
            DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD,
            **variables,
        )
        # Seeded per site: the demo moments are dated from the moment they are written.
        manage(env, "seed_moments", "--count", str(SEEDED_MOMENTS))
        server = children.start(f"serve-{port}", env, "serve", "--port", str(port))
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while not accepts_connections(port):
            assert server.alive(), f"the server exited:\n{server.log()}"
            assert time.monotonic() < deadline, f"not serving within {SERVE_TIMEOUT_S} s"
            time.sleep(0.05)
        return LiveSite(f"http://127.0.0.1:{port}", env, server, database_url)

    with stack:
        yield start
        # The server goes before its database does.
        children.stop_all()


@pytest.fixture
def live_site(start_site: Callable[..., LiveSite]) -> LiveSite:
    return start_site()


# Per module, not per session: while Playwright's sync API is started, the main thread
# has a running event loop, and Django refuses database connections there to every later
# test (SynchronousOnlyOperation).
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    _require(
        CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is not None,
        f"Debian's chromium is not at {CHROMIUM} (apt-get install chromium)",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture
def page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies), at desktop size."""
    context = chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    if _failed(request):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for index, each in enumerate(context.pages):
            path = SCREENSHOT_DIR / f"{name}-{index}.png"
            with contextlib.suppress(Exception):
                each.screenshot(path=str(path), full_page=True)
                print(f"screenshot of the failed page: {path}")
    context.close()


def log_in(page: Page, site: LiveSite, *, next_path: str = "/") -> None:
    """Sign in with the staff account through the admin's login form."""
    page.goto(f"{site.url}/admin/login/?next={next_path}")
    page.fill("#id_username", STAFF_USERNAME)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site.url}{next_path}")


def canvas_lit_pixels(page: Page, selector: str) -> int:
    """How many pixels of a canvas are not transparent-or-black: what a viewer sees."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector);
            const { width, height } = canvas;
            const { data } = canvas.getContext("2d").getImageData(0, 0, width, height);
            let lit = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] > 96) lit += 1;
            }
            return lit;
        }""",
        selector,
    )
