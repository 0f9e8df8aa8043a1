"""The dream run: one service for cron, the dashboard, the admin and the command line.

In order: activation gate (setup finished, dreaming enabled) -> due by cadence (unless
forced) -> enough new material -> the single-run lock -> the selected engine, within the
time limit -> validation (one retry on invalid output) -> continuity merge -> one
transaction that writes the review, the dream mind moment and the run record. Every
attempt leaves a run record; a failure writes nothing else, so the previous review stays
current.

Who dreams: a process that dreams itself (`run_dream`, the conductor's scheduler) creates
the run already running; a web request (dashboard, API, admin) only queues it, and a
worker (the conductor's, or the next `run_dream`) claims it with one conditional update.
A running run's process renews its lease every few seconds; a lease not renewed for 30 s,
or a holder of this host that died, frees the lock.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Max
from django.utils import timezone

from dreams.models import (
    ACTIVE_RUN_STATUSES,
    DreamReview,
    DreamRun,
    DreamSettings,
    MomentKind,
    Personality,
    RunReason,
    RunStage,
    RunStatus,
    Trigger,
)
from dreams.processes import holder_is_dead_here, holder_name
from dreams.realtime.events import DreamRunChanged
from dreams.realtime.publish import publish
from dreams.selectors.dream_runs import (
    DreamMaterial,
    dream_material,
    dream_run_active,
    new_moment_count,
)
from dreams.selectors.health import dream_is_due
from dreams.selectors.moments import moment_context
from dreams.selectors.personalities import personality_active, voice_of
from dreams.services.continuity import continuity_merge, open_threads
from dreams.services.moments import moment_create
from dreams.services.resurfacing import citations_record
from engines.contracts import DreamDraft
from engines.errors import EngineError, EngineOutputInvalid
from engines.selection import SelectedEngine, selected_engine
from engines.services import EngineCall, engine_dream

logger = logging.getLogger(__name__)

# A running run's process renews its lease this often; a lease not renewed for RUN_LEASE
# is presumed dead and the run abandoned.
RUN_LEASE = timedelta(seconds=30)
RUN_LEASE_RENEW_S = 5.0
# Skips for "not due" (and, before setup, "not configured") pile up when cron calls every
# few minutes; older ones are pruned.
NOT_DUE_RETENTION = timedelta(days=7)
MAX_CITED_PRIOR_MOMENTS = 50


class RunInterrupted(BaseException):  # like KeyboardInterrupt: not an Exception
    """Raised in the running process (e.g. on SIGTERM) to stop a run cleanly."""


# What a scheduler meets at almost every check: its heartbeat records it, not a run.
# Pruned after NOT_DUE_RETENTION where some other caller recorded them.
ROUTINE_SKIPS = (RunReason.NOT_DUE, RunReason.NOT_CONFIGURED)
# A scheduler that meets the lock (the slot's run still going, or a queued one) says so
# in its heartbeat and its exit status; a tick every minute of a long run is no history.
SCHEDULER_ROUTINE = (*ROUTINE_SKIPS, RunReason.ALREADY_RUNNING)


def _record_skip(
    fields: dict, reason: RunReason, detail: str = "", *, record: bool = True, **extra: object
) -> DreamRun:
    """The skip as a run record; with `record` off, the same run left unsaved (no id)."""
    now = timezone.now()
    run = DreamRun(
        status=RunStatus.SKIPPED,
        reason=reason,
        detail=detail[:500],
        started_at=now,
        finished_at=now,
        duration_ms=0,
        **fields,
        **extra,
    )
    if not record:
        return run
    run.save(force_insert=True)
    if reason != RunReason.NOT_DUE:
        publish(DreamRunChanged.of(run))
    return run


def _finish(
    run: DreamRun, status: RunStatus, reason: str = "", detail: str = "", **fields: object
) -> DreamRun:
    now = timezone.now()
    run.status = status
    run.reason = reason
    run.detail = detail[:500]
    run.finished_at = now
    run.duration_ms = round((now - run.started_at).total_seconds() * 1000)
    run.lease_expires_at = None
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()
    publish(DreamRunChanged.of(run))
    log = logger.info if status in (RunStatus.WRITTEN, RunStatus.SKIPPED) else logger.warning
    log("Dream run %s %s (%s)%s", run.pk, status, run.trigger, f": {reason}" if reason else ".")
    return run


def _abandon(run: DreamRun, reason: RunReason, detail: str, now: datetime | None = None) -> bool:
    """Mark the run abandoned and free the lock, unless it finished meanwhile."""
    now = now or timezone.now()
    return bool(
        DreamRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.ABANDONED,
            reason=reason,
            detail=detail,
            finished_at=now,
            duration_ms=round((now - run.started_at).total_seconds() * 1000),
            lease_expires_at=None,
        )
    )


def _recover_stale_lock(now: datetime) -> DreamRun | None:
    """The run that holds the lock (queued or running), unless its holder is gone: a
    lease that ran out, or a process of this host that died. Such a run is abandoned."""
    holder = dream_run_active()
    if holder is None or holder.status == RunStatus.QUEUED:
        return holder
    if holder_is_dead_here(holder.holder):
        reason, detail = RunReason.HOLDER_DIED, ""
    elif holder.lease_expires_at is not None and holder.lease_expires_at <= now:
        reason = RunReason.LEASE_EXPIRED
        detail = "The process running it stopped renewing its lease."
    else:
        return holder
    if _abandon(holder, reason, detail, now):
        logger.warning("Dream run %s was abandoned: %s. %s", holder.pk, reason.label, detail)
    return None


def runs_recover(*, now: datetime | None = None) -> bool:
    """Abandon the running run if its holder is gone; True when one was. A conductor calls
    it as it starts leading and before each claim, so the run of a process of this host
    that died (kill -9) frees the lock at once rather than when its lease runs out."""
    if not DreamRun.objects.filter(status=RunStatus.RUNNING).exists():
        return False
    return _recover_stale_lock(now or timezone.now()) is None


def _create_locked(fields: dict, status: RunStatus, material_count: int) -> DreamRun | None:
    """Take the single-run lock by creating the queued or running run; None when another
    run holds it."""
    running = status == RunStatus.RUNNING
    for _ in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                return DreamRun.objects.create(
                    status=status,
                    stage=RunStage.STARTING if running else RunStage.QUEUED,
                    holder=holder_name() if running else "",
                    lease_expires_at=now + RUN_LEASE if running else None,
                    material_count=material_count,
                    **fields,
                )
        except IntegrityError:
            if _recover_stale_lock(now) is not None:
                return None
    return None


def _lock_holder_detail() -> str:
    active = dream_run_active()
    if active is None:
        return "Another run was in progress."
    return f"Dream run {active.pk} is {active.get_status_display().lower()}."


def _already_running(fields: dict, *, record: bool = True) -> DreamRun:
    return _record_skip(fields, RunReason.ALREADY_RUNNING, _lock_holder_detail(), record=record)


@dataclass(frozen=True)
class _Gated:
    fields: dict
    dream_settings: DreamSettings
    skip: DreamRun | None
    material_count: int = 0


def _gates(
    *, trigger: Trigger, force: bool, dry_run: bool, now: datetime, routine_recorded: bool = True
) -> _Gated:
    """The activation gate, the cadence (unless forced) and the material: the skip they
    recorded (routine skips only when `routine_recorded`), or the number of new moments
    that passed them."""
    dream_settings = DreamSettings.load()
    fields: dict = {"trigger": trigger, "force": force, "dry_run": dry_run}
    DreamRun.objects.filter(
        status=RunStatus.SKIPPED,
        reason__in=ROUTINE_SKIPS,
        started_at__lt=now - NOT_DUE_RETENTION,
    ).delete()

    def skipped(reason: RunReason, detail: str = "", **extra: Any) -> _Gated:
        if not routine_recorded and reason in SCHEDULER_ROUTINE:
            # Unsaved, so the engine choice is not looked at: a scheduler's tick stays
            # cheap (no engine module imported).
            return _Gated(
                fields, dream_settings, _record_skip(fields, reason, detail, record=False)
            )
        recorded = fields | _engine_fields()
        return _Gated(recorded, dream_settings, _record_skip(recorded, reason, detail, **extra))

    if not dream_settings.setup_complete:
        return skipped(RunReason.NOT_CONFIGURED)
    if not dream_settings.enabled:
        return skipped(RunReason.DISABLED)
    if not force and not dream_is_due(dream_settings, now):
        if DreamRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).exists():
            # The slot's run is still going: whoever checks now meets the lock, as it
            # would meet a queued run (cron's exit 3), whatever the order of the checks.
            return skipped(RunReason.ALREADY_RUNNING, _lock_holder_detail())
        return skipped(RunReason.NOT_DUE)
    material_count = new_moment_count()
    if material_count < dream_settings.min_new_moments:
        return skipped(
            RunReason.NO_MATERIAL,
            f"{material_count} new moments since the last dream; "
            f"{dream_settings.min_new_moments} needed.",
            material_count=material_count,
        )
    return _Gated(fields | _engine_fields(), dream_settings, None, material_count)


def _engine_fields() -> dict:
    selection = selected_engine()
    return {"engine": selection.engine, "model": selection.model}


def dream_run_start(
    *,
    trigger: Trigger,
    force: bool = False,
    dry_run: bool = False,
    routine_recorded: bool = True,
) -> DreamRun:
    """The gates and the lock, for a process that dreams itself (run_dream, the embedded
    scheduler). Returns a finished (skipped) run, or the running run that now holds the
    lock and must be passed to `dream_run_execute`. A scheduler passes
    `routine_recorded=False`: its "not due", "not configured" and "already running" come
    back unsaved, and its heartbeat records them instead of a run every check."""
    now = timezone.now()
    gated = _gates(
        trigger=trigger, force=force, dry_run=dry_run, now=now, routine_recorded=routine_recorded
    )
    if gated.skip is not None:
        return gated.skip
    run = _create_locked(gated.fields, RunStatus.RUNNING, gated.material_count)
    if run is None:
        return _already_running(gated.fields, record=routine_recorded)
    if not force and not dream_is_due(gated.dream_settings, now, besides=run):
        # Another scheduler dreamt in this slot between the cadence check and the lock.
        return _finish(run, RunStatus.SKIPPED, RunReason.NOT_DUE, stage=RunStage.DONE)
    publish(DreamRunChanged.of(run))
    return run


def dream_run_queue(*, trigger: Trigger, force: bool = True, dry_run: bool = False) -> DreamRun:
    """For callers that must answer at once (HTTP, the admin): the gates, then a queued
    run that holds the lock until a worker (the conductor's, or a `run_dream`) claims and
    dreams it. Nothing runs in the caller's thread. Returns the queued run, or the skip."""
    gated = _gates(trigger=trigger, force=force, dry_run=dry_run, now=timezone.now())
    if gated.skip is not None:
        return gated.skip
    run = _create_locked(gated.fields, RunStatus.QUEUED, gated.material_count)
    if run is None:
        return _already_running(gated.fields)
    publish(DreamRunChanged.of(run))
    return run


def dream_run_claim(*, holder: str) -> DreamRun | None:
    """Claim the queued run, if there is one, with one conditional update: of several
    workers asking at once, exactly one gets it."""
    queued = DreamRun.objects.filter(status=RunStatus.QUEUED).values_list("pk", flat=True).first()
    if queued is None:
        return None
    claimed = DreamRun.objects.filter(pk=queued, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        stage=RunStage.STARTING,
        holder=holder,
        lease_expires_at=timezone.now() + RUN_LEASE,
    )
    if not claimed:
        return None
    run = DreamRun.objects.get(pk=queued)
    publish(DreamRunChanged.of(run))
    return run


def dream_run_renew(*, run_id: int, holder: str) -> bool:
    """Extend a running run's lease; False once it is no longer this holder's to renew."""
    return bool(
        DreamRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, holder=holder).update(
            lease_expires_at=timezone.now() + RUN_LEASE
        )
    )


@contextmanager
def _lease_kept(run: DreamRun) -> Iterator[None]:
    """Renew the run's lease every few seconds while it dreams, from a thread of its own,
    so a long engine call never lets the lease run out while the process lives."""
    done = threading.Event()

    def renew() -> None:
        try:
            while not done.wait(RUN_LEASE_RENEW_S):
                try:
                    if not dream_run_renew(run_id=run.pk, holder=run.holder):
                        return
                except DatabaseError:
                    logger.warning("Could not renew dream run %s's lease; retrying.", run.pk)
        finally:
            connections.close_all()

    keeper = threading.Thread(target=renew, name=f"dream-run-{run.pk}-lease", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()


def _stage(run: DreamRun, stage: RunStage, **fields: object) -> None:
    run.stage = stage
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=["stage", *fields])
    publish(DreamRunChanged.of(run))


def dream_draft_checked(
    call: EngineCall[DreamDraft], material_ids: set[int]
) -> EngineCall[DreamDraft]:
    """The call, once its themes are seen to cite only moments of the material."""
    unknown = call.draft.cited_moment_ids() - material_ids
    if unknown:
        shown = ", ".join(str(moment_id) for moment_id in sorted(unknown)[:5])
        raise EngineOutputInvalid(f"themes cite moments that are not in the material: {shown}")
    return call


def _dream(
    selection: SelectedEngine,
    material: DreamMaterial,
    dream_settings: DreamSettings,
    personality: Personality | None,
    warnings: list[str],
) -> EngineCall[DreamDraft]:
    contexts = [moment_context(moment) for moment in material.moments]
    ids = {moment.pk for moment in material.moments}
    continuity = open_threads()
    deadline = timezone.now() + timedelta(seconds=dream_settings.timeout_s)

    def attempt() -> EngineCall[DreamDraft]:
        # The engine enforces the limit where it makes the call (its SDK's timeout, a
        # process-group kill for a CLI): nothing is left running once it is over.
        remaining = max(1.0, (deadline - timezone.now()).total_seconds())
        call = engine_dream(
            material=contexts,
            continuity=continuity,
            voice=voice_of(personality),
            selection=selection,
            timeout=remaining,
        )
        return dream_draft_checked(call, ids)

    try:
        return attempt()
    except EngineOutputInvalid as first:
        warnings.append(f"The first answer was invalid ({first.detail}); asked again.")
        return attempt()


def _write(
    run: DreamRun,
    call: EngineCall[DreamDraft],
    material: DreamMaterial,
    personality: Personality | None,
) -> DreamReview:
    draft = call.draft
    now = timezone.now()
    cited = [moment for moment in material.moments if moment.pk in draft.cited_moment_ids()]
    with transaction.atomic():
        moment = moment_create(
            kind=MomentKind.DREAM,
            text=draft.title,
            sigil_phrase=draft.sigil_phrase,
            sigil_code=draft.sigil_code,
            sigil_commands=draft.sigil_commands,
            valence=draft.circumplex.valence,
            arousal=draft.circumplex.arousal,
            engine=call.engine,
            processing_ms=call.duration_ms,
            prior_moments=cited[:MAX_CITED_PRIOR_MOMENTS],
            personality=personality,
        )
        sequence = (DreamReview.objects.aggregate(last=Max("sequence"))["last"] or 0) + 1
        threads = continuity_merge(drafts=draft.threads, sequence=sequence, at=now)
        review = DreamReview.objects.create(
            sequence=sequence,
            title=draft.title,
            narrative=draft.narrative,
            themes=[theme.model_dump() for theme in draft.themes],
            threads=[
                {
                    "name": thread.name,
                    "status": thread.status,
                    "times_seen": thread.times_seen,
                    "first_seen_at": thread.first_seen_at.isoformat(),
                    "note": thread.note,
                }
                for thread in threads
            ],
            moment=moment,
            engine=call.engine,
            model=call.model,
            material_count=len(material.moments),
            material_through_cycle=material.through_cycle,
            personality=personality,
            created_at=now,
        )
        citations_record(review=review)
        _finish(run, RunStatus.WRITTEN, review=review, stage=RunStage.DONE)
    return review


def dream_run_execute(run: DreamRun) -> DreamRun:
    """Dream with the lock held by `run` (its lease renewed meanwhile), then release it,
    whatever happens."""
    with _lease_kept(run):
        return _execute(run)


def _execute(run: DreamRun) -> DreamRun:
    dream_settings = DreamSettings.load()
    warnings: list[str] = []
    try:
        selection = selected_engine()
        if not selection.ready:
            return _finish(
                run,
                RunStatus.FAILED,
                RunReason.ENGINE_NOT_READY,
                f"{selection.readiness.engine_label} is not ready. {selection.readiness.fix_hint}",
            )
        material = dream_material(limit=dream_settings.max_material)
        if len(material.moments) < dream_settings.min_new_moments:
            return _finish(
                run, RunStatus.SKIPPED, RunReason.NO_MATERIAL, "The new moments were taken."
            )
        if material.new_count > len(material.moments):
            warnings.append(
                f"{material.new_count} new moments; the {len(material.moments)} most salient "
                "were consolidated."
            )
        _stage(run, RunStage.DREAMING, material_count=len(material.moments))
        personality = personality_active()
        call = _dream(selection, material, dream_settings, personality, warnings)
        if run.dry_run:
            outcome = {
                "title": call.draft.title,
                "themes": [theme.model_dump() for theme in call.draft.themes],
                "threads": [thread.name for thread in call.draft.threads],
                "sigil_phrase": call.draft.sigil_phrase,
            }
            return _finish(
                run, RunStatus.WRITTEN, warnings=warnings, outcome=outcome, stage=RunStage.DONE
            )
        _stage(run, RunStage.WRITING, warnings=warnings)
        _write(run, call, material, personality)
        return run
    except EngineError as error:
        return _finish(
            run, RunStatus.FAILED, error.reason, error.operator_message, warnings=warnings
        )
    except BaseException:
        # Interrupted (SIGTERM, Ctrl-C) or broken: release the lock before going down,
        # unless the run was written just before the interruption.
        _abandon(run, RunReason.INTERRUPTED, "")
        raise


def run_dream(*, trigger: Trigger, force: bool = False, dry_run: bool = False) -> DreamRun:
    """Start and, when the gates allow, carry out a dream run in this thread."""
    run = dream_run_start(trigger=trigger, force=force, dry_run=dry_run)
    if run.status != RunStatus.RUNNING:
        return run
    return dream_run_execute(run)
