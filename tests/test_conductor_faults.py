"""The conductor lives through faults of its database, with real processes and real faults:
an SQLite file held under an exclusive lock for a minute, and PostgreSQL connections cut
for seconds by a loopback proxy. While it cannot conduct, observers are told it is paused;
within 5 s of the database answering again it dreams, and cognition takes percepts sent
after the fault."""

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from tests.children import (
    Children,
    child_env,
    free_port,
    manage,
    require_postgres,
    throwaway_postgres,
)
from tests.live import Socket, named, serving, state, websocket

pytestmark = pytest.mark.slow
# Each fault is its database's own: `make test` runs the suite once per database, and each
# pass runs the fault of its own database (a minute saved on the other).
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

LOCK_S = 60.0
CUT_S = 5.0
RESUME_LIMIT_S = 5.0
PAUSE_LIMIT_S = 10.0


@contextlib.contextmanager
def exclusive_lock(database: Path) -> Iterator[None]:
    """What a backup or a maintenance job does: holds the write lock, so every write (the
    conductor's lease among them) waits, then fails with "database is locked"."""
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        connection.close()


class CuttableProxy:
    """A loopback TCP proxy in front of PostgreSQL. `cut()` drops every connection and
    refuses new ones (they are accepted and closed at once) until `restore()`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.cut_off = threading.Event()
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_off.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update({client, server})
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            with self.lock:
                self.open.discard(source)
                self.open.discard(sink)

    def cut(self) -> None:
        self.cut_off.set()
        with self.lock:
            connections = list(self.open)
        for end in connections:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        self.cut()


async def resumes_and_thinks(port: int, observer: Socket, recovered_at: float) -> None:
    """A dream within 5 s of recovery, then a live moment from percepts sent after it."""
    dream = await observer.next(
        lambda frame: frame["event"] == "sigil" and frame["data"]["isDream"],
        "a dream after the database came back",
        timeout=RESUME_LIMIT_S + 5,
    )
    resumed_after = time.monotonic() - recovered_at
    assert resumed_after < RESUME_LIMIT_S, f"dreamt {resumed_after:.1f} s after recovery"
    assert dream["data"]["momentId"]
    async with websocket(port, "/ws/session/") as perceptor:
        assert (await perceptor.send("startSession", {"client": "after the fault"}))[
            "event"
        ] == "sessionStarted"
        accepted = await perceptor.send(
            "percept", {"kind": "visual", "description": "the lights come back on"}
        )
        assert accepted["event"] == "perceptAccepted", accepted
        moment = await observer.next(
            lambda frame: frame["event"] == "mindMoment" and frame["data"]["kind"] == "live",
            "a live moment from the percept",
            timeout=15,
        )
    assert moment["data"]["isDream"] is False


@pytest.mark.skipif(ON_POSTGRES, reason="an SQLite fault: the SQLite pass runs it")
async def test_an_sqlite_file_locked_for_a_minute_pauses_the_mind_and_it_resumes(
    children: Children, tmp_path: Path
) -> None:
    database = tmp_path / "dreams.sqlite3"
    env = child_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{database}",
        COGNITIVE_CYCLE_MS="500",
        DREAMS_SCHEDULER_TICK_S="0",
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_moments", "--count", "5")
    port = free_port()
    server = children.start("serve", env, "serve", "--port", str(port))
    await serving(server, port)

    async with websocket(port, "/ws/observe/") as observer:
        await observer.next(named("sigil"), "a first dream")
        with exclusive_lock(database):
            locked_at = time.monotonic()
            paused = await observer.next(state("PAUSED"), "the pause", timeout=PAUSE_LIMIT_S)
            assert "database is not answering" in paused["data"]["reason"]
            # No dream while the database is locked: the conductor is not leading.
            with pytest.raises(AssertionError, match="no dream"):
                await observer.next(
                    named("sigil"), "no dream", timeout=LOCK_S - (time.monotonic() - locked_at)
                )
        recovered_at = time.monotonic()
        await resumes_and_thinks(port, observer, recovered_at)
    assert server.alive()
    assert "The database answers again" in server.log()


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL fault: the PostgreSQL pass runs it")
async def test_postgresql_cut_off_for_seconds_pauses_the_mind_and_it_resumes(
    children: Children, tmp_path: Path
) -> None:
    require_postgres()
    with throwaway_postgres() as database_url:
        location = urlsplit(database_url)
        proxy = CuttableProxy(location.hostname or "127.0.0.1", location.port or 5432)
        proxied = location._replace(netloc=f"{location.username}@127.0.0.1:{proxy.port}")
        env = child_env(
            tmp_path,
            DATABASE_URL=proxied.geturl(),
            COGNITIVE_CYCLE_MS="500",
            DREAMS_SCHEDULER_TICK_S="0",
        )
        try:
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            manage(env, "seed_moments", "--count", "5")
            port = free_port()
            server = children.start("serve", env, "serve", "--port", str(port))
            await serving(server, port)
            async with websocket(port, "/ws/observe/") as observer:
                await observer.next(named("sigil"), "a first dream")
                proxy.cut()
                cut_at = time.monotonic()
                paused = await observer.next(state("PAUSED"), "the pause", timeout=PAUSE_LIMIT_S)
                assert "database is not answering" in paused["data"]["reason"]
                with pytest.raises(AssertionError, match="no dream"):
                    await observer.next(
                        named("sigil"), "no dream", timeout=CUT_S - (time.monotonic() - cut_at)
                    )
                proxy.restore()
                await resumes_and_thinks(port, observer, time.monotonic())
            assert server.alive()
        finally:
            children.stop_all()
            proxy.close()
