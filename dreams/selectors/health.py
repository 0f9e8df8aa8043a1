"""Dream health, derived from run history: is the mind dreaming as it should?

- `not_configured`: setup has not been finished, so no dream run may start.
- `engine_not_ready`: the selected engine cannot think now.
- `no_scheduler`: no scheduler (the server's own, or a cron line) has checked the cadence
  within two of its own check intervals, so no scheduled dream will come.
- `run_unclaimed`: a run queued from the web has waited for a worker for over 30 s.
- `silent_failure`: a scheduled slot passed (with half an hour of grace) and no scheduled
  run was recorded at all, so cron is not calling; or the last three scheduled runs that
  reached the engine all failed.
- `never_ran`: no dream has been written yet.
- `stale`: the last written dream is older than twice the cadence.
- `healthy`: none of the above.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import timezone
from django.utils.formats import date_format

from dreams.models import (
    DreamRun,
    DreamSettings,
    RunReason,
    RunStatus,
    SchedulerHeartbeat,
    Trigger,
)
from engines.selection import selected_engine

SILENT_FAILURE_GRACE = timedelta(minutes=30)
FAILURES_FOR_SILENT_FAILURE = 3
CRON_HINT = "Install the schedule with `python manage.py install_dream_cron --apply` on the server."
NO_SCHEDULER_HINT = (
    "Nothing is checking the schedule. Keep the server running (`make run`, or "
    "`python manage.py serve`), or install the cron line with "
    "`python manage.py install_dream_cron --apply`."
)
UNCLAIMED_AFTER = timedelta(seconds=30)
UNCLAIMED_HINT = (
    "Dream run {run} has waited {seconds} s for a worker. Runs from the dashboard, the API "
    "and the admin are dreamt by the conductor: keep the server running (`make run`, "
    "`manage.py serve` or `manage.py run_conductor`), or run `python manage.py run_dream`, "
    "which takes the waiting run."
)
# A check interval's worth of slack over the two intervals: a tick that is a little late
# (a busy machine, a slow database) is not yet a missing scheduler.
HEARTBEAT_MISSED_INTERVALS = 2


class HealthStatus(StrEnum):
    NOT_CONFIGURED = "not_configured"
    HEALTHY = "healthy"
    NEVER_RAN = "never_ran"
    STALE = "stale"
    SILENT_FAILURE = "silent_failure"
    ENGINE_NOT_READY = "engine_not_ready"
    NO_SCHEDULER = "no_scheduler"
    RUN_UNCLAIMED = "run_unclaimed"


LABELS = {
    HealthStatus.NOT_CONFIGURED: "Setup is not finished",
    HealthStatus.HEALTHY: "Dreaming as scheduled",
    HealthStatus.NEVER_RAN: "No dream yet",
    HealthStatus.STALE: "Dreams are overdue",
    HealthStatus.SILENT_FAILURE: "Scheduled dreams are not happening",
    HealthStatus.ENGINE_NOT_READY: "The dream engine is not ready",
    HealthStatus.NO_SCHEDULER: "Nothing is checking the schedule",
    HealthStatus.RUN_UNCLAIMED: "A dream run is waiting for a worker",
}


@dataclass(frozen=True)
class DreamHealth:
    status: HealthStatus
    fix_hint: str
    last_written_at: datetime | None
    last_run: DreamRun | None
    next_due_at: datetime | None
    due_now: bool = False  # the slot is open: the next scheduler check dreams

    @property
    def label(self) -> str:
        return LABELS[self.status]


def _local(moment: datetime, dream_settings: DreamSettings) -> str:
    return date_format(moment.astimezone(dream_settings.zone), "DATETIME_FORMAT")


def dream_is_due(
    dream_settings: DreamSettings, now: datetime, *, besides: DreamRun | None = None
) -> bool:
    """Due when no run of this cadence slot (other than `besides`) has reached the engine
    yet. Skips for lack of material, a not-ready engine, or a run whose process was
    stopped leave the slot open, so a later call can still dream in it."""
    in_slot = DreamRun.objects.filter(
        started_at__gte=dream_settings.slot_start(now),
        status__in=[RunStatus.RUNNING, RunStatus.WRITTEN, RunStatus.FAILED],
        dry_run=False,
    ).exclude(reason=RunReason.ENGINE_NOT_READY)
    if besides is not None:
        in_slot = in_slot.exclude(pk=besides.pk)
    return not in_slot.exists()


def scheduler_checking(now: datetime) -> bool:
    """Whether some scheduler checked in within two of its own check intervals."""
    return any(
        now - heartbeat.checked_at
        <= HEARTBEAT_MISSED_INTERVALS * timedelta(seconds=heartbeat.interval_s)
        for heartbeat in SchedulerHeartbeat.objects.all()
    )


def _unclaimed(now: datetime) -> str | None:
    queued = DreamRun.objects.filter(
        status=RunStatus.QUEUED, started_at__lt=now - UNCLAIMED_AFTER
    ).first()
    if queued is None:
        return None
    waited = round((now - queued.started_at).total_seconds())
    return UNCLAIMED_HINT.format(run=queued.pk, seconds=waited)


def _silent_failure(dream_settings: DreamSettings, now: datetime) -> str | None:
    scheduled = DreamRun.objects.filter(trigger=Trigger.SCHEDULE)
    slot = dream_settings.slot_start(now)
    if (
        dream_settings.enabled
        and slot > dream_settings.created_at
        and slot + SILENT_FAILURE_GRACE < now
        and not scheduled.filter(started_at__gte=slot).exists()
    ):
        return f"No scheduled run was recorded since {_local(slot, dream_settings)}. {CRON_HINT}"
    reached_engine = scheduled.filter(
        status__in=[RunStatus.WRITTEN, RunStatus.FAILED, RunStatus.ABANDONED], dry_run=False
    ).order_by("-started_at")[:FAILURES_FOR_SILENT_FAILURE]
    outcomes = list(reached_engine)
    if len(outcomes) == FAILURES_FOR_SILENT_FAILURE and all(
        run.status != RunStatus.WRITTEN for run in outcomes
    ):
        latest = outcomes[0]
        return (
            f"The last {FAILURES_FOR_SILENT_FAILURE} scheduled dreams failed, most recently "
            f"because {latest.get_reason_display().lower()}. Check the engine with "
            "`python manage.py engines probe`, then generate a dream from the dashboard."
        )
    return None


def dream_health(*, now: datetime | None = None) -> DreamHealth:
    now = now or timezone.now()
    dream_settings = DreamSettings.load()
    last_written = (
        DreamRun.objects.filter(status=RunStatus.WRITTEN, dry_run=False)
        .order_by("-finished_at")
        .first()
    )
    last_run = DreamRun.objects.exclude(status=RunStatus.SKIPPED, reason="not_due").first()
    written_at = last_written.finished_at if last_written else None
    due_now = (
        dream_settings.enabled
        and dream_settings.setup_complete
        and dream_is_due(dream_settings, now)
    )
    next_due = None
    if dream_settings.enabled and dream_settings.setup_complete:
        next_due = now if due_now else dream_settings.next_slot(now)

    def health(status: HealthStatus, hint: str = "") -> DreamHealth:
        return DreamHealth(status, hint, written_at, last_run, next_due, due_now)

    if not dream_settings.setup_complete:
        return health(
            HealthStatus.NOT_CONFIGURED,
            "Dreams start once setup is finished: open the setup wizard at /setup/ "
            "(as staff) and complete it.",
        )
    selection = selected_engine()
    if not selection.ready:
        return health(
            HealthStatus.ENGINE_NOT_READY,
            f"{selection.readiness.engine_label}: {selection.readiness.fix_hint}",
        )
    unclaimed = _unclaimed(now)
    if unclaimed:
        return health(HealthStatus.RUN_UNCLAIMED, unclaimed)
    if dream_settings.enabled and not scheduler_checking(now):
        return health(HealthStatus.NO_SCHEDULER, NO_SCHEDULER_HINT)
    silent = _silent_failure(dream_settings, now)
    if silent:
        return health(HealthStatus.SILENT_FAILURE, silent)
    if written_at is None:
        return health(
            HealthStatus.NEVER_RAN,
            "No dream has been written yet. Generate one from the dashboard, or wait for the "
            "schedule.",
        )
    if now - written_at > 2 * dream_settings.period:
        return health(
            HealthStatus.STALE,
            f"The last dream was written {_local(written_at, dream_settings)}. Look at the run "
            "history for why later runs did not write one.",
        )
    return health(HealthStatus.HEALTHY)
