"""The cron-facing commands: run_dream (exit statuses, output, stopping on SIGTERM),
dream_status, install_dream_cron and bench_dream."""

import fcntl
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dreams.models import (
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    RunReason,
    RunStatus,
    Trigger,
)
from dreams.services import dream_runs
from dreams.services.seeding import moments_seed
from engines.models import SelectionSource
from engines.selection import engine_select
from tests.children import child_env, manage
from tests.conftest import CANARY_SECRET as CANARY
from tests.processes import dream_processes

# Setup is finished here: the gate before it is tested in test_setup_wizard.py.
pytestmark = pytest.mark.usefixtures("setup_done")

RUN_FIELDS = {
    "id",
    "trigger",
    "status",
    "reason",
    "reason_label",
    "detail",
    "stage",
    "engine",
    "model",
    "force",
    "dry_run",
    "material_count",
    "warnings",
    "outcome",
    "review_id",
    "started_at",
    "finished_at",
    "duration_ms",
}
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def run_dream(*args: str, stdout: io.StringIO | None = None) -> tuple[int, str, str]:
    """The exit status, stdout and stderr of `manage.py run_dream ARGS`."""
    out, err = stdout or io.StringIO(), io.StringIO()
    try:
        call_command("run_dream", *args, stdout=out, stderr=err)
    except SystemExit as exited:
        return exited.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def last_run() -> DreamRun:
    return DreamRun.objects.latest("id")


@pytest.fixture
def moments(db) -> int:
    return moments_seed(count=12)


@pytest.fixture
def holder(db) -> DreamRun:
    """A run in another process that holds the lock, its lease good for minutes yet."""
    return DreamRun.objects.create(
        trigger=Trigger.API,
        status=RunStatus.RUNNING,
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )


# --- run_dream: exit statuses ---------------------------------------------------------------


def test_a_written_dream_exits_0(moments):
    code, out, err = run_dream("--force")

    assert code == 0, err
    review = DreamReview.objects.get()
    run = last_run()
    # Typed by a person: recorded as such (cron's line says --schedule-every).
    assert (run.trigger, run.status, run.review) == (Trigger.CLI, RunStatus.WRITTEN, review)
    assert f"wrote dream review {review.pk}" in out
    assert "12 moments, engine offline" in out


def test_not_due_exits_0(moments):
    run_dream("--force")

    code, out, _ = run_dream()

    assert code == 0
    assert (last_run().status, last_run().reason) == (RunStatus.SKIPPED, RunReason.NOT_DUE)
    assert "skipped: not due yet" in out


def test_too_little_material_exits_0(db):
    code, out, _ = run_dream("--force")

    assert code == 0
    assert last_run().reason == RunReason.NO_MATERIAL
    assert "0 new moments since the last dream; 5 needed" in out


def test_dreaming_turned_off_exits_0(moments):
    DreamSettings.objects.update_or_create(pk=1, defaults={"enabled": False})

    code, out, _ = run_dream("--force")

    assert code == 0
    assert last_run().reason == RunReason.DISABLED
    assert "skipped: dreaming is turned off" in out
    assert DreamReview.objects.count() == 0


def test_another_run_holding_the_lock_exits_3(moments, holder):
    code, out, err = run_dream("--force")

    assert code == 3
    assert out == ""
    assert "another run was in progress" in err
    assert f"Dream run {holder.pk} is running" in err
    assert DreamRun.objects.get(pk=holder.pk).status == RunStatus.RUNNING


def test_a_failed_run_exits_1(moments):
    engine_select(engine="claude-cli", source=SelectionSource.CLI, allow_not_ready=True)

    code, _, err = run_dream("--force")

    assert code == 1
    run = last_run()
    assert (run.status, run.reason) == (RunStatus.FAILED, RunReason.ENGINE_NOT_READY)
    assert "failed: the engine was not ready" in err
    assert "Install the Claude Code CLI" in err
    assert DreamReview.objects.count() == 0
    assert not DreamRun.objects.filter(status=RunStatus.RUNNING).exists()


# --- run_dream: output ------------------------------------------------------------------


def test_json_prints_one_object_describing_the_run(moments):
    code, out, _ = run_dream("--force", "--json")

    assert code == 0
    assert len(out.splitlines()) == 1
    data = json.loads(out)
    assert set(data) == RUN_FIELDS
    run = last_run()
    assert data["id"] == run.pk
    assert (data["status"], data["reason"], data["trigger"]) == ("written", "", "cli")
    assert (data["engine"], data["material_count"]) == ("offline", 12)
    assert data["review_id"] == DreamReview.objects.get().pk
    assert data["duration_ms"] == run.duration_ms
    assert data["warnings"] == []


def test_json_describes_a_refusal_too(moments, holder):
    code, out, err = run_dream("--force", "--json")

    assert code == 3
    assert json.loads(out)["reason"] == "already_running"
    assert err == ""


def test_a_dry_run_writes_no_review(moments):
    code, out, _ = run_dream("--force", "--dry-run")

    assert code == 0
    run = last_run()
    assert (run.status, run.dry_run, run.review) == (RunStatus.WRITTEN, True, None)
    assert DreamReview.objects.count() == 0
    assert f'would have written "{run.outcome["title"]}"' in out
    assert "nothing was saved" in out


def test_plain_output_is_timestamped_lines(moments):
    _, out, _ = run_dream("--force")

    lines = out.splitlines()
    assert len(lines) == 2  # started, then the outcome
    assert all(TIMESTAMPED.match(line) for line in lines)
    assert "\r" not in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db(transaction=True)
def test_on_a_terminal_the_stage_is_shown_while_it_dreams(monkeypatch):
    moments_seed(count=12)
    real_engine_dream = dream_runs.engine_dream

    def slow_engine_dream(**kwargs: object) -> object:
        time.sleep(1.2)
        return real_engine_dream(**kwargs)

    monkeypatch.setattr(dream_runs, "engine_dream", slow_engine_dream)

    code, out, _ = run_dream("--force", stdout=Terminal())

    assert code == 0
    assert re.search(r"\r\033\[K  dreaming\.\.\. \d+ s", out)
    assert not TIMESTAMPED.match(out)
    assert out.rstrip().endswith("12 moments, engine offline.")


@pytest.mark.django_db(transaction=True)
def test_sigterm_marks_the_run_and_frees_the_lock(tmp_path, engine_env):
    with dream_processes(tmp_path, engine_env) as processes:
        child = processes.start("run_dream", "--force")
        dreaming = processes.wait_for_stage("dreaming")
        processes.wait_for_engine()

        child.send_signal(signal.SIGTERM)
        # The stub engine would hold on for a minute: stopping must not wait for it.
        _, err = child.communicate(timeout=10)

        assert child.returncode == 128 + signal.SIGTERM
        assert f"Dream run {dreaming.pk} was stopped by SIGTERM" in err
        stopped = processes.runs().get(pk=dreaming.pk)
        assert (stopped.status, stopped.reason) == (RunStatus.ABANDONED, RunReason.INTERRUPTED)
        assert stopped.lease_expires_at is None

        processes.release_engine()
        after = processes.manage("run_dream", "--force", "--json")

        assert after.returncode == 0, after.stderr
        assert json.loads(after.stdout)["status"] == "written"


# --- dream_status -----------------------------------------------------------------------


def test_dream_status_shows_health_the_next_dream_and_the_last_runs(moments, scheduler_checking):
    run_dream("--force")
    run_dream()  # not due: left out of the table

    out = io.StringIO()
    call_command("dream_status", stdout=out)

    text = out.getvalue()
    assert "Dream health: Dreaming as scheduled (healthy)" in text
    next_due = DreamSettings.load().next_slot(timezone.now())
    assert f"Next dream: {next_due:%Y-%m-%d %H:%M} UTC" in text
    assert "New moments since the last dream: 0 (5 needed)" in text
    rows = [line for line in text.splitlines() if re.match(r"^\s+\d+\s+\d{4}-", line)]
    assert len(rows) == 1
    assert "cli        written" in rows[0]


def test_dream_status_when_a_dream_is_due(moments, scheduler_checking):
    out = io.StringIO()
    call_command("dream_status", stdout=out)

    text = out.getvalue()
    assert "No dream yet (never_ran)" in text
    assert "Next dream: due now" in text
    assert "No runs yet." in text


def test_dream_status_json(moments, scheduler_checking):
    run_dream("--force")

    out = io.StringIO()
    call_command("dream_status", "--json", stdout=out)

    data = json.loads(out.getvalue())
    assert data["health"] == {"status": "healthy", "label": "Dreaming as scheduled", "fix_hint": ""}
    assert (data["enabled"], data["due_now"], data["time_zone"]) == (True, False, "UTC")
    assert data["next_due_at"].endswith("T03:00:00Z")
    assert (data["new_moments"], data["min_new_moments"], data["running_run_id"]) == (0, 5, None)
    assert [run["status"] for run in data["runs"]] == ["written"]
    assert set(data["runs"][0]) == RUN_FIELDS


# --- install_dream_cron -------------------------------------------------------------------

FAKE_CRONTAB = """\
#!/bin/sh
# Keeps the table in $CRONTAB_FILE, like crontab -l / crontab - do.
if [ "$1" = "-l" ]; then
    [ -f "$CRONTAB_FILE" ] || { echo "no crontab for tester" >&2; exit 1; }
    cat "$CRONTAB_FILE"
elif [ "$1" = "-" ]; then
    cat > "$CRONTAB_FILE"
else
    exit 2
fi
"""


@pytest.fixture
def cron_bin(tmp_path, engine_env) -> Path:
    """A PATH with flock and a crontab that keeps its table in a file."""
    directory = tmp_path / "cron-bin"
    directory.mkdir()
    for name, source in (("crontab", FAKE_CRONTAB), ("flock", "#!/bin/sh\nexit 0\n")):
        (directory / name).write_text(source)
        (directory / name).chmod(0o755)
    engine_env(PATH=f"{directory}:/bin", CRONTAB_FILE=str(tmp_path / "crontab.txt"))
    return directory


def install_dream_cron(*args: str) -> str:
    out = io.StringIO()
    call_command("install_dream_cron", *args, stdout=out)
    return out.getvalue()


def test_install_dream_cron_prints_the_line(cron_bin, settings):
    out = install_dream_cron()

    line = next(line for line in out.splitlines() if line.startswith("*/5 "))
    log = f"{settings.VAR_DIR}/run_dream.log"
    assert line.startswith(
        f"*/5 * * * * cd {settings.BASE_DIR} && . {settings.VAR_DIR}/cron.env && "
        f"{{ {cron_bin}/flock -n -E 75 {settings.VAR_DIR}/run_dream.lock {sys.executable} "
        f"manage.py run_dream --schedule-every 5 >> {log} 2>&1; "
    )
    assert "%" not in line.replace("\\%", "")  # cron ends a command at a bare %
    assert not (cron_bin.parent / "crontab.txt").exists()
    environment = settings.VAR_DIR / "cron.env"
    assert environment.stat().st_mode & 0o077 == 0
    assert CANARY not in out


def _cron_shell(line: str) -> str:
    """The command of a crontab line, as cron hands it to /bin/sh."""
    return line.split(" ", 5)[5].replace("\\%", "%")


@pytest.mark.slow
def test_the_cron_line_under_an_empty_environment_dreams_in_the_same_database(tmp_path):
    database = tmp_path / "dreams.sqlite3"
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{database}", DEBUG="false")
    for args in (
        ("migrate", "--noinput", "--verbosity", "0"),
        ("seed_moments", "--count", "12"),
        ("dream_settings", "--finish-setup"),
    ):
        manage(env, *args)
    printed = manage(env, "install_dream_cron")
    assert CANARY not in printed and env["SECRET_KEY"] not in printed
    line = next(line for line in printed.splitlines() if line.startswith("*/5 "))

    ran = subprocess.run(
        ["env", "-i", "/bin/sh", "-c", _cron_shell(line)], capture_output=True, timeout=120
    )

    assert ran.returncode == 0, ran.stderr
    rows = sqlite3.connect(database).execute(
        "SELECT trigger, status FROM dreams_dreamrun"
    ).fetchall()
    assert rows == [("schedule", "written")]
    log = (Path(env["DREAMS_VAR_DIR"]) / "run_dream.log").read_text()
    assert "wrote dream review" in log
    assert "Traceback" not in log

    # Another run holds flock's lock: the check is skipped, and the log says so.
    with open(Path(env["DREAMS_VAR_DIR"]) / "run_dream.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        held = subprocess.run(["env", "-i", "/bin/sh", "-c", _cron_shell(line)], timeout=60)
    assert held.returncode == 0
    last = (Path(env["DREAMS_VAR_DIR"]) / "run_dream.log").read_text().splitlines()[-1]
    assert last.endswith("Skipped: another dream run holds the lock (flock).")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", last)


def test_install_dream_cron_every(cron_bin):
    assert "*/15 * * * * cd " in install_dream_cron("--every", "15")
    with pytest.raises(CommandError, match="from 1 to 59"):
        install_dream_cron("--every", "0")


def test_install_dream_cron_apply_is_idempotent_and_keeps_other_lines(cron_bin, tmp_path):
    table = tmp_path / "crontab.txt"
    table.write_text("MAILTO=ops@example.org\n0 4 * * * /usr/local/bin/backup\n")

    install_dream_cron("--apply")
    once = table.read_text()
    install_dream_cron("--apply")
    assert table.read_text() == once
    install_dream_cron("--apply", "--every", "10")

    lines = table.read_text().splitlines()
    assert lines[:2] == ["MAILTO=ops@example.org", "0 4 * * * /usr/local/bin/backup"]
    assert len(lines) == 4
    assert lines[2].startswith("# Dreams: scheduled dream runs")
    assert lines[3].startswith("*/10 * * * * cd ")


def test_install_dream_cron_apply_into_an_empty_crontab(cron_bin, tmp_path):
    out = install_dream_cron("--apply")

    assert "Installed in your crontab" in out
    assert "run_dream" in (tmp_path / "crontab.txt").read_text().splitlines()[1]


def test_install_dream_cron_without_crontab_or_flock(cron_bin, engine_env):
    engine_env(PATH=str(cron_bin))  # out of sight of any crontab or flock on this machine
    (cron_bin / "crontab").unlink()
    with pytest.raises(CommandError, match="crontab is not installed"):
        install_dream_cron("--apply")

    (cron_bin / "flock").unlink()
    with pytest.raises(CommandError, match="flock is not installed"):
        install_dream_cron()


# --- bench_dream --------------------------------------------------------------------------


@pytest.mark.slow
def test_bench_dream_reports_time_and_memory_without_touching_this_database(moments):
    out = io.StringIO()

    call_command("bench_dream", "--count", "60", "--baseline", "20", stdout=out)

    text = out.getvalue()
    assert "Database: a scratch SQLite file" in text
    assert re.search(r"^\s+60\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+%\s+\d+\s+\d+$", text, re.M)
    assert re.search(r"60 moments in \d+\.\d\d s \(target < 10 s\): PASS", text)
    assert "the time of the 20-moment baseline" in text
    assert (MindMoment.objects.count(), DreamRun.objects.count()) == (moments, 0)


def test_the_json_of_a_run_is_the_api_s_run_object(moments, client):
    code, out, _ = run_dream("--force", "--json")
    assert code == 0
    printed = json.loads(out)
    assert printed == client.get(f"/api/dream/runs/{printed['id']}/").json()
