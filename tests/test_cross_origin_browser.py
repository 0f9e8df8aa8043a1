"""A page served by another program on another port of this machine cannot use a logged-in
staff member's cookie on /ws/session/ (cookies are not port-scoped; the Origin check is),
while the same script on the site's own pages opens a session."""

import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser import LiveSite, log_in
from tests.children import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Opens a session with whatever cookie the browser holds and reports what happened.
PERCEIVE = """(url) => new Promise((resolve) => {
    const seen = [];
    const socket = new WebSocket(url);
    socket.onopen = () => socket.send(JSON.stringify({event: "startSession"}));
    socket.onmessage = (message) => {
        const frame = JSON.parse(message.data);
        seen.push(frame.event);
        if (frame.event === "sessionStarted") {
            socket.send(JSON.stringify(
                {event: "percept", data: {kind: "audio", transcript: "borrowed cookie"}}));
        } else {
            socket.close();
        }
    };
    socket.onclose = (event) => resolve({seen, code: event.code});
    setTimeout(() => resolve({seen, code: "timeout"}), 8000);
})"""


@pytest.fixture
def other_program() -> Iterator[str]:
    """Another local web server: serves one empty page on a port of its own."""

    class EmptyPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>another program</title><p>hello</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), EmptyPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_another_local_port_cannot_borrow_the_staff_cookie(
    page: Page, live_site: LiveSite, other_program: str
):
    log_in(page, live_site, next_path="/perceive/")
    session_url = live_site.ws_url("/ws/session/")

    own = page.evaluate(PERCEIVE, session_url)
    assert own["seen"][:2] == ["sessionStarted", "perceptAccepted"], own

    page.goto(other_program)
    foreign = page.evaluate(PERCEIVE, session_url)
    assert foreign["seen"] == [], foreign
    assert foreign["code"] != "timeout"
    stored = live_site.manage(
        "shell", "-c", "from dreams.models import Percept; print(Percept.objects.count())"
    )
    assert stored.strip().splitlines()[-1] == "1", "only the site's own page stored a percept"
