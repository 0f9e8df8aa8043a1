"""The single-run lock across processes: a storm of triggers writes one dream; a run killed
outright frees the lock at once (its process is gone) and one of another host when its
lease runs out, with nothing half-written."""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from dreams.models import DreamReview, MindMoment, MomentKind, RunReason, RunStatus, Trigger
from dreamsite.control_api import ControlThrottle
from tests.processes import dream_processes, wait_until

HTTP_TRIGGERS = 20
CRON_PROCESSES = 3
CONTROL_TOKEN = "storm-control-token-for-tests"
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="the 23-way storm is the PostgreSQL acceptance test; the PostgreSQL pass runs it "
    "(DATABASE_URL=postgres://... pytest)",
)
def test_a_storm_of_triggers_writes_exactly_one_review(
    live_server, settings, tmp_path, engine_env, monkeypatch
):
    settings.DREAMS_CONTROL_TOKEN = CONTROL_TOKEN
    # The lock is under test, not the throttle: every trigger must reach the service.
    monkeypatch.setattr(ControlThrottle, "THROTTLE_RATES", {"control": f"{HTTP_TRIGGERS}/min"})
    with dream_processes(tmp_path, engine_env) as processes:
        start = threading.Barrier(HTTP_TRIGGERS + 1)

        def trigger(client: httpx.Client) -> httpx.Response:
            start.wait()
            return client.post(
                f"{live_server.url}/api/dream/runs/",
                headers={"Authorization": f"Bearer {CONTROL_TOKEN}"},
                json={},
            )

        with (
            httpx.Client(timeout=30, limits=httpx.Limits(max_connections=HTTP_TRIGGERS)) as client,
            ThreadPoolExecutor(HTTP_TRIGGERS) as pool,
        ):
            children = [
                processes.start("run_dream", "--schedule-every", "5") for _ in range(CRON_PROCESSES)
            ]
            requests = [pool.submit(trigger, client) for _ in range(HTTP_TRIGGERS)]
            start.wait()
            responses = [request.result() for request in requests]
        runs = processes.runs()
        # A trigger that won queued its run; a cron process takes it, or else a later
        # run_dream does, as it would in a deployment without a conductor.
        wait_until(
            lambda: runs.filter(status=RunStatus.RUNNING).exists()
            or all(child.poll() is not None for child in children),
            "the lock's run is taken or every cron process is done",
        )
        if not runs.filter(status=RunStatus.RUNNING).exists():
            children.append(processes.start("run_dream"))
        # The engine answers only once every other attempt has met the run that holds the
        # lock and ended.
        processes.wait_for_engine()
        wait_until(
            lambda: sum(child.poll() is not None for child in children) == len(children) - 1,
            "every other process met the lock",
        )
        processes.release_engine()
        for child in children:
            child.communicate(timeout=30)
        exit_codes = sorted(child.returncode for child in children)
        active = runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        wait_until(lambda: not active.exists(), "the winning run finished")

        written = runs.get(status=RunStatus.WRITTEN)
        assert written.review == DreamReview.objects.using(processes.alias).get()
        statuses = Counter(response.status_code for response in responses)
        http_won = statuses[202]
        assert statuses == {202: http_won, 409: HTTP_TRIGGERS - http_won}
        assert written.trigger == (Trigger.API if http_won else Trigger.SCHEDULE)
        # One process dreamt (its own run, or the queued one); every other was refused.
        assert exit_codes == [0] + [3] * (len(children) - 1)
        # The triggers that lost are on record; a scheduler that met the lock says so in
        # its heartbeat and exit status instead.
        assert runs.filter(reason=RunReason.ALREADY_RUNNING).count() == HTTP_TRIGGERS - http_won
        assert {
            response.json()["running_run_id"]
            for response in responses
            if response.status_code == 409
        } == {written.pk}


def test_a_run_killed_outright_frees_the_lock_at_once_with_nothing_half_written(
    tmp_path, engine_env
):
    with dream_processes(tmp_path, engine_env) as processes:
        child = processes.start("run_dream", "--force")
        killed = processes.wait_for_stage("dreaming")
        # The lease is short and renewed while the process lives.
        lease = processes.runs().get(pk=killed.pk).lease_expires_at
        assert timedelta(seconds=25) < lease - killed.started_at < timedelta(seconds=35)
        child.kill()
        child.communicate(timeout=10)

        # Its holder is a process of this host that is gone: the next run does not wait
        # for the lease to run out.
        processes.release_engine()
        after = processes.manage("run_dream", "--force", "--json")

        assert after.returncode == 0, after.stderr
        new = json.loads(after.stdout)
        assert new["status"] == RunStatus.WRITTEN
        abandoned = processes.runs().get(pk=killed.pk)
        assert (abandoned.status, abandoned.reason) == (
            RunStatus.ABANDONED,
            RunReason.HOLDER_DIED,
        )
        assert abandoned.review is None
        reviews = DreamReview.objects.using(processes.alias)
        assert list(reviews.values_list("pk", flat=True)) == [new["review_id"]]
        dream_moments = MindMoment.objects.using(processes.alias).filter(kind=MomentKind.DREAM)
        assert list(dream_moments) == [reviews.get().moment]


def test_a_run_of_another_host_is_abandoned_once_its_lease_runs_out(tmp_path, engine_env):
    with dream_processes(tmp_path, engine_env) as processes:
        now = timezone.now()
        elsewhere = processes.runs().create(
            trigger=Trigger.SCHEDULE,
            status=RunStatus.RUNNING,
            holder="another-host:4242:0badcafe",
            lease_expires_at=now + timedelta(seconds=30),
        )
        blocked = processes.manage("run_dream", "--force")
        assert blocked.returncode == 3, blocked.stderr

        # What 30 s without a renewal would do.
        processes.runs().filter(pk=elsewhere.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        processes.release_engine()
        after = processes.manage("run_dream", "--force", "--json")
        assert after.returncode == 0, after.stderr
        assert json.loads(after.stdout)["status"] == RunStatus.WRITTEN
        abandoned = processes.runs().get(pk=elsewhere.pk)
        assert (abandoned.status, abandoned.reason) == (
            RunStatus.ABANDONED,
            RunReason.LEASE_EXPIRED,
        )
