"""Commands meet a database, disk or configuration that is not usable with one line on
stderr that says what is wrong and what to do, and exit 4: never a traceback, a path or a
value from the environment. Real `manage.py` children against real faults."""

import os
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from dreamsite.commands import EXIT_UNUSABLE
from tests.children import child_env
from tests.conftest import CANARY_SECRET

CHILD_TIMEOUT_S = 120
SETTINGS_MODULE = "command_failure_settings"

# One command line per command that must say so, each of them touching the database.
COMMANDS = {
    "run_dream": ("run_dream", "--force"),
    "dream_status": ("dream_status",),
    "seed_moments": ("seed_moments", "--count", "3"),
    "engines": ("engines", "select", "offline"),
    "dream_settings": ("dream_settings", "--set", "enabled=false"),
}
EVERY_COMMAND = pytest.mark.parametrize("command", list(COMMANDS))


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )


def _one_line_saying(
    completed: subprocess.CompletedProcess[str], *, problem: str, fix: str, env: dict[str, str]
) -> str:
    """The one line on stderr, once the exit status and the whole output are as promised."""
    output = completed.stdout + completed.stderr
    lines = completed.stderr.splitlines()
    assert completed.returncode == EXIT_UNUSABLE, output
    assert len(lines) == 1, output
    line = lines[0]
    assert problem in line
    assert fix in line
    assert "Traceback" not in output
    assert "/" not in line  # no path, no URL
    for place in (settings.BASE_DIR, env["DREAMS_VAR_DIR"], env["HOME"]):
        assert str(place) not in output
    assert CANARY_SECRET not in output
    if "DATABASE_URL" in env:
        assert env["DATABASE_URL"] not in output
    return line


def _closed_port() -> int:
    """A port nothing listens on: taken from the system, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _with_settings(env: dict[str, str], directory: Path, text: str) -> dict[str, str]:
    """`env` with the real settings plus `text`, as a module of its own in `directory`."""
    (directory / f"{SETTINGS_MODULE}.py").write_text(
        "from dreamsite.settings import *  # noqa: F403\n" + text
    )
    return {**env, "PYTHONPATH": str(directory), "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A freshly migrated SQLite database, as bytes (each test writes its own copy)."""
    place = tmp_path_factory.mktemp("migrated")
    env = child_env(place)
    Path(env["DREAMS_VAR_DIR"]).mkdir(parents=True)
    migrated = _manage(env, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    return (Path(env["DREAMS_VAR_DIR"]) / "dreams.sqlite3").read_bytes()


@pytest.fixture
def sqlite_env(tmp_path: Path, migrated_sqlite: bytes) -> tuple[dict[str, str], Path]:
    env = child_env(tmp_path)
    var_dir = Path(env["DREAMS_VAR_DIR"])
    var_dir.mkdir(parents=True)
    database = var_dir / "dreams.sqlite3"
    database.write_bytes(migrated_sqlite)
    return env, database


@pytest.fixture
def locked_sqlite(sqlite_env: tuple[dict[str, str], Path]) -> Iterator[tuple[dict, Path]]:
    """The database while another connection holds it exclusively (as a long write, or a
    tool keeping it open, does)."""
    env, database = sqlite_env
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        yield env, database
    finally:
        holder.close()


@EVERY_COMMAND
def test_unreachable_postgres_is_one_line_saying_to_start_it_or_fix_database_url(
    command: str, tmp_path: Path
):
    env = child_env(
        tmp_path, DATABASE_URL=f"postgres://postgres:not-said@127.0.0.1:{_closed_port()}/test"
    )

    completed = _manage(env, *COMMANDS[command])

    _one_line_saying(
        completed, problem="Cannot connect to the database server", fix="DATABASE_URL", env=env
    )
    assert "not-said" not in completed.stderr


@EVERY_COMMAND
def test_database_never_migrated_is_one_line_saying_to_run_migrate(command: str, tmp_path: Path):
    env = child_env(tmp_path)
    Path(env["DREAMS_VAR_DIR"]).mkdir(parents=True)  # empty: migrate never ran

    completed = _manage(env, *COMMANDS[command])

    _one_line_saying(
        completed, problem="tables are missing", fix="python manage.py migrate", env=env
    )


@pytest.mark.parametrize("command", [name for name in COMMANDS if name != "dream_status"])
def test_writing_to_a_read_only_database_is_one_line_saying_to_make_it_writable(
    command: str, sqlite_env: tuple[dict[str, str], Path], tmp_path: Path
):
    plain_env, database = sqlite_env
    # SQLite itself opens it read-only: a fault that holds for root too.
    env = _with_settings(
        plain_env,
        tmp_path,
        f'DATABASES["default"]["NAME"] = "file:{database}?mode=ro"\n',
    )

    completed = _manage(env, *COMMANDS[command])

    _one_line_saying(completed, problem="read-only", fix="writable", env=env)


@EVERY_COMMAND
def test_database_locked_by_another_process_is_one_line_saying_to_wait(
    command: str, locked_sqlite: tuple[dict[str, str], Path], tmp_path: Path
):
    plain_env, _ = locked_sqlite
    # The real lock, met after 0.1 s instead of the configured 20 s of waiting.
    env = _with_settings(plain_env, tmp_path, 'DATABASES["default"]["OPTIONS"]["timeout"] = 0.1\n')

    completed = _manage(env, *COMMANDS[command])

    _one_line_saying(
        completed, problem="locked by another process", fix="Wait for that process", env=env
    )


def test_missing_var_directory_is_one_line_saying_to_create_it_and_migrate(tmp_path: Path):
    env = child_env(tmp_path)  # its DREAMS_VAR_DIR does not exist

    completed = _manage(env, "dream_status")

    line = _one_line_saying(completed, problem="cannot be opened", fix="DREAMS_VAR_DIR", env=env)
    assert "python manage.py migrate" in line


def test_full_disk_is_one_line_saying_to_free_space(tmp_path: Path):
    env = child_env(tmp_path)
    var_dir = Path(env["DREAMS_VAR_DIR"])
    var_dir.mkdir(parents=True)
    # Every write to /dev/full fails with ENOSPC, as on a full disk.
    (var_dir / "cron.env").symlink_to("/dev/full")
    device_mode = os.stat("/dev/full").st_mode

    completed = _manage(env, "install_dream_cron")

    _one_line_saying(completed, problem="The disk is full", fix="Free space", env=env)
    assert stat.S_IMODE(os.stat("/dev/full").st_mode) == stat.S_IMODE(device_mode)


def test_unusable_configuration_is_one_line_saying_to_fix_the_environment(tmp_path: Path):
    env = child_env(tmp_path, DATABASE_URL="nosuchdb://dreams@127.0.0.1/dreams")

    completed = _manage(env, "dream_status")

    line = _one_line_saying(
        completed, problem="The configuration is not usable", fix="environment", env=env
    )
    assert "database backend" in line


def test_traceback_option_still_shows_the_traceback(tmp_path: Path):
    env = child_env(tmp_path)
    Path(env["DREAMS_VAR_DIR"]).mkdir(parents=True)

    completed = _manage(env, "dream_status", "--traceback")

    assert completed.returncode != 0
    assert "Traceback" in completed.stderr
    assert "no such table" in completed.stderr
