"""Observer fan-out under load, for ``manage.py bench_fanout``.

It starts the real servers as child processes, the way operators run them
(docs/scaling.md): the embedded setup is one ``manage.py serve``; the Redis setup is a
private ``redis-server``, two ``serve --no-conductor`` web processes and a
``run_conductor``. Each gets a scratch database with a few seeded moments, and the
conductor's dream loop broadcasts one dream (a ``sigil`` and a ``mindMoment`` event) every
``1/rate`` seconds. N observers connect over real sockets from K client processes.

Delay is measured from the ``timestamp`` the conductor puts in each dream event just
before broadcasting it to the moment a client reads the frame (both are this machine's
wall clock). Lost events are those broadcast during the measured window that an observer
never received; ``seq`` is checked for order and contiguity from each observer's snapshot
on. Server memory per idle observer is each web process's RSS with its observers connected
minus its RSS before, divided by their number.

The clients speak just enough RFC 6455 to observe (handshake, unmasked text frames, pong,
close) on uvloop when it is installed: a general WebSocket client wakes a task for every
message, and with 10,000 of them on this 2-core machine the clients, not the server,
would set the pace. Each client process reports its CPU use so that can be checked.

With ``protocol="socketio"`` the observers are the source system's displays on
``/socket.io/``, speaking Engine.IO v4 over the same frame reader (``SocketIoObserverClient``).
socket.io carries no ``seq``: its dream events are known by their ``timestamp``, so loss
and order are counted on the ``sigil`` events (``mindMoment`` is stamped before the sigil
it follows) and no contiguity is checked.

This module is imported by the client processes too (spawned, not forked): it imports
Django only inside the functions the parent runs.
"""

import array
import asyncio
import base64
import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

MODES = ("embedded", "redis")
PROTOCOLS = ("native", "socketio")
PROTOCOL_NAMES = {"native": "native", "socketio": "socket.io"}
# daphne is the product's server (`manage.py serve`); uvicorn (benchmarks/uvicorn_serve.py,
# not a dependency) is there to compare the hub's ASGI path under an asyncio-native server.
SERVERS = ("daphne", "uvicorn")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
# p99 delay targets by number of observers (the issue's), and memory per idle observer.
LATENCY_TARGETS_MS = ((1_000, 50.0), (5_000, 200.0), (10_000, 450.0))
MEMORY_TARGET_KB = 40.0
SEEDED_MOMENTS = 30
START_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 30.0
# Handshakes in flight per client process: daphne listens with a backlog of 50.
CONNECTS_IN_FLIGHT = 40
SETTLE_S = 2.0
GRACE_S = 3.0
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_HEAD = re.compile(rb'^\{"event": "([A-Za-z]+)", "seq": (\d+)')
_TIMESTAMP = b'"timestamp": "'
# socket.io's JSON has no spaces: `42["sigil",{"cycle":3,...,"timestamp":"..."}]`.
_SOCKETIO_EVENT = re.compile(rb'^42\["([A-Za-z]+)"')
_SOCKETIO_TIMESTAMP = b'"timestamp":"'


# -- the observer client (runs in the client processes) ---------------------------------


def _stamp(payload: bytes, marker: bytes) -> float | None:
    """The `timestamp` of an event's payload, as seconds since the epoch."""
    at = payload.find(marker)
    if at < 0:
        return None
    stamp = payload[at + len(marker) : payload.index(b'"', at + len(marker))]
    return datetime.fromisoformat(stamp.decode()).timestamp()


class ObserverClient(asyncio.Protocol):
    """One observer: records the `seq` of every broadcast after its snapshot, and the
    delay of every timestamped event."""

    OBSERVE_PATH = "/ws/observe/"

    def __init__(self, host: str, port: int, path: str, sink: "ClientSink") -> None:
        self.host, self.port, self.path, self.sink = host, port, path, sink
        self.key = base64.b64encode(secrets.token_bytes(16))
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.handshaken = False
        self.snapshot_seq: int | None = None
        self.seqs = array.array("q")
        self.close_code: int | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.first_sigil: bytes | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] - uvloop's is no subclass
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self.key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{self.host}:{self.port}\r\n\r\n"
        )
        transport.write(request.encode())

    def data_received(self, data: bytes) -> None:
        received_at = time.time()
        buffer = self.buffer
        buffer += data
        if not self.handshaken and not self._handshake():
            return
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            end = start + length
            if len(buffer) < end:
                return
            payload = bytes(buffer[start:end])
            del buffer[:end]
            if opcode == 1:
                self._text(payload, received_at)
            elif opcode == 9:
                self._send(0xA, payload)  # pong
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
                self._send(0x8, payload[:2])
                if self.transport is not None:
                    self.transport.close()

    def _handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[: end + 4]
        accept = base64.b64encode(hashlib.sha1(self.key + WS_GUID).digest()).decode()  # noqa: S324 - RFC 6455
        if not head.startswith("HTTP/1.1 101") or accept not in head:
            self._fail(ConnectionError(head.split("\r\n", 1)[0]))
            return False
        self.handshaken = True
        return True

    def _text(self, payload: bytes, received_at: float) -> None:
        head = _HEAD.match(payload)
        if head is None:
            frame = json.loads(payload)
            event, seq = frame["event"], int(frame["seq"])
        else:
            event, seq = head.group(1).decode(), int(head.group(2))
        if event == "snapshot":
            self.snapshot_seq = seq
            if not self.opened.done():
                self.opened.set_result(None)
            return
        if seq == 0:  # a reply (an error), not a broadcast
            return
        self.seqs.append(seq)
        sent_at = _stamp(payload, _TIMESTAMP)
        if sent_at is not None:
            self.sink.timed(seq, event, sent_at, received_at - sent_at)
        if event == "sigil" and self.sink.sample is None:
            self.sink.sample = payload

    def _send(self, opcode: int, payload: bytes) -> None:
        """A masked client frame (RFC 6455 requires clients to mask)."""
        if self.transport is None or self.transport.is_closing():
            return
        mask = secrets.token_bytes(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    def _fail(self, error: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(error)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)


class SocketIoObserverClient(ObserverClient):
    """One of the source system's displays: Engine.IO v4 over WebSocket, the default
    namespace, listening only. The key of a dream event is its timestamp in microseconds
    (socket.io has no `seq`); `seqs` holds the keys of the `sigil` events received."""

    OBSERVE_PATH = "/socket.io/?EIO=4&transport=websocket"

    def _text(self, payload: bytes, received_at: float) -> None:
        packet = payload[:1]
        if packet == b"4":  # a socket.io packet in an Engine.IO message
            self._socketio(payload, received_at)
        elif packet == b"2":  # the server's ping
            self._send(0x1, b"3" + payload[1:])
        elif packet == b"0":  # Engine.IO open: join the default namespace
            self._send(0x1, b"40")
        elif packet == b"1":
            self._fail(ConnectionError("the server closed the Engine.IO session"))

    def _socketio(self, payload: bytes, received_at: float) -> None:
        head = _SOCKETIO_EVENT.match(payload)
        if head is None:
            if payload.startswith(b"40"):  # the namespace is joined
                self.snapshot_seq = 0
                if not self.opened.done():
                    self.opened.set_result(None)
            elif payload.startswith((b"41", b"44")):
                self._fail(ConnectionError(payload[:200].decode(errors="replace")))
            return
        sent_at = _stamp(payload, _SOCKETIO_TIMESTAMP)
        if sent_at is None:
            return
        event = head.group(1).decode()
        key = round(sent_at * 1e6)
        if event == "sigil":
            self.seqs.append(key)
        self.sink.timed(key, event, sent_at, received_at - sent_at)


def observer_class(protocol: str) -> type[ObserverClient]:
    return SocketIoObserverClient if protocol == "socketio" else ObserverClient


@dataclass
class ClientSink:
    """What one client process measured, across its observers."""

    sent_at: dict[int, float] = field(default_factory=dict)
    events: dict[int, str] = field(default_factory=dict)
    delay_seq: array.array = field(default_factory=lambda: array.array("q"))
    delay_s: array.array = field(default_factory=lambda: array.array("d"))
    sample: bytes | None = None

    def timed(self, seq: int, event: str, sent_at: float, delay: float) -> None:
        if seq not in self.sent_at:
            self.sent_at[seq], self.events[seq] = sent_at, event
        self.delay_seq.append(seq)
        self.delay_s.append(delay)


async def _open(
    loop: asyncio.AbstractEventLoop,
    port: int,
    protocol: str,
    sink: ClientSink,
    gate: asyncio.Semaphore,
) -> ObserverClient:
    last_error: BaseException | None = None
    observer = observer_class(protocol)
    for attempt in range(5):
        async with gate:
            client = observer("127.0.0.1", port, observer.OBSERVE_PATH, sink)
            try:
                await loop.create_connection(lambda client=client: client, "127.0.0.1", port)
                await asyncio.wait_for(asyncio.shield(client.opened), CONNECT_TIMEOUT_S)
                return client
            except (OSError, TimeoutError, ConnectionError) as error:
                last_error = error
                if client.transport is not None:
                    client.transport.close()
        await asyncio.sleep(0.2 * (attempt + 1))
    raise ConnectionError(f"could not connect an observer to port {port}: {last_error}")


async def _client_session(
    pipe: Connection, ports: Sequence[int], count: int, first: int, grace_s: float, protocol: str
) -> None:
    loop = asyncio.get_running_loop()
    sink = ClientSink()
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)

    async def command() -> Any:
        return await loop.run_in_executor(None, pipe.recv)

    assert await command() == "connect"
    clients = await asyncio.gather(
        *(
            _open(loop, ports[(first + index) % len(ports)], protocol, sink, gate)
            for index in range(count)
        )
    )
    pipe.send(("connected", len(clients)))
    await command()  # the window starts
    usage_start, wall_start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    await command()  # the window ends: what is still on its way may arrive in the grace
    usage_end, wall_end = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    await asyncio.sleep(grace_s)
    cpu = (usage_end.ru_utime + usage_end.ru_stime) - (usage_start.ru_utime + usage_start.ru_stime)
    pipe.send(
        {
            "observers": [
                (client.snapshot_seq, client.seqs.tobytes(), client.close_code)
                for client in clients
            ],
            "sent_at": sink.sent_at,
            "events": sink.events,
            "delay_seq": sink.delay_seq.tobytes(),
            "delay_s": sink.delay_s.tobytes(),
            "cpu_percent": 100.0 * cpu / max(1e-9, wall_end - wall_start),
            "sample": sink.sample,
        }
    )
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    await asyncio.sleep(0.2)


def client_process(
    pipe: Connection,
    ports: Sequence[int],
    count: int,
    first: int,
    grace_s: float = GRACE_S,
    protocol: str = "native",
) -> None:
    """Entry point of a client process: `count` observers spread over `ports`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    raise_fd_limit()
    try:
        import uvloop

        runner: Callable[..., Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_client_session(pipe, ports, count, first, grace_s, protocol))


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- the servers (the parent) -----------------------------------------------------------


@dataclass(frozen=True)
class BenchOptions:
    observers: int
    rate: float = 1.0
    seconds: float = 30.0
    mode: str = "embedded"
    server: str = "daphne"
    protocol: str = "native"
    client_processes: int = 2
    redis_url: str | None = None
    postgres_url: str | None = None
    baseline_observers: int = 1_000
    # Quiet time before memory is read, and time left for late frames after the window.
    settle_s: float = SETTLE_S
    grace_s: float = GRACE_S


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


class Servers:
    """The child processes of one run, each in a process group of its own."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work, self.env = work, env
        self.started: list[Server] = []

    def start(self, name: str, command: Sequence[str], port: int | None = None) -> Server:
        from django.conf import settings

        log_path = self.work / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                list(command),
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(name, process, log_path, port)
        self.started.append(server)
        return server

    def manage(self, name: str, *args: str, port: int | None = None) -> Server:
        return self.start(name, [sys.executable, "manage.py", *args], port)

    def run(self, *args: str) -> None:
        from django.conf import settings

        completed = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S * 2,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-2000:]}")

    def wait_serving(self, server: Server) -> None:
        assert server.port is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _accepts(server.port):
            if not server.alive():
                raise RuntimeError(f"{server.name} exited:\n{server.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not serve within {START_TIMEOUT_S} s")
            time.sleep(0.1)

    def stop_all(self) -> None:
        running = [server for server in self.started if server.alive()]
        for server in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for server in running:
            try:
                server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=5)


def server_env(work: Path, *, rate: float, **variables: str) -> dict[str, str]:
    """The servers' environment: this one's PATH and locale, nothing of the operator's
    configuration (no .env, no database or Redis of theirs)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "true",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DREAMS_VAR_DIR": str(work / "var"),
        "DREAMS_LEGACY_CONFIG": str(work / "no-legacy-config.json"),
        "OLLAMA_HOST": "http://127.0.0.1:9",
        "DREAM_CYCLE_MS": str(max(1, round(1000 / rate))),
        "DREAM_START_DELAY_MS": "100",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **variables,
    }


@contextlib.contextmanager
def _database(work: Path, postgres_url: str | None) -> Iterator[str]:
    if not postgres_url:
        yield f"sqlite:///{work / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"dreams_bench_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(postgres_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _redis(servers: Servers, redis_url: str | None) -> Iterator[tuple[str, str]]:
    """A Redis URL and a prefix of this run's own: a private redis-server when one is
    installed and no URL was given, else the given (or default) server."""
    prefix = f"bench-{secrets.token_hex(4)}"
    binary = shutil.which("redis-server")
    if redis_url or binary is None:
        yield redis_url or DEFAULT_REDIS_URL, prefix
        return
    port = free_port()
    server = servers.start(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        port,
    )
    servers.wait_serving(server)
    yield f"redis://127.0.0.1:{port}/0", prefix


# -- measuring --------------------------------------------------------------------------


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def latency_target_ms(observers: int) -> float | None:
    for limit, target in LATENCY_TARGETS_MS:
        if observers <= limit:
            return target
    return None


@dataclass
class Report:
    options: BenchOptions
    connected: int = 0
    events: int = 0
    # Dreams (`sigil` events) broadcast in the window: an overloaded process dreams late,
    # and events never sent are not counted as lost.
    dreams: int = 0
    # Delays of the dream events proper (`sigil`), on which the targets are judged, and of
    # every timestamped event: the conductor stamps `mindMoment` before it sends the
    # `sigil` ahead of it, so its delay includes the sigil's whole fan-out.
    delays_ms: list[float] = field(default_factory=list)
    all_delays_ms: list[float] = field(default_factory=list)
    lost: int = 0
    out_of_order: int = 0
    gaps: int = 0
    closed: int = 0
    rss_per_observer_kb: dict[str, float] = field(default_factory=dict)
    server_cpu_percent: dict[str, float] = field(default_factory=dict)
    client_cpu_percent: list[float] = field(default_factory=list)
    encode_once_us: float = float("nan")
    encode_per_observer_ms: float = float("nan")
    group_send_observers: int = 0
    group_send_p99_ms: float = float("nan")

    def percentile(self, fraction: float) -> float:
        return _percentile(self.delays_ms, fraction)

    @property
    def dreams_due(self) -> int:
        return int(self.options.rate * self.options.seconds)

    @property
    def contiguous(self) -> bool:
        return self.gaps == 0 and self.out_of_order == 0

    def checks(self) -> list[tuple[str, bool]]:
        checks = []
        target = latency_target_ms(self.options.observers)
        if target is not None:
            checks.append((f"p99 <= {target:g} ms", self.percentile(0.99) <= target))
        checks.append(("zero lost", self.lost == 0 and self.connected == self.options.observers))
        due = self.dreams_due
        checks.append((f"dreams on time ({self.dreams} of {due})", self.dreams >= due - 1))
        order = "seq contiguous, in order" if self.options.protocol == "native" else "in order"
        checks.append((order, self.contiguous))
        worst = max(self.rss_per_observer_kb.values(), default=float("nan"))
        checks.append((f"<= {MEMORY_TARGET_KB:g} KB per idle observer", worst <= MEMORY_TARGET_KB))
        return checks

    @property
    def correct(self) -> bool:
        """Something heard, nothing lost, reordered or skipped: unlike timings, not a matter
        of load."""
        return (
            self.events > 0
            and self.lost == 0
            and self.contiguous
            and self.connected == self.options.observers
        )

    def write(self, out: TextIO) -> None:
        o = self.options
        out.write(
            f"bench_fanout: {o.observers:,} {PROTOCOL_NAMES[o.protocol]} observers, {o.mode} "
            f"under {o.server}, one dream per "
            f"{1 / o.rate:g} s for {o.seconds:g} s, {o.client_processes} client processes\n"
        )
        counted_events = "events" if o.protocol == "native" else "dream (sigil) events"
        out.write(
            f"  connected {self.connected:,}; {self.events} {counted_events} broadcast in the "
            f"window ({len(self.all_delays_ms):,} timed receipts)\n"
        )
        for label, delays in (
            ("dream (sigil) events", self.delays_ms),
            ("all timestamped events (sigil + mindMoment)", self.all_delays_ms),
        ):
            out.write(
                f"  delay broadcast -> receipt, {label}: "
                f"p50 {_percentile(delays, 0.5):.1f} ms, p95 {_percentile(delays, 0.95):.1f} ms, "
                f"p99 {_percentile(delays, 0.99):.1f} ms, max {_percentile(delays, 1.0):.1f} ms\n"
            )
        counted = "" if o.protocol == "native" else " (of the sigil events: socket.io has no seq)"
        out.write(
            f"  lost {self.lost}, out of order {self.out_of_order}, seq gaps {self.gaps}, "
            f"closed by the server {self.closed}{counted}\n"
        )
        for name, kb in self.rss_per_observer_kb.items():
            cpu = self.server_cpu_percent.get(name, float("nan"))
            out.write(
                f"  {name}: {kb:.1f} KB RSS per idle observer, {cpu:.0f}% CPU in the window\n"
            )
        clients = ", ".join(f"{cpu:.0f}%" for cpu in self.client_cpu_percent)
        out.write(f"  client processes' CPU (of one core): {clients}\n")
        if o.protocol == "native":  # the sample is a native frame
            out.write(
                f"  baseline, encoding: one frame {self.encode_once_us:.1f} us; encoding per "
                f"observer would spend {self.encode_per_observer_ms:.1f} ms per event at "
                f"{o.observers:,} (x{o.observers:,})\n"
            )
        if self.group_send_observers:
            p99 = max(self.percentile(0.99), 1e-3)
            out.write(
                f"  baseline, plain Channels group_send (in-memory layer, one task per "
                f"observer, no sockets) at {self.group_send_observers:,}: p99 "
                f"{self.group_send_p99_ms:.1f} ms, {self.group_send_p99_ms / p99:.1f}x this "
                f"run's p99 at {o.observers:,}\n"
            )
        for name, passed in self.checks():
            out.write(f"  {'PASS' if passed else 'FAIL'}  {name}\n")


def _analyse(report: Report, results: list[dict], window: tuple[float, float]) -> None:
    start, end = window
    sent_at: dict[int, float] = {}
    dreams: set[int] = set()
    for result in results:
        for seq, at in result["sent_at"].items():
            sent_at.setdefault(seq, at)
        dreams.update(seq for seq, event in result["events"].items() if event == "sigil")
    in_window = sorted(seq for seq, at in sent_at.items() if start <= at <= end)
    if report.options.protocol == "native":
        expected = set(range(in_window[0], in_window[-1] + 1)) if in_window else set()
    else:  # socket.io's observers keep the keys of the dream events only
        expected = dreams.intersection(in_window)
    report.events = len(expected)
    report.dreams = len(dreams.intersection(in_window))
    delays: list[float] = []
    dream_delays: list[float] = []
    for result in results:
        seqs, secs = array.array("q"), array.array("d")
        seqs.frombytes(result["delay_seq"])
        secs.frombytes(result["delay_s"])
        for seq, delay in zip(seqs, secs, strict=True):
            if seq in expected:
                delays.append(1000 * delay)
                if seq in dreams:
                    dream_delays.append(1000 * delay)
        report.client_cpu_percent.append(result["cpu_percent"])
        for snapshot_seq, raw, close_code in result["observers"]:
            received = array.array("q")
            received.frombytes(raw)
            report.lost += len(expected.difference(received))
            report.closed += close_code is not None
            previous = snapshot_seq
            for seq in received:
                if seq <= previous:
                    report.out_of_order += 1
                elif seq != previous + 1 and report.options.protocol == "native":
                    report.gaps += 1
                previous = max(previous, seq)
    report.delays_ms = sorted(dream_delays)
    report.all_delays_ms = sorted(delays)


def _encoding_baseline(report: Report, sample: bytes | None) -> None:
    from dreams.realtime.daphne_port import prepare
    from dreams.realtime.events import encode_frame

    if sample is None:
        return
    frame = json.loads(sample)
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        prepare(encode_frame(frame["event"], frame["data"], frame["seq"]))
        timings.append(time.perf_counter() - started)
    once = statistics.median(timings)
    report.encode_once_us = once * 1e6
    report.encode_per_observer_ms = once * 1000 * report.options.observers


async def _group_send_baseline(observers: int, events: int = 5) -> list[float]:
    """The shape the design note measured: one channel and one waiting task per observer,
    one group_send per event, over the in-memory layer."""
    from channels.layers import InMemoryChannelLayer

    layer = InMemoryChannelLayer(capacity=1000)
    delays: list[float] = []
    channels = [await layer.new_channel() for _ in range(observers)]
    for channel in channels:
        await layer.group_add("observers", channel)

    async def observer(channel: str) -> None:
        for _ in range(events):
            message = await layer.receive(channel)
            delays.append(1000 * (time.time() - message["sent_at"]))

    tasks = [asyncio.create_task(observer(channel)) for channel in channels]
    await asyncio.sleep(0.1)
    for _ in range(events):
        await layer.group_send("observers", {"type": "dream", "sent_at": time.time()})
        await asyncio.sleep(0.2)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    return sorted(delays)


# -- the run ----------------------------------------------------------------------------


def _warm_up(port: int, protocol: str) -> None:
    """One observer until its first dream: the server has imported everything and the
    conductor dreams, so neither is counted as the observers' memory."""

    async def observe() -> None:
        sink = ClientSink()
        client = await _open(asyncio.get_running_loop(), port, protocol, sink, _gate())
        deadline = time.monotonic() + START_TIMEOUT_S
        while not client.seqs:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no dream reached an observer on port {port}")
            await asyncio.sleep(0.05)
        assert client.transport is not None
        client.transport.close()

    asyncio.run(observe())


def _gate() -> asyncio.Semaphore:
    return asyncio.Semaphore(1)


def _start_servers(
    servers: Servers, options: BenchOptions, stack: contextlib.ExitStack
) -> list[Server]:
    database_url = stack.enter_context(_database(servers.work, options.postgres_url))
    servers.env["DATABASE_URL"] = database_url
    if options.mode == "redis":
        redis_url, prefix = stack.enter_context(_redis(servers, options.redis_url))
        servers.env.update(REDIS_URL=redis_url, DREAMS_REDIS_PREFIX=prefix)
    servers.run("migrate", "--noinput", "--verbosity", "0")
    servers.run("seed_moments", "--count", str(SEEDED_MOMENTS), "--seed", "7")

    def serve(name: str, port: int, *args: str) -> Server:
        if options.server == "uvicorn":
            command = [sys.executable, "-m", "benchmarks.uvicorn_serve", "--port", str(port)]
            return servers.start(name, [*command, *args], port)
        return servers.manage(name, "serve", "--port", str(port), *args, port=port)

    if options.mode == "embedded":
        web = [serve("serve", free_port())]
    else:
        web = [
            serve(f"web-{name}", port, "--no-conductor")
            for name, port in (("a", free_port()), ("b", free_port()))
        ]
        servers.manage("conductor", "run_conductor")
    for server in web:
        servers.wait_serving(server)
    return web


def run_bench(options: BenchOptions, *, progress: Callable[[str], None] = lambda _: None) -> Report:
    if options.mode not in MODES:
        raise ValueError(f"mode is one of {MODES}")
    if options.server not in SERVERS:
        raise ValueError(f"server is one of {SERVERS}")
    if options.protocol not in PROTOCOLS:
        raise ValueError(f"protocol is one of {PROTOCOLS}")
    raise_fd_limit()  # inherited by the servers
    report = Report(options)
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="dreams-bench-fanout-") as scratch,
        contextlib.ExitStack() as stack,
    ):
        work = Path(scratch)
        servers = Servers(work, server_env(work, rate=options.rate))
        stack.callback(servers.stop_all)
        progress(f"starting the {options.mode} servers ({options.server})")
        web = _start_servers(servers, options, stack)
        for server in web:
            assert server.port is not None
            _warm_up(server.port, options.protocol)
        time.sleep(options.settle_s / 2)
        rss_before = {server.name: server.rss_kb() for server in web}

        processes, pipes = [], []
        share, extra = divmod(options.observers, options.client_processes)
        first = 0
        for index in range(options.client_processes):
            count = share + (index < extra)
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=client_process,
                args=(
                    child_end,
                    [server.port for server in web],
                    count,
                    first,
                    options.grace_s,
                    options.protocol,
                ),
                daemon=True,
            )
            process.start()
            processes.append(process)
            pipes.append(parent_end)
            first += count
        stack.callback(lambda: [process.kill() for process in processes if process.is_alive()])

        progress(f"connecting {options.observers:,} observers")
        for pipe in pipes:
            pipe.send("connect")
        for pipe in pipes:
            if not pipe.poll(START_TIMEOUT_S + options.observers / 50):
                raise RuntimeError("the clients did not connect in time")
            _, connected = pipe.recv()
            report.connected += connected
        time.sleep(options.settle_s)
        for index, server in enumerate(web):
            # Observer i connects to web process i mod len(web).
            held = report.connected // len(web) + (index < report.connected % len(web))
            grown = server.rss_kb() - rss_before[server.name]
            report.rss_per_observer_kb[server.name] = grown / max(1, held)

        progress(f"measuring for {options.seconds:g} s")
        cpu_before = {server.name: server.cpu_s() for server in web}
        window_start = time.time()
        for pipe in pipes:
            pipe.send(("start", window_start))
        time.sleep(options.seconds)
        window_end = time.time()
        for server in web:
            used = server.cpu_s() - cpu_before[server.name]
            report.server_cpu_percent[server.name] = 100 * used / (window_end - window_start)
        for pipe in pipes:
            pipe.send(("stop", window_end))
        results = []
        for pipe in pipes:
            if not pipe.poll(options.grace_s + 60):
                raise RuntimeError("the clients did not report in time")
            results.append(pipe.recv())
        for process in processes:
            process.join(timeout=10)
        for server in web:
            if not server.alive():
                raise RuntimeError(f"{server.name} died during the run:\n{server.log()[-3000:]}")
    _analyse(report, results, (window_start, window_end))
    progress("measuring the baselines")
    _encoding_baseline(report, next((r["sample"] for r in results if r["sample"]), None))
    if options.baseline_observers:
        report.group_send_observers = min(options.observers, options.baseline_observers)
        delays = asyncio.run(_group_send_baseline(report.group_send_observers))
        report.group_send_p99_ms = _percentile(delays, 0.99)
    return report
