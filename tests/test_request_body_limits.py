"""Request bodies over `DREAMS_MAX_BODY_BYTES` are refused with 413 whatever their framing,
as soon as the limit is passed and without the server holding them, over real sockets to a
real `manage.py serve`; bodies under the limit still reach Django."""

import json
import socket
from pathlib import Path

from tests.children import Children, child_env, free_port, manage
from tests.live import serving

LIMIT = 256 * 1024
ANSWER_TIMEOUT_S = 10.0
PIECE = b"x" * 65536


async def served(children: Children, tmp_path: Path) -> int:
    env = child_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'dreams.sqlite3'}",
        DREAMS_MAX_BODY_BYTES=str(LIMIT),
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    port = free_port()
    server = children.start("serve", env, "serve", "--no-conductor", "--port", str(port))
    await serving(server, port)
    return port


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_S)
    sock.settimeout(ANSWER_TIMEOUT_S)
    return sock


def head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The first answer on `sock` (status, headers, body), read up to its Content-Length."""
    received = b""
    while b"\r\n\r\n" not in received:
        data = sock.recv(65536)
        assert data, f"the server closed the connection without answering: {received!r}"
        received += data
    top, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    while len(body) < int(headers.get("content-length", 0)):
        data = sock.recv(65536)
        assert data, "the server closed the connection in the middle of its answer"
        body += data
    return int(status_line.split()[1]), headers, body


def closed_by_server(sock: socket.socket) -> bool:
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


async def test_a_chunked_body_gets_413_as_soon_as_it_passes_the_limit(
    children: Children, tmp_path: Path
) -> None:
    port = await served(children, tmp_path)
    with connect(port) as sock:
        sock.sendall(
            head("/api/dream/runs/", "Content-Type: application/json", "Transfer-Encoding: chunked")
        )
        # 1 MB, and the body does not end: the answer cannot wait for its end.
        for _ in range(16):
            sock.sendall(chunk(PIECE))
        status, headers, body = read_answer(sock)
        assert status == 413
        assert headers["content-type"] == "application/json"
        assert f"limit of {LIMIT} bytes" in json.loads(body)["detail"]
        # The rest of the body is read and dropped; once it ends, the connection closes.
        sock.sendall(chunk(PIECE) + b"0\r\n\r\n")
        assert closed_by_server(sock)


async def test_a_content_length_over_the_limit_gets_413_before_the_body_is_sent(
    children: Children, tmp_path: Path
) -> None:
    port = await served(children, tmp_path)
    with connect(port) as sock:
        sock.sendall(
            head(
                "/api/dream/runs/",
                "Content-Type: application/json",
                f"Content-Length: {LIMIT + 1}",
                "Expect: 100-continue",
            )
        )
        # No "100 Continue" first: the 413 is the answer.
        status, _, body = read_answer(sock)
        assert status == 413
        assert "detail" in json.loads(body)


async def test_a_chunked_body_over_the_limit_elsewhere_gets_a_plain_413(
    children: Children, tmp_path: Path
) -> None:
    port = await served(children, tmp_path)
    with connect(port) as sock:
        sock.sendall(head("/admin/login/", "Transfer-Encoding: chunked"))
        for _ in range(5):
            sock.sendall(chunk(PIECE))
        status, headers, body = read_answer(sock)
    assert status == 413
    assert headers["content-type"].startswith("text/plain")
    assert body.decode() == (
        f"Request too large: this server accepts request bodies of up to {LIMIT} bytes.\n"
    )


async def test_bodies_under_the_limit_still_reach_the_view(
    children: Children, tmp_path: Path
) -> None:
    port = await served(children, tmp_path)
    payload = json.dumps({"force": False, "padding": "p" * 1000}).encode()
    with connect(port) as sock:
        sock.sendall(
            head(
                "/api/dream/runs/",
                "Content-Type: application/json",
                f"Content-Length: {len(payload)}",
            )
            + payload
        )
        with_length = read_answer(sock)
        sock.sendall(
            head("/api/dream/runs/", "Content-Type: application/json", "Transfer-Encoding: chunked")
            + chunk(payload[:500])
            + chunk(payload[500:])
            + b"0\r\n\r\n"
        )
        chunked = read_answer(sock)
    for status, headers, body in (with_length, chunked):
        assert status not in (413, 400), body
        assert headers["content-type"] == "application/json"
        assert "limit" not in json.loads(body).get("detail", "")


# Behind plain `daphne` (or any ASGI server), the ASGI middleware is the guard: Django never
# reads a body over the limit.


async def asgi_call(messages: list[dict], headers: list[tuple[bytes, bytes]]) -> tuple:
    from dreamsite.body_limit import BodyLimitMiddleware

    bodies_seen: list[bytes] = []
    sent: list[dict] = []
    pending = list(messages)

    async def django(scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        bodies_seen.append(body)

    async def receive() -> dict:
        return pending.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/dream/runs/", "method": "POST", "headers": headers}
    await BodyLimitMiddleware(django)(scope, receive, send)
    return bodies_seen, sent, pending


async def test_the_asgi_middleware_refuses_a_streamed_body_once_it_passes_the_limit(
    settings,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    messages = [{"type": "http.request", "body": PIECE, "more_body": True} for _ in range(16)]
    bodies_seen, sent, pending = await asgi_call(messages, headers=[])
    assert bodies_seen == []
    assert sent[0]["status"] == 413
    assert "detail" in json.loads(sent[1]["body"])
    assert len(pending) == 16 - 5  # it stopped reading once past the limit


async def test_the_asgi_middleware_refuses_a_content_length_over_the_limit_unread(
    settings,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    messages = [{"type": "http.request", "body": b"", "more_body": True}]
    bodies_seen, sent, pending = await asgi_call(
        messages, headers=[(b"content-length", str(LIMIT + 1).encode())]
    )
    assert bodies_seen == []
    assert sent[0]["status"] == 413
    assert pending == messages


async def test_the_asgi_middleware_hands_a_body_under_the_limit_to_django_whole(
    settings,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    messages = [
        {"type": "http.request", "body": b"a" * 1000, "more_body": True},
        {"type": "http.request", "body": b"b" * 1000, "more_body": False},
    ]
    bodies_seen, sent, _ = await asgi_call(messages, headers=[])
    assert bodies_seen == [b"a" * 1000 + b"b" * 1000]
    assert sent == []
