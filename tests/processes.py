"""`manage.py` in child processes, as cron and other servers run it, against a database this
test can read too, with a `claude` CLI that dreams only when the test lets it.

On PostgreSQL the children use the test database itself (tests need
`django_db(transaction=True)`, so that they see what the test commits and the test sees
what they do). SQLite's test database lives in this process's memory, so there the children
share a scratch file, which the test reads through an extra connection alias.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from dreams.models import DreamRun, DreamSettings
from tests.conftest import CANARY_SECRET

# Answers with a dream citing the first moment of its material once the release file
# exists; exits at once when the run that started it is gone (SIGKILL leaves no one to
# stop it, and it runs in a session of its own).
CLAUDE_STUB = """\
import json, os, sys, time

material = json.loads(sys.stdin.read().split("\\n", 1)[1])
open(os.environ["STUB_STARTED"], "w").close()
parent = os.getppid()
deadline = time.monotonic() + 60
while not os.path.exists(os.environ["STUB_RELEASE"]):
    if os.getppid() != parent or time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.05)
draft = {
    "title": "A dream of waiting",
    "narrative": "The mind waited for the others to stop asking.",
    "themes": [{"name": "waiting", "summary": "It waited.",
                "moment_ids": [material["moments"][0]["id"]]}],
    "threads": [{"name": "waiting"}],
    "sigil_phrase": "waiting",
    "sigil_code": "ctx.beginPath();\\nctx.arc(50, 50, 30, 0, Math.PI * 2);\\nctx.stroke();",
    "circumplex": {"valence": 0.1, "arousal": -0.2},
}
print(json.dumps({"type": "result", "is_error": False, "result": json.dumps(draft)}))
"""

SEEDED_MOMENTS = 12
CHILD_TIMEOUT_S = 60
SQLITE_ALIAS = "children"


@dataclass(frozen=True)
class DreamProcesses:
    env: dict[str, str]
    alias: str
    release_file: Path
    engine_started_file: Path
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _manage(self.env, *args)

    def start(self, *args: str) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(child)
        return child

    def runs(self) -> QuerySet[DreamRun]:
        return DreamRun.objects.using(self.alias)

    def dream_settings(self, **fields: object) -> None:
        DreamSettings.objects.using(self.alias).update_or_create(
            pk=DreamSettings.SINGLETON_ID, defaults=fields
        )

    def release_engine(self) -> None:
        self.release_file.touch()

    def wait_for_engine(self, *, timeout: float = 30.0) -> None:
        """Until the stub engine has been started and is holding on."""
        deadline = time.monotonic() + timeout
        while not self.engine_started_file.exists():
            assert time.monotonic() < deadline, f"the engine did not start within {timeout} s"
            time.sleep(0.05)

    def wait_for_stage(self, stage: str, *, timeout: float = 30.0) -> DreamRun:
        """The run that reached `stage`, as soon as it has."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.runs().filter(stage=stage).first()
            if run is not None:
                return run
            time.sleep(0.05)
        raise AssertionError(f"no run reached the {stage!r} stage within {timeout} s")


def wait_until(condition: Callable[[], bool], what: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    assert CANARY_SECRET not in completed.stdout + completed.stderr
    return completed


def _test_database_url() -> str:
    database = connections["default"].settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "localhost"
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{database['NAME']}"


@contextmanager
def _sqlite_alias(path: Path) -> Iterator[str]:
    # Set on this thread only, outside the configured databases: Django's test case then
    # treats it as a connection made on the fly, not one it must keep this test away from.
    children = connections["default"].copy(SQLITE_ALIAS)
    children.settings_dict["NAME"] = str(path)
    connections[SQLITE_ALIAS] = children
    try:
        yield SQLITE_ALIAS
    finally:
        children.close()
        del connections[SQLITE_ALIAS]


@contextmanager
def dream_processes(tmp_path: Path, engine_env: Callable[..., None]) -> Iterator[DreamProcesses]:
    """Children that dream with the stub `claude` (selected, logged in) over a few seeded
    moments. This process gets the same engine, for runs the live server starts."""
    bin_dir, home = tmp_path / "bin", tmp_path / "home"
    bin_dir.mkdir()
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / ".credentials.json").write_text("{}")
    stub = bin_dir / "claude"
    stub.write_text(f"#!{sys.executable}\n{CLAUDE_STUB}")
    stub.chmod(0o755)
    release_file = tmp_path / "release-the-engine"
    engine_started_file = tmp_path / "engine-started"
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    stub_files = {"STUB_RELEASE": str(release_file), "STUB_STARTED": str(engine_started_file)}
    engine_env(PATH=path, HOME=str(home), **stub_files)
    env = {
        "PATH": path,
        "HOME": str(home),
        **stub_files,
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "true",
        "DEBUG": "true",
        "DREAMS_VAR_DIR": str(tmp_path / "child-var"),
        "DREAMS_LEGACY_CONFIG": str(tmp_path / "no-legacy-config.json"),
        "OLLAMA_HOST": "http://127.0.0.1:9",
        # Must never reach the children's output: DreamProcesses.manage checks.
        "DREAMS_CANARY_SECRET": CANARY_SECRET,
    }
    with _shared_database(tmp_path, env) as alias:
        processes = DreamProcesses(env, alias, release_file, engine_started_file)
        for args in (
            ("seed_moments", "--count", str(SEEDED_MOMENTS)),
            ("engines", "select", "claude-cli"),
        ):
            completed = processes.manage(*args)
            assert completed.returncode == 0, completed.stderr
        processes.dream_settings(setup_completed_at=timezone.now())
        try:
            yield processes
        finally:
            # A failed test must not leave children behind to hold the lock or the database.
            for child in processes.started:
                if child.poll() is None:
                    child.kill()
                child.communicate()


@contextmanager
def _shared_database(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    if connections["default"].vendor == "postgresql":
        env["DATABASE_URL"] = _test_database_url()
        yield "default"
        return
    path = tmp_path / "children.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{path}"
    migrated = _manage(env, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    with _sqlite_alias(path) as alias:
        yield alias
