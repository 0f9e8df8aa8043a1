"""Scheduler checks: is a dream due? Each check leaves a heartbeat (so health can tell
whether anything checks the schedule at all), then goes through the one dream run
service, so the embedded scheduler and any number of cron lines share one lock and write
one run per slot."""

from datetime import datetime

from django.utils import timezone

from dreams.models import DreamRun, RunStatus, SchedulerHeartbeat, SchedulerSource, Trigger
from dreams.processes import holder_name
from dreams.services.dream_runs import dream_run_execute, dream_run_start


def scheduler_heartbeat(
    *,
    source: SchedulerSource,
    interval_s: int,
    outcome: str = "checked",
    at: datetime | None = None,
) -> SchedulerHeartbeat:
    heartbeat, _ = SchedulerHeartbeat.objects.update_or_create(
        source=source,
        defaults={
            "interval_s": interval_s,
            "checked_at": at or timezone.now(),
            "holder": holder_name(),
            "outcome": outcome[:40],
        },
    )
    return heartbeat


def scheduler_check(*, source: SchedulerSource, interval_s: int) -> DreamRun:
    """One check of the cadence. Returns the skip (unsaved when it is routine: not due,
    setup not finished), or the run it started: a running run is dreamt by the caller
    with `dream_run_execute`."""
    scheduler_heartbeat(source=source, interval_s=interval_s)
    run = dream_run_start(trigger=Trigger.SCHEDULE, routine_recorded=False)
    outcome = run.status if run.status == RunStatus.RUNNING else (run.reason or run.status)
    SchedulerHeartbeat.objects.filter(source=source).update(outcome=outcome)
    return run


def scheduled_dream(*, source: SchedulerSource, interval_s: int) -> DreamRun:
    """A scheduler check, and the dream when one is due, in this thread."""
    run = scheduler_check(source=source, interval_s=interval_s)
    if run.status != RunStatus.RUNNING:
        return run
    return dream_run_execute(run)
