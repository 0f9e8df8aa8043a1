"""The schedule runs itself: the leading conductor checks the cadence every tick and dreams
through the same service and lock as cron; every check leaves a heartbeat, and health says
when nothing checks the schedule or a queued run waits for a worker."""

import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from dreams.models import (
    DreamRun,
    RunReason,
    RunStatus,
    SchedulerHeartbeat,
    SchedulerSource,
    Trigger,
)
from dreams.selectors.health import HealthStatus, dream_health
from dreams.services.dream_runs import dream_run_queue
from dreams.services.seeding import moments_seed
from tests.children import Children, child_env, free_port, manage
from tests.live import eventually, serving
from tests.processes import dream_processes, wait_until

CRON_PROCESSES = 3


def run_dream(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("run_dream", *args, stdout=out, stderr=out)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue()
    return 0, out.getvalue()


def health_of(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/api/dream/health/", timeout=10).json()


# -- in one process ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cron_check_leaves_a_heartbeat_and_no_run_when_nothing_is_due(setup_done):
    moments_seed(count=12, seed=4)
    assert run_dream("--schedule-every", "5")[0] == 0  # the slot's dream
    code, out = run_dream("--schedule-every", "5")

    assert code == 0
    assert "Checked the schedule: not due yet." in out
    assert list(DreamRun.objects.values_list("trigger", "status")) == [
        (Trigger.SCHEDULE, RunStatus.WRITTEN)
    ]
    heartbeat = SchedulerHeartbeat.objects.get()
    assert (heartbeat.source, heartbeat.interval_s, heartbeat.outcome) == (
        SchedulerSource.CRON,
        300,
        RunReason.NOT_DUE,
    )


@pytest.mark.django_db
def test_health_says_nothing_checks_the_schedule_after_two_missed_intervals(setup_done):
    assert dream_health().status == HealthStatus.NO_SCHEDULER
    assert "install_dream_cron --apply" in dream_health().fix_hint
    run_dream("--schedule-every", "5")
    now = timezone.now()
    assert dream_health(now=now + timedelta(minutes=9)).status == HealthStatus.NEVER_RAN
    health = dream_health(now=now + timedelta(minutes=11))
    assert health.status == HealthStatus.NO_SCHEDULER
    assert "Keep the server running" in health.fix_hint


@pytest.mark.django_db
def test_a_person_typing_run_dream_is_no_scheduler(setup_done):
    moments_seed(count=12, seed=4)
    run_dream("--force")
    assert DreamRun.objects.get().trigger == Trigger.CLI
    assert not SchedulerHeartbeat.objects.exists()
    assert dream_health().status == HealthStatus.NO_SCHEDULER


@pytest.mark.django_db
def test_a_queued_run_nobody_claims_shows_in_health(setup_done, scheduler_checking, client):
    moments_seed(count=12, seed=4)
    queued = dream_run_queue(trigger=Trigger.DASHBOARD)
    assert dream_health().status != HealthStatus.RUN_UNCLAIMED
    health = dream_health(now=timezone.now() + timedelta(seconds=45))
    assert health.status == HealthStatus.RUN_UNCLAIMED
    assert f"Dream run {queued.pk} has waited 45 s" in health.fix_hint
    assert client.get("/api/dream/health/").json()["running_run_id"] == queued.pk


@pytest.mark.django_db
def test_a_trigger_while_a_run_is_queued_gets_409_with_that_run(setup_done, staff_client):
    moments_seed(count=12, seed=4)
    first = staff_client.post("/api/dream/runs/", {}, content_type="application/json")
    second = staff_client.post("/api/dream/runs/", {}, content_type="application/json")

    assert (first.status_code, first.json()["status"]) == (202, "queued")
    assert second.status_code == 409
    assert second.json()["running_run_id"] == first.json()["id"]


@pytest.mark.django_db
def test_run_dream_takes_the_queued_run_first(setup_done):
    moments_seed(count=12, seed=4)
    queued = dream_run_queue(trigger=Trigger.ADMIN)
    code, out = run_dream("--schedule-every", "5")

    assert code == 0
    queued.refresh_from_db()
    assert (queued.status, queued.trigger) == (RunStatus.WRITTEN, Trigger.ADMIN)
    assert f"Dream run {queued.pk} wrote dream review" in out
    assert DreamRun.objects.count() == 1


# -- real servers -----------------------------------------------------------------------


@pytest.mark.slow
async def test_the_quick_start_dreams_on_schedule_with_no_cron(
    children: Children, tmp_path: Path
) -> None:
    env = child_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'dreams.sqlite3'}",
        DREAMS_SCHEDULER_TICK_S="1",
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_moments", "--count", "20")
    port = free_port()
    server = children.start("serve", env, "serve", "--port", str(port))
    await serving(server, port)
    assert health_of(port)["status"] == "not_configured"

    manage(
        env,
        "shell",
        "-c",
        "from dreams.services.dream_settings import setup_complete; setup_complete()",
    )

    def latest_review() -> dict | None:
        response = httpx.get(f"http://127.0.0.1:{port}/api/dream/reviews/latest/", timeout=10)
        return response.json() if response.status_code == 200 else None

    review = await eventually(latest_review, "a scheduled dream", timeout=30, watch=[server])
    runs = httpx.get(f"http://127.0.0.1:{port}/api/dream/runs/", timeout=10).json()["results"]
    assert [(run["trigger"], run["status"]) for run in runs] == [("schedule", "written")]
    assert health_of(port)["status"] == "healthy"
    dashboard = httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
    assert review["title"] in dashboard


@pytest.mark.slow
async def test_a_server_with_its_scheduler_off_and_no_cron_says_nothing_checks(
    children: Children, tmp_path: Path
) -> None:
    env = child_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'dreams.sqlite3'}",
        DREAMS_SCHEDULER_TICK_S="0",
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(
        env,
        "shell",
        "-c",
        "from dreams.services.dream_settings import setup_complete; setup_complete()",
    )
    port = free_port()
    server = children.start("serve", env, "serve", "--port", str(port))
    await serving(server, port)

    health = health_of(port)
    assert (health["status"], health["label"]) == (
        "no_scheduler",
        "Nothing is checking the schedule",
    )
    assert "install_dream_cron --apply" in health["fix_hint"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_embedded_scheduler_and_three_cron_lines_write_one_run_per_slot(
    children: Children, tmp_path: Path, engine_env
) -> None:
    with dream_processes(tmp_path, engine_env) as processes:
        port = free_port()
        env = {**processes.env, "DREAMS_SCHEDULER_TICK_S": "1", "DREAM_CYCLE_MS": "300"}
        server = children.start("serve", env, "serve", "--port", str(port))
        crons = [
            processes.start("run_dream", "--schedule-every", "5") for _ in range(CRON_PROCESSES)
        ]
        # The engine holds on until every other check has met the run holding the lock.
        processes.wait_for_engine()
        heartbeats = SchedulerHeartbeat.objects.using(processes.alias)
        wait_until(
            lambda: heartbeats.filter(source=SchedulerSource.EMBEDDED).exists()
            and all(
                cron.poll() is not None for cron in crons if cron.pid != _holder_pid(processes)
            ),
            "every other check met the held lock",
        )
        assert server.alive(), server.log()
        processes.release_engine()
        for cron in crons:
            cron.communicate(timeout=30)
        runs = processes.runs()
        wait_until(
            lambda: runs.filter(status=RunStatus.WRITTEN).exists()
            and not runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists(),
            "the slot's run finished",
        )
        # The embedded scheduler goes on checking after the dream: the slot is taken.
        checked_after = timezone.now()
        wait_until(
            lambda: heartbeats.filter(
                source=SchedulerSource.EMBEDDED, checked_at__gt=checked_after
            ).exists(),
            "the embedded scheduler checked again",
            timeout=10,
        )

        written = runs.get(status=RunStatus.WRITTEN)
        assert written.trigger == Trigger.SCHEDULE
        assert runs.filter(status=RunStatus.WRITTEN).count() == 1
        # The others found the slot taken (not due) or the lock held (exit 3).
        assert {cron.returncode for cron in crons} <= {0, 3}
        status = json.loads(processes.manage("dream_status", "--json").stdout)
        assert status["running_run_id"] is None


def _holder_pid(processes) -> int | None:
    running = processes.runs().filter(status=RunStatus.RUNNING).first()
    if running is None:
        return None
    return int(running.holder.split(":")[1])
