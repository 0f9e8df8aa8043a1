"""The dream run: one service for cron, the dashboard, the admin and the command line.

In order: activation gate (setup finished, dreaming enabled) -> due by cadence (unless
forced) -> enough new material -> the single-run lock -> the selected engine, within the
time limit -> validation (one retry on invalid output) -> continuity merge -> one
transaction that writes the review, the dream mind moment and the run record. Every
attempt leaves a run record; a failure writes nothing else, so the previous review stays
current.
"""

import concurrent.futures
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, connections, transaction
from django.db.models import Max
from django.utils import timezone

from dreams.models import (
    DreamReview,
    DreamRun,
    DreamSettings,
    MomentKind,
    RunReason,
    RunStatus,
    Trigger,
)
from dreams.realtime import publish
from dreams.selectors import DreamMaterial, dream_material, moment_context, new_moment_count
from dreams.services.continuity import continuity_merge, open_threads
from dreams.services.moments import moment_create
from engines.contracts import DreamDraft
from engines.errors import EngineError, EngineOutputInvalid, EngineTimeout
from engines.selection import SelectedEngine, selected_engine
from engines.services import EngineCall, engine_dream

logger = logging.getLogger(__name__)

# A lease outlives the time limit by this much before the run is presumed dead.
LEASE_GRACE = timedelta(seconds=60)
# Skips for "not due" (and, before setup, "not configured") pile up when cron calls every
# few minutes; older ones are pruned.
NOT_DUE_RETENTION = timedelta(days=7)
NOT_CONFIGURED_DETAIL = "Finish the setup wizard at /setup/ to start dreaming."
MAX_CITED_PRIOR_MOMENTS = 50


class RunInterrupted(BaseException):  # like KeyboardInterrupt: not an Exception
    """Raised in the running process (e.g. on SIGTERM) to stop a run cleanly."""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _summary(run: DreamRun) -> dict:
    return {
        "id": run.pk,
        "trigger": run.trigger,
        "status": run.status,
        "reason": run.reason,
        "stage": run.stage,
        "engine": run.engine,
        "dryRun": run.dry_run,
        "materialCount": run.material_count,
        "reviewId": run.review_id,
        "startedAt": run.started_at,
        "finishedAt": run.finished_at,
    }


def _record_skip(fields: dict, reason: RunReason, detail: str = "", **extra: object) -> DreamRun:
    now = timezone.now()
    run = DreamRun.objects.create(
        status=RunStatus.SKIPPED,
        reason=reason,
        detail=detail[:500],
        finished_at=now,
        duration_ms=0,
        **fields,
        **extra,
    )
    if reason != RunReason.NOT_DUE:
        publish("dreamRun", _summary(run))
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
    publish("dreamRun", _summary(run))
    log = logger.info if status in (RunStatus.WRITTEN, RunStatus.SKIPPED) else logger.warning
    log("Dream run %s %s %s (%s).", run.pk, status, reason, run.trigger)
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


def _recover_stale_lease(now: timezone.datetime) -> DreamRun | None:
    """The running run, unless its lease expired: then it is marked abandoned."""
    holder = DreamRun.objects.filter(status=RunStatus.RUNNING).first()
    if holder is None or holder.lease_expires_at is None or holder.lease_expires_at > now:
        return holder
    abandoned = _abandon(
        holder,
        RunReason.LEASE_EXPIRED,
        "The process running it stopped before it finished; its lease expired.",
        now,
    )
    if abandoned:
        logger.warning("Dream run %s was abandoned: its lease expired.", holder.pk)
    return None


def _acquire(fields: dict, settings: DreamSettings, material_count: int) -> DreamRun | None:
    """Take the single-run lock by creating the running run; None when another holds it."""
    for _ in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                return DreamRun.objects.create(
                    status=RunStatus.RUNNING,
                    stage="starting",
                    holder=_holder(),
                    lease_expires_at=now + timedelta(seconds=settings.timeout_s) + LEASE_GRACE,
                    material_count=material_count,
                    **fields,
                )
        except IntegrityError:
            if _recover_stale_lease(now) is not None:
                return None
    return None


def dream_run_start(*, trigger: Trigger, force: bool = False, dry_run: bool = False) -> DreamRun:
    """The gates and the lock. Returns a finished (skipped) run, or the running run that
    now holds the lock and must be passed to `dream_run_execute`."""
    settings = DreamSettings.load()
    now = timezone.now()
    selection = selected_engine()
    fields = {
        "trigger": trigger,
        "force": force,
        "dry_run": dry_run,
        "engine": selection.engine,
        "model": selection.model,
    }
    DreamRun.objects.filter(
        status=RunStatus.SKIPPED,
        reason__in=[RunReason.NOT_DUE, RunReason.NOT_CONFIGURED],
        started_at__lt=now - NOT_DUE_RETENTION,
    ).delete()
    if not settings.setup_complete:
        return _record_skip(fields, RunReason.NOT_CONFIGURED, NOT_CONFIGURED_DETAIL)
    if not settings.enabled:
        return _record_skip(fields, RunReason.DISABLED, "Dreaming is turned off in the settings.")
    if not force and not dream_is_due(settings, now):
        return _record_skip(fields, RunReason.NOT_DUE)
    material_count = new_moment_count()
    if material_count < settings.min_new_moments:
        return _record_skip(
            fields,
            RunReason.NO_MATERIAL,
            f"{material_count} new moments since the last dream; "
            f"{settings.min_new_moments} needed.",
            material_count=material_count,
        )
    run = _acquire(fields, settings, material_count)
    if run is None:
        running = DreamRun.objects.filter(status=RunStatus.RUNNING).first()
        running_id = running.pk if running else None
        return _record_skip(
            fields,
            RunReason.ALREADY_RUNNING,
            f"Dream run {running_id} is in progress."
            if running_id
            else "Another run was in progress.",
        )
    publish("dreamRun", _summary(run))
    return run


def dream_is_due(settings: DreamSettings, now: timezone.datetime) -> bool:
    """Due when no run of this cadence slot has reached the engine yet. Skips for lack of
    material, a not-ready engine, or a run whose process was stopped leave the slot open,
    so a later call can still dream in it."""
    slot_start = settings.slot_start(now)
    return (
        not DreamRun.objects.filter(
            started_at__gte=slot_start,
            status__in=[RunStatus.RUNNING, RunStatus.WRITTEN, RunStatus.FAILED],
            dry_run=False,
        )
        .exclude(reason=RunReason.ENGINE_NOT_READY)
        .exists()
    )


def _stage(run: DreamRun, stage: str, **fields: object) -> None:
    run.stage = stage
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=["stage", *fields])
    publish("dreamRun", _summary(run))


def _within_time_limit(
    call: Callable[[], EngineCall[DreamDraft]], seconds: float
) -> EngineCall[DreamDraft]:
    """Run the engine in a daemon thread, so the time limit holds whatever the engine does
    and a process that is told to stop never waits for an engine that will not."""
    result: concurrent.futures.Future[EngineCall[DreamDraft]] = concurrent.futures.Future()

    def work() -> None:
        try:
            result.set_result(call())
        except BaseException as error:  # handed to the waiting thread, which raises it
            result.set_exception(error)
        finally:
            connections.close_all()

    threading.Thread(target=work, name="dream-engine", daemon=True).start()
    try:
        return result.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise EngineTimeout(f"no answer within {seconds:g} s") from None


def _checked_draft(call: EngineCall[DreamDraft], material_ids: set[int]) -> EngineCall[DreamDraft]:
    unknown = call.draft.cited_moment_ids() - material_ids
    if unknown:
        shown = ", ".join(str(moment_id) for moment_id in sorted(unknown)[:5])
        raise EngineOutputInvalid(f"themes cite moments that are not in the material: {shown}")
    return call


def _dream(
    selection: SelectedEngine, material: DreamMaterial, settings: DreamSettings, warnings: list[str]
) -> EngineCall[DreamDraft]:
    contexts = [moment_context(moment) for moment in material.moments]
    ids = {moment.pk for moment in material.moments}
    continuity = open_threads()
    deadline = timezone.now() + timedelta(seconds=settings.timeout_s)

    def attempt() -> EngineCall[DreamDraft]:
        remaining = max(1.0, (deadline - timezone.now()).total_seconds())
        call = _within_time_limit(
            lambda: engine_dream(
                material=contexts, continuity=continuity, selection=selection, timeout=remaining
            ),
            remaining,
        )
        return _checked_draft(call, ids)

    try:
        return attempt()
    except EngineOutputInvalid as first:
        warnings.append(f"The first answer was invalid ({first.detail}); asked again.")
        return attempt()


def _write(run: DreamRun, call: EngineCall[DreamDraft], material: DreamMaterial) -> DreamReview:
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
            created_at=now,
        )
        _finish(run, RunStatus.WRITTEN, review=review, stage="done")
    return review


def dream_run_execute(run: DreamRun) -> DreamRun:
    """Dream with the lock held by `run`, then release it, whatever happens."""
    settings = DreamSettings.load()
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
        material = dream_material(limit=settings.max_material)
        if len(material.moments) < settings.min_new_moments:
            return _finish(
                run, RunStatus.SKIPPED, RunReason.NO_MATERIAL, "The new moments were taken."
            )
        if material.new_count > len(material.moments):
            warnings.append(
                f"{material.new_count} new moments; the {len(material.moments)} most salient "
                "were consolidated."
            )
        _stage(run, "dreaming", material_count=len(material.moments))
        call = _dream(selection, material, settings, warnings)
        if run.dry_run:
            outcome = {
                "title": call.draft.title,
                "themes": [theme.model_dump() for theme in call.draft.themes],
                "threads": [thread.name for thread in call.draft.threads],
                "sigil_phrase": call.draft.sigil_phrase,
            }
            return _finish(run, RunStatus.WRITTEN, warnings=warnings, outcome=outcome, stage="done")
        _stage(run, "writing", warnings=warnings)
        _write(run, call, material)
        return run
    except EngineError as error:
        return _finish(
            run, RunStatus.FAILED, error.reason, error.operator_message, warnings=warnings
        )
    except BaseException:
        # Interrupted (SIGTERM, Ctrl-C) or broken: release the lock before going down,
        # unless the run was written just before the interruption.
        _abandon(run, RunReason.INTERRUPTED, "The run was stopped before it finished.")
        raise


def run_dream(*, trigger: Trigger, force: bool = False, dry_run: bool = False) -> DreamRun:
    """Start and, when the gates allow, carry out a dream run in this thread."""
    run = dream_run_start(trigger=trigger, force=force, dry_run=dry_run)
    if run.status != RunStatus.RUNNING:
        return run
    return dream_run_execute(run)


def _execute_in_background(run_id: int) -> None:
    try:
        dream_run_execute(DreamRun.objects.get(pk=run_id))
    except Exception:
        logger.exception("Dream run %s failed unexpectedly.", run_id)
    finally:
        connections.close_all()


def dream_run_trigger(*, trigger: Trigger, force: bool = True, dry_run: bool = False) -> DreamRun:
    """For callers that must answer at once (HTTP, the admin): the gates and the lock here,
    the dreaming in a background thread. Returns the running run, or the skipped record."""
    run = dream_run_start(trigger=trigger, force=force, dry_run=dry_run)
    if run.status == RunStatus.RUNNING:
        # Start only once the lock is committed, or the thread could not see its run.
        transaction.on_commit(
            lambda: threading.Thread(
                target=_execute_in_background,
                args=(run.pk,),
                name=f"dream-run-{run.pk}",
                daemon=True,
            ).start()
        )
    return run
