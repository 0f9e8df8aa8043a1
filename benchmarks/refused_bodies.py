"""What a refused request body costs the server: peak RSS increase, the status received and
the time to the answer, for bodies far over `DREAMS_MAX_BODY_BYTES` (256 KiB by default).

    python benchmarks/refused_bodies.py [--mb 100] [--port 8765] [--plain-daphne]

It starts the real server (`manage.py serve`) over a throwaway SQLite database in a
temporary directory, with settings from the environment only, and sends to 127.0.0.1 only,
to `/api/dream/runs/` and `/admin/login/`: one body with a Content-Length, one chunked
body, and four chunked bodies in parallel. Each client reads while it sends and stops
sending once it has an answer, as browsers and curl do. The peak is the server's VmHWM
(reset through /proc/<pid>/clear_refs before each case) and the highest VmRSS sampled every
5 ms, minus its RSS before the case. Bounded: each client gives up after 120 s, and the
whole run stops by itself. With --plain-daphne it serves the same application with the
`daphne` command instead (as docs/scaling.md starts web processes behind a proxy), where only
the ASGI middleware stands between a body and Django. Kept outside the product's import path.
"""

import argparse
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT_S = 120.0
START_TIMEOUT_S = 60.0
PIECE = b"x" * 65536
PATHS = ("/api/dream/runs/", "/admin/login/")


def child_env(var_dir: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "1",
        "DREAMS_VAR_DIR": var_dir,
        "SECRET_KEY": "benchmark-only-key-" + "x" * 40,
        "DEBUG": "false",
    }


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


class PeakRss:
    """The server's highest RSS while a case runs: VmHWM after a reset, and VmRSS sampled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.done = threading.Event()

    def __enter__(self) -> "PeakRss":
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # resets VmHWM to VmRSS
        self.before_kb = status_kb(self.pid, "VmRSS")
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.done.wait(0.005):
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmHWM"))

    @property
    def increase_mb(self) -> float:
        return (self.peak_kb - self.before_kb) / 1024


def post(port: int, path: str, size: int, *, chunked: bool) -> tuple[str, float, int]:
    """POST `size` bytes of body; (status, seconds to the first line of the answer, body
    bytes sent by then). Reads while it sends and stops sending once answered."""
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size
    head = (
        b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s\r\n\r\n"
        % (path.encode(), framing)
    )
    started = time.perf_counter()
    pending = memoryview(head)
    left, sent, answer = size, 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            while b"\r\n" not in answer:
                if time.perf_counter() - started > CLIENT_TIMEOUT_S:
                    return "no answer", time.perf_counter() - started, sent
                for _, events in selector.select(timeout=1.0):
                    if events & selectors.EVENT_READ:
                        try:
                            data = sock.recv(65536)
                        except ConnectionError:
                            data = b""
                        if not data:
                            return "closed", time.perf_counter() - started, sent
                        answer += data
                    if events & selectors.EVENT_WRITE and (pending or left):
                        if not pending:
                            piece = PIECE[: min(left, len(PIECE))]
                            left -= len(piece)
                            sent += len(piece)
                            framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                            if chunked and not left:
                                framed += b"0\r\n\r\n"
                            pending = memoryview(framed)
                        try:
                            pending = pending[sock.send(pending) :]
                        except (BrokenPipeError, ConnectionResetError):
                            left, pending = 0, memoryview(b"")
                    if not (pending or left):
                        selector.modify(sock, selectors.EVENT_READ)
    status = answer.split(b"\r\n", 1)[0].split(b" ", 2)[1].decode()
    return status, time.perf_counter() - started, sent


def run_case(pid: int, port: int, path: str, size: int, *, chunked: bool, parallel: int) -> str:
    results: list[tuple[str, float, int]] = []

    def client() -> None:
        results.append(post(port, path, size, chunked=chunked))

    with PeakRss(pid) as rss:
        threads = [threading.Thread(target=client) for _ in range(parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = ",".join(sorted({r[0] for r in results}))
    slowest = max(r[1] for r in results)
    sent_mb = max(r[2] for r in results) / 2**20
    return (
        f"peak RSS +{rss.increase_mb:6.1f} MB | status {statuses} | answer after "
        f"{slowest:6.3f} s (slowest) | up to {sent_mb:5.1f} MB sent first"
    )


def wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not listen on {port} within {START_TIMEOUT_S} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of each body, in MiB")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--plain-daphne", action="store_true", help="serve with `daphne`")
    args = parser.parse_args()
    size = args.mb * 2**20
    with tempfile.TemporaryDirectory(prefix="dreams-bench-") as var_dir:
        env = child_env(var_dir)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True,
        )
        command = (
            ["-m", "daphne", "--port", str(args.port), "dreamsite.asgi:application"]
            if args.plain_daphne
            else ["manage.py", "serve", "--port", str(args.port)]
        )
        with open(Path(var_dir) / "serve.log", "wb") as log:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [sys.executable, *command],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(args.port, server)
            served_by = "daphne" if args.plain_daphne else "manage.py serve"
            print(f"{served_by}: RSS at rest: {status_kb(server.pid, 'VmRSS') / 1024:.1f} MB")
            for path in PATHS:
                for label, chunked, parallel in (
                    (f"1 x {args.mb} MB Content-Length", False, 1),
                    (f"1 x {args.mb} MB chunked       ", True, 1),
                    (f"4 x {args.mb} MB chunked       ", True, 4),
                ):
                    figures = run_case(
                        server.pid, args.port, path, size, chunked=chunked, parallel=parallel
                    )
                    print(f"{path:18} {label}: {figures}")
            print(f"server RSS at the end: {status_kb(server.pid, 'VmRSS') / 1024:.1f} MB")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
