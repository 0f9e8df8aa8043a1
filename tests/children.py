"""Child processes started the way operators start them (`manage.py serve`,
`run_conductor`, ...), each in a process group of its own, stopped when its test ends, with
its output in a log file shown when the test fails."""

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

from tests.conftest import CANARY_SECRET
from tests.settings import SESSION_TOKEN

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def holder(self) -> str:
        """Its name on the leader lease, as its conductor announced it on starting (empty
        until then: no lease has that holder)."""
        announced = re.search(r"Conductor (\S+) started", self.log())
        return announced.group(1) if announced else ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """`kill -9`: no handler runs, nothing is released."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_S)


class Children:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Child] = []

    def start(self, name: str, env: dict[str, str], *args: str) -> Child:
        log_path = self.log_dir / f"{name}.log"
        # A file, not a pipe: nobody reads while the test runs, and a full pipe would
        # block the child.
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, log_path)
        self.started.append(child)
        return child

    def stop_all(self) -> None:
        """SIGTERM every group at once (a conductor releases its lease), then SIGKILL
        whatever is still running when the shared deadline passes."""
        running = [child for child in self.started if child.alive()]
        for child in running:
            os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()


@pytest.fixture
def children(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Children]:
    started = Children(tmp_path)
    failed_before = request.session.testsfailed
    try:
        yield started
    finally:
        started.stop_all()
    if request.session.testsfailed > failed_before:
        # Shown by pytest with the failure only.
        for child in started.started:
            print(f"--- {child.name} (exit {child.process.returncode}) ---\n{child.log()[-4000:]}")
    leaked = [child.name for child in started.started if CANARY_SECRET in child.log()]
    assert not leaked, f"the canary secret leaked into the output of {leaked}"


def child_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {
        "PATH": os.pathsep.join(["/usr/bin", "/bin"]),
        "HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "true",
        "DEBUG": "true",
        "DREAMS_SESSION_TOKEN": SESSION_TOKEN,
        "SECRET_KEY": "test-only-secret-key-for-child-processes",
        "DREAMS_VAR_DIR": str(tmp_path / "child-var"),
        "DREAMS_LEGACY_CONFIG": str(tmp_path / "no-legacy-config.json"),
        "OLLAMA_HOST": "http://127.0.0.1:9",  # the offline engine is the one that is ready
        "DREAM_CYCLE_MS": "300",
        "DREAM_START_DELAY_MS": "100",
        "SESSION_TIMEOUT_MS": "60000",
        # Must never reach the children's output: the `children` fixture checks.
        "DREAMS_CANARY_SECRET": CANARY_SECRET,
        **variables,
    }


def manage(env: dict[str, str], *args: str) -> str:
    """Run `manage.py` to the end; its output, once it has succeeded."""
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S * 2,
        check=False,
    )
    assert completed.returncode == 0, f"manage.py {' '.join(args)}:\n{completed.stderr}"
    return completed.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def suite_on_postgres() -> bool:
    """Whether this pass of the suite runs on PostgreSQL (DATABASE_URL names one)."""
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def postgres_url() -> str:
    return os.environ["DATABASE_URL"] if suite_on_postgres() else DEFAULT_POSTGRES_URL


def require_postgres() -> None:
    """Skip when PostgreSQL is not reachable, or fail when DREAMS_REQUIRE_SERVICES is set."""
    try:
        psycopg.connect(postgres_url(), connect_timeout=3).close()
    except psycopg.Error:
        location = urlsplit(postgres_url())
        message = f"PostgreSQL is not reachable at {location.hostname}:{location.port}"
        if os.environ.get("DREAMS_REQUIRE_SERVICES"):
            pytest.fail(f"{message}, and DREAMS_REQUIRE_SERVICES requires it")
        pytest.skip(message)


@contextlib.contextmanager
def throwaway_postgres(*, template: str | None = None) -> Iterator[str]:
    """A database of this test's own (a copy of the database at the URL `template`, when
    given): other runs of the suite use the same server."""
    name = f"dreams_proc_{secrets.token_hex(4)}"
    copied = f' TEMPLATE "{urlsplit(template).path.lstrip("/")}"' if template else ""
    with psycopg.connect(postgres_url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copied}')
    try:
        yield urlsplit(postgres_url())._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(postgres_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
